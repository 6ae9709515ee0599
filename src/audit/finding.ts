/**
 * What `refund-desk audit` concludes, in the shape CONTRACT.md fixes for `--format json`.
 * Extend it, never break it: users script against this.
 */
export const FINDING_KINDS = [
  "duplicate_charge",
  "billed_beyond_usage",
  "charged_after_cancellation",
  "sla_credit",
  "promotion_not_applied",
  "rate_above_contract",
  "unused_prepaid_credit",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const OUTCOMES = [
  "refund_original_method",
  "account_credit",
  "partial_refund",
  "service_adjustment",
  "denied",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type EvidenceRef =
  | { type: "charge"; ref: string }
  | { type: "usage"; ref: string; resourceId: string; start: string; end: string }
  | { type: "subscription"; ref: string; subscriptionId: string }
  | {
      type: "incident";
      ref: string;
      incidentId: string;
      start: string;
      end: string;
      statusPageUrl: string | null;
    }
  | { type: "promotion"; ref: string; promotionId: string }
  | { type: "correction"; ref: string; amount: string }
  | {
      type: "sla";
      clauseId: string;
      thresholdPercent: string;
      availabilityPercent: string;
      creditPercent: string;
      sourceUrl: string;
    };

export interface Finding {
  /** `f-` + 16 hex digits of SHA-256(kind, sorted charge refs): stable across runs. */
  id: string;
  kind: FindingKind;
  accountId: string;
  /** Source references of every charge concerned, `FILE:LINE` / `FILE:ROW`. */
  charges: string[];
  /** Rounded half-up to the currency's minor unit. */
  amount: string;
  currency: string;
  outcome: Outcome;
  /** False when the policy's claim window closed before `--as-of`; left out of the summary. */
  claimable: boolean;
  explanation: string;
  evidence: EvidenceRef[];
  /** Policy clause ids; each resolves to text in the policy (`clauses[id]`). */
  clauses: string[];
  /** Extra facts for reports and the console (service, region, month, billed vs actual…). */
  details: FindingDetails;
}

export interface FindingDetails {
  serviceName: string | null;
  regionId: string | null;
  resourceId: string | null;
  /** `YYYY-MM` (UTC) of the earliest charge period concerned. */
  month: string;
  /** The last day (UTC, `YYYY-MM-DD`) on which the finding may still be claimed. */
  claimBy: string | null;
  /** Kind-specific figures as exact strings: billedQuantity, actualQuantity, availabilityPercent, … */
  figures: Record<string, string>;
}

export interface AuditSummary {
  charges: number;
  findings: number;
  /** Sum of claimable findings' amounts per currency. */
  refundable: Record<string, string>;
}

export interface AuditReport {
  summary: AuditSummary;
  findings: Finding[];
  /** Run facts: as-of date, policy version, inputs — for reports, not part of the contract's core. */
  meta: { asOf: string; policyVersion: string; inputs: string[]; generatedAt: string };
}
