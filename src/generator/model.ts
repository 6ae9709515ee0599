/** Shared shapes of the generator's plan: accounts, intervals and the evidence records. */

import type { Dec } from "../money/index.js";
import type { Calendar } from "./calendar.js";

export interface Account {
  index: number;
  /** 12-digit AWS-style account id. */
  id: string;
  name: string;
  team: string;
  env: string;
  taxRate: string;
}

/** Half-open `[start, end)` in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

/** What every stream needs to format its rows. */
export interface RowContext {
  calendar: Calendar;
  currency: string;
  /** Multiplier on USD-like list prices (100 for currencies without minor units). */
  priceScale: Dec;
  minorUnits: number;
}

export interface UsageRecord {
  resourceId: string;
  start: string;
  end: string;
  quantity: string | null;
  unit: string | null;
}

export interface SubscriptionRecord {
  subscriptionId: string;
  accountId: string;
  resourceId: string | null;
  serviceName: string;
  term: string;
  startedAt: string;
  renewsAt: string | null;
  autoRenew: boolean;
  cancelledAt: string | null;
}

export interface IncidentRecord {
  incidentId: string;
  serviceName: string;
  regionId: string;
  resourceIds: string[];
  start: string;
  end: string;
  statusPageUrl: string;
}

export interface PromotionRecord {
  promotionId: string;
  code: string;
  accountId: string;
  serviceNames: string[];
  regionIds: string[];
  discountPercent: string | null;
  creditAmount: string | null;
  currency: string | null;
  validFrom: string;
  validTo: string;
}

export interface PaymentRecord {
  paymentId: string;
  accountId: string;
  invoiceId: string;
  method: string;
  instrumentFingerprint: string | null;
  amount: string;
  currency: string;
  paidAt: string;
}

/** Sorted, merged (union) copy of possibly overlapping intervals. */
export function mergeIntervals(raw: readonly Interval[]): Interval[] {
  const sorted = raw.slice().sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const iv of sorted) {
    if (iv.end <= iv.start) continue;
    const last = out[out.length - 1];
    if (last && iv.start <= last.end) last.end = Math.max(last.end, iv.end);
    else out.push({ start: iv.start, end: iv.end });
  }
  return out;
}

/**
 * The union of intervals packed as `[start0, end0, start1, end1, …]`: 16 bytes an interval, which
 * keeps the plan of a 10-million-row dataset (tens of thousands of schedules) small.
 */
export function toSpans(raw: readonly Interval[]): Float64Array {
  const merged = mergeIntervals(raw);
  const spans = new Float64Array(merged.length * 2);
  merged.forEach((iv, i) => {
    spans[2 * i] = iv.start;
    spans[2 * i + 1] = iv.end;
  });
  return spans;
}

/**
 * Calls `fn(periodStart, coveredMs)` for every period of length `unit` (aligned on the epoch, so
 * on UTC hours or days) within `[from, to)` that the spans touch, in time order.
 */
export function forEachPeriod(
  spans: Float64Array,
  unit: number,
  from: number,
  to: number,
  fn: (periodStart: number, coveredMs: number) => void,
): void {
  let current = -1;
  let covered = 0;
  for (let i = 0; i < spans.length; i += 2) {
    const start = spans[i]!;
    const end = spans[i + 1]!;
    if (end <= from) continue;
    if (start >= to) break;
    const lo = Math.max(start, from);
    const hi = Math.min(end, to);
    for (let p = Math.floor(lo / unit) * unit; p < hi; p += unit) {
      const clip = Math.min(hi, p + unit) - Math.max(lo, p);
      if (p === current) covered += clip;
      else {
        if (current >= 0) fn(current, covered);
        current = p;
        covered = clip;
      }
    }
  }
  if (current >= 0) fn(current, covered);
}

/** Length of the union of `merged` clipped to `[from, to)`. */
export function coveredWithin(merged: readonly Interval[], from: number, to: number): number {
  let total = 0;
  for (const iv of merged) {
    const lo = Math.max(iv.start, from);
    const hi = Math.min(iv.end, to);
    if (hi > lo) total += hi - lo;
  }
  return total;
}
