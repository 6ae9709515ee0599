import { AppError } from "../../shared/errors.js";
import type { Incident } from "../evidence.js";
import { civilFromDays, daysInMonth, monthStartMs, parseTimestamp } from "./timestamps.js";

/**
 * Monthly availability from incidents, exactly (integer milliseconds, bigint): the audit's `sla_credit`
 * detector uses the same numbers (docs/audit-rules.md §4). Pure: no I/O, no clock.
 */

/** A half-open interval `[start, end)` in epoch milliseconds. */
export interface Interval {
  start: bigint;
  end: bigint;
}

export interface MonthDowntime {
  /** Milliseconds of the month covered by the union of the incidents. */
  downtimeMs: bigint;
  /** Milliseconds in the month (28, 29, 30 or 31 days). */
  monthMs: bigint;
}

const MS_PER_DAY = 86_400_000n;

/** Sorted, disjoint, non-touching intervals covering exactly the union of the input; empty ones dropped. */
export function unionIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals
    .filter((i) => i.end > i.start)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && i.start <= last.end) {
      if (i.end > last.end) last.end = i.end;
    } else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** Total length of intervals (overlaps counted as often as they occur). */
export function totalLength(intervals: readonly Interval[]): bigint {
  return intervals.reduce((sum, i) => sum + (i.end > i.start ? i.end - i.start : 0n), 0n);
}

/** `YYYY-MM` of the UTC month containing an instant. */
export function monthKey(ms: bigint): string {
  const days = Number(ms >= 0n ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1n) / MS_PER_DAY));
  const { year, month } = civilFromDays(days);
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
}

/** Length of a UTC month in milliseconds (`key` is `YYYY-MM`). */
export function monthLengthMs(key: string): bigint {
  const match = /^(\d{4})-(\d{2})$/.exec(key);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (match === null || month < 1 || month > 12) {
    throw new AppError("validation_failed", `expected a month such as 2024-02, found ${JSON.stringify(key)}`);
  }
  return BigInt(daysInMonth(year, month)) * MS_PER_DAY;
}

/**
 * Splits intervals at UTC month boundaries and adds up each month's part. The intervals should be disjoint
 * (`unionIntervals`) for the result to be downtime; months without any part are absent. Keys ascend when the
 * input is sorted.
 */
export function splitByMonth(intervals: readonly Interval[]): Map<string, MonthDowntime> {
  const months = new Map<string, MonthDowntime>();
  for (const { start, end } of intervals) {
    let from = start;
    while (from < end) {
      const key = monthKey(from);
      const year = Number(key.slice(0, 4));
      const month = Number(key.slice(5, 7));
      const next = BigInt(monthStartMs(year, month + 1));
      const to = end < next ? end : next;
      const entry = months.get(key) ?? { downtimeMs: 0n, monthMs: monthLengthMs(key) };
      entry.downtimeMs += to - from;
      months.set(key, entry);
      from = to;
    }
  }
  return months;
}

function incidentInterval(incident: Incident): Interval {
  const start = parseTimestamp(incident.start);
  const end = parseTimestamp(incident.end);
  if (!start.ok || !end.ok || end.ms < start.ms) {
    throw new AppError(
      "validation_failed",
      `${incident.sourceRef}: incident ${incident.incidentId} needs ISO 8601 start and end with end after start`,
      { extensions: { sourceRef: incident.sourceRef } },
    );
  }
  return { start: BigInt(start.ms), end: BigInt(end.ms) };
}

/**
 * Downtime of one service in one region, per UTC month: the union of the matching incidents (exact match on
 * `serviceName` and `regionId`; overlapping incidents count once), split at month boundaries. Only months
 * with downtime are present, in ascending order.
 */
export function downtimeByMonth(
  incidents: readonly Incident[],
  filter: { serviceName: string; regionId: string },
): Map<string, MonthDowntime> {
  const intervals = incidents
    .filter((i) => i.serviceName === filter.serviceName && i.regionId === filter.regionId)
    .map(incidentInterval);
  return splitByMonth(unionIntervals(intervals));
}

/** Decimal places of `availabilityPercent`. */
export const AVAILABILITY_DECIMAL_PLACES = 6;

/**
 * `(1 − downtime / month) × 100` as an exact decimal string rounded half-up to 6 places, e.g. `99.998092`.
 * Integer arithmetic only.
 */
export function availabilityPercent(downtimeMs: bigint, monthMs: bigint): string {
  if (monthMs <= 0n || downtimeMs < 0n || downtimeMs > monthMs) {
    throw new AppError(
      "validation_failed",
      `availability needs 0 ≤ downtime ≤ month length, found ${downtimeMs} ms of ${monthMs} ms`,
    );
  }
  const scale = 10n ** BigInt(AVAILABILITY_DECIMAL_PLACES);
  const numerator = (monthMs - downtimeMs) * 100n * scale;
  // Half-up on a non-negative quotient: floor(n / d + 1/2).
  const scaled = (2n * numerator + monthMs) / (2n * monthMs);
  const whole = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(AVAILABILITY_DECIMAL_PLACES, "0");
  return `${whole}.${fraction}`;
}
