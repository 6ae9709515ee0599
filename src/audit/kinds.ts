import { FINDING_KINDS, type FindingKind, type Outcome } from "./finding.js";

/**
 * The policy clause and the outcome of each kind (docs/audit-rules.md "Kinds, in priority order").
 * FINDING_KINDS is also the priority order in which findings take corrections and their share of a
 * charge, and the order in which they are listed.
 */
export const KIND_RULES = {
  duplicate_charge: { clause: "duplicate-charge", outcome: "refund_original_method" },
  billed_beyond_usage: { clause: "billed-beyond-usage", outcome: "refund_original_method" },
  charged_after_cancellation: { clause: "charged-after-cancellation", outcome: "refund_original_method" },
  sla_credit: { clause: "sla-credit", outcome: "account_credit" },
  promotion_not_applied: { clause: "promotion-not-applied", outcome: "account_credit" },
  rate_above_contract: { clause: "rate-above-contract", outcome: "refund_original_method" },
  unused_prepaid_credit: { clause: "unused-prepaid-credit", outcome: "account_credit" },
} as const satisfies Record<FindingKind, { clause: string; outcome: Outcome }>;

export function kindRank(kind: FindingKind): number {
  return FINDING_KINDS.indexOf(kind);
}
