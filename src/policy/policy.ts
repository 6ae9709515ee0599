import type { FindingKind } from "../audit/finding.js";
import type { SlaEntry } from "./sla-tables.js";

/**
 * Refund policy as data: versioned and replaceable with `refund-desk audit --policy FILE`
 * (JSON of this shape). Percentages and amounts are exact decimal strings.
 */
export interface Policy {
  /** e.g. `2026-11-01`; printed in reports and stored with every finding and decision. */
  version: string;
  /** Every clause a finding or decision can cite, by id, in words a customer can read. */
  clauses: Record<string, Clause>;
  sla: SlaEntry[];
  claimWindows: ClaimWindows;
  prepaid: {
    /** Share of the unused part of an expired prepaid commitment that is refundable. */
    refundablePercent: string;
  };
  tolerances: {
    /** Findings below this amount (in the charge's currency) are not reported. */
    minimumAmount: string;
  };
  /** Eligibility and exclusions per provider and product (first match wins; `*` matches any). */
  products: ProductRule[];
}

export interface Clause {
  title: string;
  text: string;
  /** Where the rule comes from (the provider's terms page, a law), when it comes from outside. */
  source?: string;
}

export interface ClaimWindows {
  /** Default for kinds without their own window: months after the charge period's end. */
  defaultMonthsAfterCharge: number;
  /** SLA credits: billing cycles after the month of the incident (2 → by the end of month + 2). */
  slaBillingCyclesAfterIncident: number;
  /** Unused prepaid commitments: days after the term's end. */
  prepaidDaysAfterTermEnd: number;
  /** Per-kind overrides, in months after the charge period's end. */
  byKind?: Partial<Record<FindingKind, number>>;
}

export type BillingType = "subscription" | "pay_as_you_go";

export interface ProductRule {
  id: string;
  providerName: string;
  /** Service names as providers write them in FOCUS `ServiceName`, or their native codes; `*` for any. */
  serviceNames: readonly string[];
  billingTypes: readonly BillingType[];
  /** A refund without a reason for new subscriptions, within this many days of purchase. */
  noReasonRefund: { windowDays: number; oncePerCalendarYearPerService: boolean; clauseId: string } | null;
  /** NOTE: vouchers and coupons are never refunded in cash; they return as credit, if at all. */
  vouchersRefundableInCash: boolean;
  /** Refund = cash paid − value consumed (pro rata), for subscriptions cancelled mid-term. */
  refundFormula: "cash_paid_minus_consumed" | "full";
  /** Promotions whose discounted charges are not refundable. */
  nonRefundablePromotions: readonly string[];
  /** A refund is only paid in the currency the charge was billed in. */
  currencyMustMatch: boolean;
  clauseIds: readonly string[];
}
