import type { FindingKind } from "../audit/finding.js";
import type { CaseReason } from "../cases/vocabulary.js";

/**
 * How refund cases are reviewed: fast-track, escalation, the KYC gate, targets and windows.
 * Amount thresholds are per currency (an amount means nothing without one); `default` applies
 * to currencies not listed. Durations are in business days of the customer's region unless named
 * otherwise.
 */
export interface ReviewPolicy {
  fastTrack: {
    /** Only cases made from a finding of these kinds, re-confirmed by the latest audit, qualify. */
    findingKinds: readonly FindingKind[];
    reasons: readonly CaseReason[];
    maxAmount: AmountByCurrency;
  };
  /** Above this amount a case goes to a `senior_reviewer`. */
  seniorReviewAbove: AmountByCurrency;
  /** Above this amount a refund to the original method also needs no link flagged as suspected abuse. */
  identityCheckAbove: AmountByCurrency;
  targets: { fastTrackBusinessDays: number; standardBusinessDays: number };
  informationRequest: {
    defaultBusinessDays: number;
    maxBusinessDays: number;
    reminderBusinessDaysBefore: number;
  };
  /** Calendar days after a decision within which the customer may appeal. */
  appealWindowDays: number;
  /** Calendar days an account credit granted by a decision stays usable, unless the decision says. */
  creditExpiryDays: number;
  /** Alternatives a denial offers, in words for the customer. */
  denialAlternatives: readonly string[];
}

export type AmountByCurrency = Readonly<Record<string, string>> & { readonly default: string };

export function amountFor(table: AmountByCurrency, currency: string): string {
  return table[currency] ?? table.default;
}

export const DEFAULT_REVIEW_POLICY: ReviewPolicy = Object.freeze<ReviewPolicy>({
  fastTrack: {
    findingKinds: ["duplicate_charge", "billed_beyond_usage"],
    reasons: ["duplicate_charge", "billing_error"],
    maxAmount: { default: "200.00", USD: "200.00", EUR: "200.00", CNY: "1500.00", JPY: "30000" },
  },
  seniorReviewAbove: { default: "5000.00", USD: "5000.00", EUR: "5000.00", CNY: "35000.00", JPY: "750000" },
  identityCheckAbove: { default: "1000.00", USD: "1000.00", EUR: "1000.00", CNY: "7000.00", JPY: "150000" },
  targets: { fastTrackBusinessDays: 5, standardBusinessDays: 10 },
  informationRequest: { defaultBusinessDays: 5, maxBusinessDays: 20, reminderBusinessDaysBefore: 2 },
  appealWindowDays: 30,
  creditExpiryDays: 365,
  denialAlternatives: [
    "Appeal this decision with new evidence or a new argument before the appeal deadline.",
    "Ask for an account credit instead, where the policy allows one.",
    "Contact support to discuss a plan change or a service adjustment.",
  ],
});
