import { findIdentityLinks } from "../kyc/find-identity-links.js";
import { billingAccountOf } from "../kyc/get-kyc-status.js";
import { type EffectiveKycStatus, effectiveKyc } from "../kyc/model.js";
import { Money } from "../money/index.js";
import type { Db } from "../store/database.js";
import type { AccountTable, CaseTable } from "../store/schema.js";
import type { ReviewFacts } from "./initial-review.js";
import { refundableRemainder } from "./refundable.js";
import type { CaseReason, DesiredOutcome } from "./vocabulary.js";

/** The account's KYC as the gate sees it: a member may rely on its billing account's verification. */
export async function kycStatusOf(db: Db, account: AccountTable, now: string): Promise<EffectiveKycStatus> {
  return effectiveKyc(account, await billingAccountOf(db, account), now).status;
}

/** Linked accounts with compliance's latest verdict on each link (null: not reviewed yet). */
export async function identityLinksWithVerdicts(
  db: Db,
  accountId: string,
): Promise<Array<{ accountId: string; shared: string[]; verdict: "suspected_abuse" | "legitimate" | null }>> {
  return (await findIdentityLinks(db, accountId)).map((link) => ({
    accountId: link.accountId,
    shared: link.shared,
    verdict: link.review?.verdict ?? null,
  }));
}

/**
 * Accounts of the same verified person: those sharing this account's identity number (a card alone
 * does not make two accounts one identity).
 */
export async function sameIdentityAccounts(db: Db, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("identity_fingerprints as mine")
    .innerJoin("identity_fingerprints as theirs", (j) =>
      j.onRef("theirs.keyed_hash", "=", "mine.keyed_hash").onRef("theirs.kind", "=", "mine.kind"),
    )
    .select("theirs.account_id")
    .where("mine.account_id", "=", accountId)
    .where("mine.kind", "=", "identity_number")
    .distinct()
    .execute();
  return [...new Set([accountId, ...rows.map((r) => r.account_id)])];
}

const NO_REASON_GRANTED = ["refund_original_method", "account_credit", "partial_refund"];

/**
 * NOTE: the no-reason refund is once per calendar year per service and per verified identity,
 * counted across every account of that identity (Alibaba Cloud's unsubscription terms).
 */
export async function noReasonRefundsThisYear(
  db: Db,
  row: Pick<CaseTable, "id" | "account_id">,
  serviceName: string | null,
  year: string,
): Promise<number> {
  const accounts = await sameIdentityAccounts(db, row.account_id);
  const granted = await db
    .selectFrom("decisions")
    .innerJoin("cases", "cases.id", "decisions.case_id")
    .innerJoin("charges", "charges.id", "cases.charge_id")
    .select(["decisions.case_id", "decisions.sequence", "decisions.outcome"])
    .where("cases.account_id", "in", accounts)
    .where("cases.reason", "=", "accidental_purchase")
    .where("cases.id", "<>", row.id)
    .where("charges.service_name", serviceName === null ? "is" : "=", serviceName)
    .where("decisions.decided_at", ">=", `${year}-01-01`)
    .where("decisions.decided_at", "<", `${Number(year) + 1}-01-01`)
    .orderBy("decisions.sequence")
    .execute();
  // The last decision of each case counts (an appeal may overturn the first).
  const last = new Map<string, string>();
  for (const d of granted) last.set(d.case_id, d.outcome);
  return [...last.values()].filter((o) => NO_REASON_GRANTED.includes(o)).length;
}

/** Everything the pure initial review needs, read from the store. */
export async function loadReviewFacts(db: Db, row: CaseTable, now: string): Promise<ReviewFacts> {
  const charge = await db
    .selectFrom("charges")
    .selectAll()
    .where("id", "=", row.charge_id)
    .executeTakeFirst();
  const account = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", row.account_id)
    .executeTakeFirstOrThrow();
  const finding = row.finding_id
    ? await db
        .selectFrom("findings")
        .select(["id", "kind", "amount", "claimable", "status"])
        .where("organisation_id", "=", row.organisation_id)
        .where("id", "=", row.finding_id)
        .executeTakeFirst()
    : undefined;
  const remaining = charge ? await refundableRemainder(db, charge, row.id) : Money.zero(row.currency);
  return {
    reason: row.reason as CaseReason,
    desiredOutcome: row.desired_outcome as DesiredOutcome,
    amount: row.amount,
    currency: row.currency,
    charge: {
      exists: charge !== undefined,
      billedCost: charge?.billed_cost ?? "0",
      currency: charge?.billing_currency ?? row.currency,
      providerName: charge?.provider_name ?? null,
      serviceName: charge?.service_name ?? null,
      chargeCategory: charge?.charge_category ?? null,
      chargeFrequency: charge?.charge_frequency ?? null,
      chargePeriodStart: charge?.charge_period_start ?? null,
    },
    remaining: remaining.amount,
    finding: finding
      ? {
          id: finding.id,
          kind: finding.kind as NonNullable<ReviewFacts["finding"]>["kind"],
          amount: finding.amount,
          claimable: finding.claimable === 1,
          stillReported: finding.status !== "resolved",
        }
      : null,
    kycStatus: await kycStatusOf(db, account, now),
    identityLinks: await identityLinksWithVerdicts(db, account.id),
    noReasonRefundsThisYear:
      row.reason === "accidental_purchase"
        ? await noReasonRefundsThisYear(db, row, charge?.service_name ?? null, now.slice(0, 4))
        : 0,
    submittedAt: row.submitted_at ?? now,
  };
}
