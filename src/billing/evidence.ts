/**
 * Evidence files the audit reads besides the bill (DESIGN.md "Data the audit reads").
 * Timestamps ISO 8601 UTC; amounts, quantities and percentages exact decimal strings.
 * Each record keeps `sourceRef` (`FILE:LINE`) so a finding can cite it.
 */
export interface UsageInterval {
  sourceRef: string;
  resourceId: string;
  start: string;
  end: string;
  quantity: string | null;
  unit: string | null;
}

export interface Subscription {
  sourceRef: string;
  subscriptionId: string;
  accountId: string;
  resourceId: string | null;
  serviceName: string;
  /** e.g. `P1M`, `P1Y` (ISO 8601 duration) or `monthly` / `yearly`. */
  term: string;
  startedAt: string;
  renewsAt: string | null;
  autoRenew: boolean;
  cancelledAt: string | null;
}

export interface Incident {
  sourceRef: string;
  incidentId: string;
  serviceName: string;
  regionId: string;
  /** Empty: every resource of the service in the region is affected. */
  resourceIds: string[];
  start: string;
  end: string;
  statusPageUrl: string | null;
}

export interface Promotion {
  sourceRef: string;
  promotionId: string;
  code: string | null;
  accountId: string;
  /** Empty: every service. */
  serviceNames: string[];
  /** Empty: every region. */
  regionIds: string[];
  /** Exactly one of discountPercent and creditAmount is set. */
  discountPercent: string | null;
  creditAmount: string | null;
  currency: string | null;
  validFrom: string;
  validTo: string;
}

export interface Payment {
  sourceRef: string;
  paymentId: string;
  accountId: string;
  invoiceId: string | null;
  /** `card`, `bank_transfer`, `voucher`, `coupon`, `credit`, … */
  method: string;
  instrumentFingerprint: string | null;
  amount: string;
  currency: string;
  paidAt: string;
}

export const EVIDENCE_KINDS = ["usage", "subscriptions", "incidents", "promotions", "payments"] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
