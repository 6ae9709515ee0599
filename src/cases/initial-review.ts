import type { FindingKind } from "../audit/finding.js";
import type { EffectiveKycStatus } from "../kyc/model.js";
import { Money } from "../money/index.js";
import type { BillingType, Policy } from "../policy/policy.js";
import { productRuleFor } from "../policy/policy-rules.js";
import { amountFor, type ReviewPolicy } from "../policy/review-policy.js";
import type { CaseReason, DesiredOutcome } from "./vocabulary.js";

/**
 * The automatic initial review of a submitted case, as a pure function of the facts the caller
 * loaded: the billing record, the policy, the finding the case came from, KYC and identity links.
 * It decides where the case goes (fast-track, a reviewer's queue, a senior reviewer) and records
 * every check so a reviewer and the customer can see why.
 */

export interface ReviewFacts {
  reason: CaseReason;
  desiredOutcome: DesiredOutcome;
  amount: string;
  currency: string;
  charge: {
    exists: boolean;
    billedCost: string;
    currency: string;
    providerName: string | null;
    serviceName: string | null;
    chargeCategory: string | null;
    chargeFrequency: string | null;
    chargePeriodStart: string | null;
  };
  /** Refundable remainder of the charge before this case (billed − what other cases hold). */
  remaining: string;
  finding: {
    id: string;
    kind: FindingKind;
    amount: string;
    claimable: boolean;
    /** Whether the latest audit run still reports it (status not `resolved`). */
    stillReported: boolean;
  } | null;
  kycStatus: EffectiveKycStatus;
  identityLinks: ReadonlyArray<{ accountId: string; verdict: "suspected_abuse" | "legitimate" | null }>;
  /** No-reason refunds already granted this calendar year for this service to the same verified identity. */
  noReasonRefundsThisYear: number;
  submittedAt: string;
}

export type CheckCode =
  | "billing_record"
  | "amount_fits"
  | "policy"
  | "finding_reconfirmed"
  | "kyc"
  | "identity_links";

export interface ReviewCheck {
  code: CheckCode;
  /** `pass`, `fail`, or `attention` (not failing, but a reviewer should look). */
  result: "pass" | "fail" | "attention";
  detail: string;
}

export type RiskSignal =
  | "kyc_not_verified"
  | "identity_link_unreviewed"
  | "identity_link_suspected_abuse"
  | "finding_not_reconfirmed"
  | "amount_exceeds_refundable"
  | "no_reason_refund_already_used";

export interface PolicyEvaluation {
  productRuleId: string | null;
  /** true: eligible under the clauses; false: excluded (see `exclusion`); null: a reviewer judges. */
  eligible: boolean | null;
  clauses: string[];
  exclusion: { clauseId: string; reason: string } | null;
}

export interface ReviewResult {
  checks: ReviewCheck[];
  policy: PolicyEvaluation;
  riskSignals: RiskSignal[];
  route:
    | { to: "fast_track"; outcome: "refund_original_method" | "account_credit" }
    | { to: "reviewer" | "senior_reviewer" };
  queue: string;
  targetBusinessDays: number;
}

/** NOTE: FOCUS marks purchases of subscriptions and commitments as ChargeCategory `Purchase`. */
export function billingTypeOf(charge: ReviewFacts["charge"]): BillingType {
  return charge.chargeCategory === "Purchase" || charge.chargeFrequency === "Recurring"
    ? "subscription"
    : "pay_as_you_go";
}

const BILLING_ERROR_REASONS: readonly CaseReason[] = [
  "billing_error",
  "duplicate_charge",
  "charged_after_cancellation",
  "promotion_not_applied",
];

const DAY_MS = 86_400_000;

export function evaluatePolicy(facts: ReviewFacts, policy: Pick<Policy, "products">): PolicyEvaluation {
  const rule = productRuleFor(
    policy,
    facts.charge.providerName ?? "*",
    facts.charge.serviceName ?? "*",
    billingTypeOf(facts.charge),
  );
  const ruleClauses = rule ? [...rule.clauseIds] : [];
  const base = { productRuleId: rule?.id ?? null };
  if (BILLING_ERROR_REASONS.includes(facts.reason))
    return { ...base, eligible: true, clauses: ["billing-errors-refunded"], exclusion: null };
  if (facts.reason === "sla_breach")
    return { ...base, eligible: true, clauses: ["sla-credit"], exclusion: null };
  if (facts.reason === "unused_prepaid")
    return { ...base, eligible: true, clauses: ["unused-prepaid-credit"], exclusion: null };
  if (facts.reason === "accidental_purchase") {
    const noReason = rule?.noReasonRefund ?? null;
    if (!noReason) {
      const clauseId = ruleClauses.find((c) => c.includes("no-no-reason-refund")) ?? "no-reason-refunds";
      return {
        ...base,
        eligible: false,
        clauses: [...new Set([...ruleClauses, clauseId])],
        exclusion: {
          clauseId,
          reason: "This product has no refund without a reason; billing errors are still refunded.",
        },
      };
    }
    const start = facts.charge.chargePeriodStart ? Date.parse(facts.charge.chargePeriodStart) : Number.NaN;
    const withinWindow =
      Number.isFinite(start) && Date.parse(facts.submittedAt) - start <= noReason.windowDays * DAY_MS;
    if (!withinWindow)
      return {
        ...base,
        eligible: false,
        clauses: [noReason.clauseId],
        exclusion: {
          clauseId: noReason.clauseId,
          reason: `The no-reason refund must be asked for within ${noReason.windowDays} days of purchase.`,
        },
      };
    if (noReason.oncePerCalendarYearPerService && facts.noReasonRefundsThisYear > 0)
      return {
        ...base,
        eligible: false,
        clauses: [noReason.clauseId],
        exclusion: {
          clauseId: noReason.clauseId,
          reason:
            "A no-reason refund for this service was already granted this calendar year to the same verified " +
            "identity (counted across all its accounts).",
        },
      };
    return { ...base, eligible: true, clauses: [noReason.clauseId], exclusion: null };
  }
  return { ...base, eligible: null, clauses: ruleClauses, exclusion: null };
}

export function reviewCase(
  facts: ReviewFacts,
  rules: Pick<Policy, "products">,
  review: ReviewPolicy,
): ReviewResult {
  const checks: ReviewCheck[] = [];
  const risk: RiskSignal[] = [];
  const amount = Money.of(facts.amount, facts.currency);

  checks.push(
    facts.charge.exists
      ? {
          code: "billing_record",
          result: "pass",
          detail: `Charge billed ${facts.charge.billedCost} ${facts.charge.currency}.`,
        }
      : { code: "billing_record", result: "fail", detail: "The charge is no longer in the billing store." },
  );
  const remaining = Money.of(facts.remaining, facts.currency);
  const fits = amount.isPositive() && amount.lessThanOrEqual(remaining);
  checks.push({
    code: "amount_fits",
    result: fits ? "pass" : "fail",
    detail: `Requested ${amount.amount} ${facts.currency}; refundable remainder ${remaining.amount} ${facts.currency}.`,
  });
  if (!fits) risk.push("amount_exceeds_refundable");

  const policy = evaluatePolicy(facts, rules);
  checks.push({
    code: "policy",
    result: policy.eligible === true ? "pass" : policy.eligible === false ? "fail" : "attention",
    detail:
      policy.eligible === true
        ? `Eligible under ${policy.clauses.join(", ")}.`
        : policy.exclusion
          ? `Excluded by ${policy.exclusion.clauseId}: ${policy.exclusion.reason}`
          : "No clause decides this reason on its own; a reviewer judges it on the evidence.",
  });
  if (policy.exclusion?.reason.includes("already granted")) risk.push("no_reason_refund_already_used");

  if (facts.finding) {
    const f = facts.finding;
    // The case may ask for the finding's amount or less, never more.
    const covered = amount.lessThanOrEqual(Money.of(f.amount, facts.currency));
    const ok = f.stillReported && f.claimable && covered;
    checks.push({
      code: "finding_reconfirmed",
      result: ok ? "pass" : "fail",
      detail: ok
        ? `Finding ${f.id} (${f.kind}) is still reported by the latest audit for ${f.amount} ${facts.currency}.`
        : `Finding ${f.id} is ${f.stillReported ? (f.claimable ? "for a smaller amount" : "past its claim window") : "no longer reported by the latest audit"}.`,
    });
    if (!ok) risk.push("finding_not_reconfirmed");
  }

  const kycOk = facts.kycStatus === "verified";
  checks.push({
    code: "kyc",
    result: kycOk ? "pass" : "attention",
    detail: kycOk
      ? "The account's identity is verified."
      : `KYC is ${facts.kycStatus}: a refund to the original payment method waits for verification.`,
  });
  if (!kycOk) risk.push("kyc_not_verified");

  const abuse = facts.identityLinks.filter((l) => l.verdict === "suspected_abuse");
  const unreviewed = facts.identityLinks.filter((l) => l.verdict === null);
  checks.push({
    code: "identity_links",
    result: abuse.length ? "fail" : unreviewed.length ? "attention" : "pass",
    detail: facts.identityLinks.length
      ? `Shares an identity or a card with ${facts.identityLinks.length} other account(s)` +
        (abuse.length
          ? `; ${abuse.length} flagged as suspected abuse.`
          : unreviewed.length
            ? "; not yet reviewed by compliance."
            : "; reviewed as legitimate.")
      : "No other account shares this identity or card.",
  });
  if (abuse.length) risk.push("identity_link_suspected_abuse");
  if (unreviewed.length) risk.push("identity_link_unreviewed");

  const queue = policy.productRuleId ?? "default";
  const senior = amount.greaterThan(
    Money.of(amountFor(review.seniorReviewAbove, facts.currency), facts.currency),
  );
  const fastTrackOutcome =
    facts.desiredOutcome === "refund_original_method" || facts.desiredOutcome === "account_credit"
      ? facts.desiredOutcome
      : null;
  const fastTrack =
    facts.finding !== null &&
    review.fastTrack.findingKinds.includes(facts.finding.kind) &&
    review.fastTrack.reasons.includes(facts.reason) &&
    amount.lessThanOrEqual(Money.of(amountFor(review.fastTrack.maxAmount, facts.currency), facts.currency)) &&
    checks.every((c) => c.result === "pass") &&
    risk.length === 0 &&
    policy.eligible === true &&
    fastTrackOutcome !== null;
  return {
    checks,
    policy,
    riskSignals: risk,
    route:
      fastTrack && fastTrackOutcome
        ? { to: "fast_track", outcome: fastTrackOutcome }
        : { to: senior ? "senior_reviewer" : "reviewer" },
    queue,
    targetBusinessDays: fastTrack
      ? review.targets.fastTrackBusinessDays
      : review.targets.standardBusinessDays,
  };
}
