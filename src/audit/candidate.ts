/**
 * What a detector concludes before the shared steps (docs/audit-rules.md "Common rules"): the charges,
 * the exact amount the kind's formula gives, the evidence and the facts its explanation needs.
 * Corrections, the per-charge cap, rounding, claim windows and ids are applied afterwards, by
 * `settleFindings`, the same way for every kind.
 */
import type { Money } from "../money/index.js";
import type { ChargeFact } from "./charge-fact.js";
import type { EvidenceRef, FindingKind, Outcome } from "./finding.js";

/** How the claim deadline of a finding is found (policy.claimWindows supplies the lengths). */
export type ClaimWindow =
  /** Months (the kind's override, else the default) after `end`, the earliest charge period end. */
  | { type: "after_charge"; end: bigint }
  /** Billing cycles after the month of the incident (`monthStart`). */
  | { type: "sla"; monthStart: bigint; monthEnd: bigint }
  /** Days after the end of a prepaid commitment's term. */
  | { type: "prepaid"; termEnd: bigint };

export interface TimeSpan {
  start: bigint;
  end: bigint;
}

/** Kind-specific facts the explanation templates (explain.ts) turn into words. */
export type ExplainFacts =
  | { kind: "duplicate_charge"; copies: number }
  | {
      kind: "billed_beyond_usage";
      hourly: true;
      billedQuantity: string;
      actualQuantity: string;
      /** The union of the usage intervals, clipped to the charge period. */
      runs: TimeSpan[];
    }
  | {
      kind: "billed_beyond_usage";
      hourly: false;
      billedQuantity: string;
      actualQuantity: string;
      unit: string;
      records: number;
    }
  | {
      kind: "charged_after_cancellation";
      subscriptionId: string;
      cancelledAt: bigint | null;
      renewsAt: bigint | null;
      autoRenew: boolean;
    }
  | {
      kind: "sla_credit";
      monthStart: bigint;
      serviceName: string;
      regionId: string;
      downtimeUs: bigint;
      availabilityPercent: string;
      thresholdPercent: string;
      creditPercent: string;
      incidents: number;
      regionWide: boolean;
      affectedCost: string;
    }
  | {
      kind: "promotion_not_applied";
      credit: false;
      promotionId: string;
      code: string | null;
      discountPercent: string;
      listCost: string;
      promisedCost: string;
      validFrom: bigint;
      validTo: bigint;
    }
  | {
      kind: "promotion_not_applied";
      credit: true;
      promotionId: string;
      code: string | null;
      creditAmount: string;
      spent: string;
      unspent: string;
      chargesTotal: string;
      validFrom: bigint;
      validTo: bigint;
    }
  | {
      kind: "rate_above_contract";
      unitPriceBilled: string;
      unitPriceContracted: string;
      quantity: string;
      unit: string | null;
    }
  | {
      kind: "unused_prepaid_credit";
      commitmentId: string;
      unusedPart: string;
      refundablePercent: string;
      unusedRows: number;
    };

export interface Candidate {
  kind: FindingKind;
  accountId: string;
  currency: string;
  /** Every charge concerned, in the order the finding lists them. */
  charges: ChargeFact[];
  /** The kind's formula, exact: before corrections, the per-charge cap and rounding. */
  amount: Money;
  /** Evidence besides the charges and the corrections (usage, subscription, incidents, SLA, promotion). */
  evidence: EvidenceRef[];
  clauses: string[];
  outcome: Outcome;
  serviceName: string | null;
  regionId: string | null;
  resourceId: string | null;
  /** Kind-specific figures as exact strings (details.figures). */
  figures: Record<string, string>;
  window: ClaimWindow;
  facts: ExplainFacts;
}

/** Plain decimal text of an exact value: no exponent, no trailing zeros, never `-0`. */
export function plain(value: { isZero(): boolean; toFixed(): string }): string {
  return value.isZero() ? "0" : value.toFixed();
}
