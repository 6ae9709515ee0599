import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, type FieldError, validationFailed } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import { lockAccountOrThrow, updateAccountKyc } from "./account-row.js";
import { identityNumberHash, recordFingerprint } from "./fingerprints.js";
import { type KycType, nextKycStatus, normaliseIdentityNumber } from "./model.js";

export interface SubmitKycInput {
  accountId: string;
  type: string;
  legalName: string;
  /** Kept only as a keyed hash; never stored, logged or returned. */
  identityNumber: string;
}

const KYC_TYPES: readonly KycType[] = ["individual", "enterprise"];
const MAX_IDENTITY_NUMBER = 64;

/** Sends the account's documents and identity for review: the account becomes `pending`. */
export async function submitKyc(
  services: Services,
  ctx: WriteContext,
  input: SubmitKycInput,
): Promise<{ status: "pending"; submittedAt: string }> {
  const errors: FieldError[] = [];
  const type = KYC_TYPES.find((t) => t === input.type);
  if (!type)
    errors.push({ field: "type", code: "invalid_type", message: "must be individual or enterprise" });
  const legalName = input.legalName.trim();
  if (legalName === "") errors.push({ field: "legalName", code: "required", message: "is required" });
  const number = normaliseIdentityNumber(input.identityNumber);
  if (number === "") errors.push({ field: "identityNumber", code: "required", message: "is required" });
  else if (number.length > MAX_IDENTITY_NUMBER)
    errors.push({
      field: "identityNumber",
      code: "too_long",
      message: `has more than ${MAX_IDENTITY_NUMBER} characters`,
    });
  else if (/\p{C}/u.test(number))
    errors.push({ field: "identityNumber", code: "invalid", message: "contains control characters" });
  if (errors.length || !type) throw validationFailed(errors);
  const hash = identityNumberHash(services.config.secretKey, input.identityNumber);

  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const account = await lockAccountOrThrow(tx, services.store.capabilities, input.accountId);
    const docs = await tx
      .selectFrom("kyc_documents")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("account_id", "=", account.id)
      .executeTakeFirstOrThrow();
    const documentCount = Number(docs.n);
    if (documentCount === 0)
      throw validationFailed([
        { field: "documents", code: "documents_required", message: "upload at least one document first" },
      ]);
    const next = nextKycStatus(account.kyc_status, "submit");
    if (next !== "pending")
      throw new AppError("invalid_transition", `A ${account.kyc_status} account cannot be submitted`, {
        extensions: { currentState: account.kyc_status },
      });
    await updateAccountKyc(tx, account, {
      kyc_status: next,
      kyc_type: type,
      kyc_legal_name: legalName,
      kyc_submitted_at: now,
      kyc_rejection_reason: null,
      // A fresh submission is reviewed from scratch; the previous verification stays in kyc_reviews.
      kyc_verified_at: null,
      kyc_expires_at: null,
    });
    await recordFingerprint(tx, { accountId: account.id, kind: "identity_number", keyedHash: hash, at: now });
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "kyc.submitted",
      subjectType: "account",
      subjectId: account.id,
      organisationId: account.organisation_id,
      // No identity number, not even hashed: the audit log is readable by customers.
      summary: { type, legalName, previousStatus: account.kyc_status, documentCount },
      requestId: ctx.requestId,
      at: now,
    });
    return { status: next, submittedAt: now };
  });
}
