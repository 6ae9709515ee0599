/**
 * Claim deadlines (docs/audit-rules.md "Claimability"). A finding is claimable while `--as-of` is on
 * or before its `claimBy` date. Window lengths are policy data (`policy.claimWindows`).
 */
import type { ClaimWindows } from "../policy/policy.js";
import type { ClaimWindow } from "./candidate.js";
import type { FindingKind } from "./finding.js";
import { addMonths, formatDate, startOfMonth, US_PER_DAY } from "./time.js";

/** The last day (UTC, `YYYY-MM-DD`) on which a finding may still be claimed. */
export function claimBy(kind: FindingKind, window: ClaimWindow, windows: ClaimWindows): string {
  const override = windows.byKind?.[kind];
  if (override !== undefined) {
    const end =
      window.type === "after_charge" ? window.end : window.type === "sla" ? window.monthEnd : window.termEnd;
    return formatDate(addMonths(end, override));
  }
  switch (window.type) {
    case "after_charge":
      // NOTE: "12 months after the charge period's end": the day that instant falls on is the last one.
      return formatDate(addMonths(window.end, windows.defaultMonthsAfterCharge));
    case "sla":
      // NOTE: "by the end of the second billing cycle after the month of the incident": 2 → the last
      // day of month + 2, i.e. claimable while --as-of is before the first day of month + 3.
      return formatDate(
        startOfMonth(window.monthStart, windows.slaBillingCyclesAfterIncident + 1) - US_PER_DAY,
      );
    case "prepaid":
      return formatDate(window.termEnd + BigInt(windows.prepaidDaysAfterTermEnd) * US_PER_DAY);
  }
}

/** Both dates `YYYY-MM-DD`: claimable on the deadline itself, not after. */
export function isClaimable(asOf: string, deadline: string): boolean {
  return asOf <= deadline;
}
