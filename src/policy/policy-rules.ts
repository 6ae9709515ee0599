import { DateTime } from "luxon";
import type { FindingKind } from "../audit/finding.js";
import { type Dec, parseDecimal } from "../money/index.js";
import { AppError } from "../shared/errors.js";
import type { BillingType, Policy, ProductRule } from "./policy.js";
import type { SlaEntry } from "./sla-tables.js";

/**
 * Pure questions asked of a policy: which product rule applies, what an SLA miss earns, until when a
 * finding may be claimed. No I/O, no clock.
 */

const WILDCARD = "*";

/**
 * The first product rule (in policy order) whose provider and one of whose service names match, `*`
 * matching anything. With `billingType`, only rules listing that billing type match (this is how the
 * subscription and pay-as-you-go rules of one product are told apart); without it, the first rule for
 * the product wins whatever its billing types. Null when no rule matches (the default policy ends with a
 * catch-all, so it always answers).
 */
export function productRuleFor(
  policy: Pick<Policy, "products">,
  providerName: string,
  serviceName: string,
  billingType?: BillingType,
): ProductRule | null {
  for (const rule of policy.products) {
    if (rule.providerName !== WILDCARD && rule.providerName !== providerName) continue;
    if (!rule.serviceNames.some((s) => s === WILDCARD || s === serviceName)) continue;
    if (billingType !== undefined && !rule.billingTypes.includes(billingType)) continue;
    return rule;
  }
  return null;
}

/**
 * Whether charges under `promotionId` are excluded from refunds by the rule: an entry matches the id
 * exactly, or as a prefix when it ends with `*` (`FREE-TRIAL*` matches `FREE-TRIAL-2026-Q1`).
 */
export function isNonRefundablePromotion(
  rule: Pick<ProductRule, "nonRefundablePromotions">,
  promotionId: string,
): boolean {
  return rule.nonRefundablePromotions.some((pattern) =>
    pattern.endsWith(WILDCARD) ? promotionId.startsWith(pattern.slice(0, -1)) : promotionId === pattern,
  );
}

/**
 * The service-credit percentage a month with `availabilityPercent` (a decimal string such as `99.95` or
 * `99.998092`) earns under `entry`, compared exactly: null when availability is at or above the
 * threshold; otherwise the credit of the tier with the lowest bound that availability is strictly below,
 * never more than the entry's `maxCreditPercent`. Null as well when availability is below the threshold
 * but not below any tier bound (a table whose highest tier starts under its threshold).
 */
export function slaCreditPercent(entry: SlaEntry, availabilityPercent: string): string | null {
  const availability = parseDecimal(availabilityPercent, "availabilityPercent");
  const threshold = parseDecimal(entry.thresholdPercent, "thresholdPercent");
  if (availability.greaterThanOrEqualTo(threshold)) return null;
  let best: { below: Dec; creditPercent: string } | null = null;
  for (const [i, tier] of entry.tiers.entries()) {
    const below = parseDecimal(tier.below, `tiers[${i}].below`);
    if (availability.lessThan(below) && (best === null || below.lessThan(best.below))) {
      best = { below, creditPercent: tier.creditPercent };
    }
  }
  if (best === null) return null;
  const credit = best.creditPercent;
  const max = parseDecimal(entry.maxCreditPercent, "maxCreditPercent");
  return parseDecimal(credit, "creditPercent").greaterThan(max) ? entry.maxCreditPercent : credit;
}

export interface ClaimDeadlineInput {
  /** End (exclusive) of the charge period: ISO 8601 timestamp (no offset means UTC) or `YYYY-MM-DD`. */
  chargePeriodEnd: string;
  /** `YYYY-MM` (UTC) of the incident, for SLA credits; defaults to the month the charge period ends in. */
  incidentMonth?: string;
  /** End (exclusive) of a prepaid commitment's term; defaults to `chargePeriodEnd`. */
  termEnd?: string;
}

/**
 * The last day (UTC, `YYYY-MM-DD`) on which a finding of `kind` may still be claimed under the policy's
 * claim windows. A window of N months (or days) after an instant T closes at T + N; the last claimable
 * day is the day of the last instant before that. Months are calendar months (luxon: the day is clamped
 * to the month's end, so 2024-02-29 + 12 months is 2025-02-28).
 *
 * - a per-kind override (`claimWindows.byKind`): that many months after the charge period's end;
 * - `sla_credit`: to the end of the `slaBillingCyclesAfterIncident`-th month after the incident month
 *   (2 cycles after an incident in January: through 31 March);
 * - `unused_prepaid_credit`: `prepaidDaysAfterTermEnd` days after the term's end;
 * - every other kind: `defaultMonthsAfterCharge` months after the charge period's end.
 */
export function claimDeadline(
  policy: Pick<Policy, "claimWindows">,
  kind: FindingKind,
  input: ClaimDeadlineInput,
): string {
  const windows = policy.claimWindows;
  const chargeEnd = parseInstant(input.chargePeriodEnd, "chargePeriodEnd");
  const override = windows.byKind?.[kind];
  if (override !== undefined) return lastDayBefore(chargeEnd.plus({ months: override }));
  switch (kind) {
    case "sla_credit": {
      const month =
        input.incidentMonth !== undefined
          ? parseMonth(input.incidentMonth, "incidentMonth")
          : chargeEnd.minus({ milliseconds: 1 }).startOf("month");
      return lastDayBefore(month.plus({ months: windows.slaBillingCyclesAfterIncident + 1 }));
    }
    case "unused_prepaid_credit": {
      const termEnd = input.termEnd !== undefined ? parseInstant(input.termEnd, "termEnd") : chargeEnd;
      return lastDayBefore(termEnd.plus({ days: windows.prepaidDaysAfterTermEnd }));
    }
    default:
      return lastDayBefore(chargeEnd.plus({ months: windows.defaultMonthsAfterCharge }));
  }
}

/** Whether a finding whose last claimable day is `claimBy` may still be claimed on `asOf` (both `YYYY-MM-DD`). */
export function isClaimableOn(claimBy: string, asOf: string): boolean {
  return parseDay(asOf, "asOf") <= parseDay(claimBy, "claimBy");
}

function lastDayBefore(end: DateTime): string {
  return end.minus({ milliseconds: 1 }).toUTC().toISODate()!;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;

function invalid(field: string, value: string, expected: string): AppError {
  return new AppError(
    "validation_failed",
    `${field}: ${JSON.stringify(value.slice(0, 40))} is not ${expected}`,
    {
      fieldErrors: [{ field, code: "invalid_date", message: `must be ${expected}` }],
    },
  );
}

function parseInstant(value: string, field: string): DateTime {
  const parsed = DateTime.fromISO(value, { zone: "utc" });
  if (typeof value !== "string" || !parsed.isValid || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw invalid(field, String(value), "an ISO 8601 date or timestamp");
  }
  return parsed.toUTC();
}

function parseMonth(value: string, field: string): DateTime {
  const parsed = DateTime.fromFormat(value, "yyyy-MM", { zone: "utc" });
  if (!MONTH.test(value) || !parsed.isValid) throw invalid(field, String(value), "a month as YYYY-MM");
  return parsed;
}

function parseDay(value: string, field: string): string {
  if (!DAY.test(value) || !DateTime.fromISO(value, { zone: "utc" }).isValid) {
    throw invalid(field, String(value), "a date as YYYY-MM-DD");
  }
  return value;
}
