import type { Db } from "../store/database.js";
import type { AccountTable } from "../store/schema.js";
import { effectiveKyc } from "./model.js";
import { kycDocumentView, kycReviewView } from "./views.js";

/** The billing account a member account may rely on for KYC; null for a billing account itself. */
export async function billingAccountOf(db: Db, account: AccountTable): Promise<AccountTable | null> {
  if (account.is_billing === 1) return null;
  return (
    (await db
      .selectFrom("organisations")
      .innerJoin("accounts", "accounts.id", "organisations.billing_account_id")
      .selectAll("accounts")
      .where("organisations.id", "=", account.organisation_id)
      .executeTakeFirst()) ?? null
  );
}

/** An account's KYC as its owner and the provider see it: effective status, papers (metadata), history. */
export async function getKycStatus(db: Db, account: AccountTable, now: string) {
  const kyc = effectiveKyc(account, await billingAccountOf(db, account), now);
  const documents = await db
    .selectFrom("kyc_documents")
    .select(["id", "kind", "content_type", "size_bytes", "sha256", "created_at"])
    .where("account_id", "=", account.id)
    .orderBy("id")
    .execute();
  const reviews = await db
    .selectFrom("kyc_reviews")
    .selectAll()
    .where("account_id", "=", account.id)
    .orderBy("id")
    .execute();
  return {
    accountId: account.id,
    status: kyc.status,
    via: kyc.via,
    type: account.kyc_type,
    legalName: account.kyc_legal_name,
    submittedAt: account.kyc_submitted_at,
    verifiedAt: account.kyc_verified_at,
    expiresAt: kyc.expiresAt,
    rejectionReason: account.kyc_rejection_reason,
    documents: documents.map(kycDocumentView),
    reviews: reviews.map(kycReviewView),
  };
}
