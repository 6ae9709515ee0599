import type { FindingKind, Outcome } from "../audit/finding.js";

/** Why a customer asks for a refund (the request form's reason field). */
export const CASE_REASONS = [
  "billing_error",
  "duplicate_charge",
  "sla_breach",
  "accidental_purchase",
  "unused_prepaid",
  "charged_after_cancellation",
  "promotion_not_applied",
  "other",
] as const;
export type CaseReason = (typeof CASE_REASONS)[number];

/** What the customer asks for; a decision's outcome may differ (and may be `denied`). */
export const DESIRED_OUTCOMES = [
  "refund_original_method",
  "account_credit",
  "partial_refund",
  "service_adjustment",
] as const;
export type DesiredOutcome = (typeof DESIRED_OUTCOMES)[number];

export type DecisionOutcome = Outcome;

/** How a request reached us. `phone` and `chat` are logged by a support agent for the customer. */
export const CASE_CHANNELS = ["console", "api", "phone", "chat"] as const;
export type CaseChannel = (typeof CASE_CHANNELS)[number];

/** The reason a case made from an audit finding carries. */
export const REASON_FOR_FINDING: Readonly<Record<FindingKind, CaseReason>> = {
  duplicate_charge: "duplicate_charge",
  billed_beyond_usage: "billing_error",
  charged_after_cancellation: "charged_after_cancellation",
  sla_credit: "sla_breach",
  promotion_not_applied: "promotion_not_applied",
  rate_above_contract: "billing_error",
  unused_prepaid_credit: "unused_prepaid",
};
