import { addBusinessDays, businessDaysBetween, type Region } from "../calendar/index.js";
import type { CaseTable, OrganisationTable } from "../store/schema.js";
import { type CaseState, CLOCK_RUNNING_STATES } from "./lifecycle.js";

/**
 * The decision clock: a case is due `target` business days (of the customer's region) after
 * submission, plus every business day it spent waiting for the customer, when the clock stood still.
 */

/** A customer without a country gets weekdays only (no public holidays); times in UTC. */
export function caseRegion(org: Pick<OrganisationTable, "country" | "time_zone">): Region {
  return { country: org.country ?? "ZZ", timeZone: org.time_zone ?? "UTC" };
}

export const regionOf = (row: Pick<CaseTable, "country" | "time_zone">): Region => ({
  country: row.country ?? "ZZ",
  timeZone: row.time_zone,
});

export function expectedDecision(
  submittedAt: string,
  targetBusinessDays: number,
  pausedBusinessDays: number,
  region: Region,
): { date: string; endsAt: string } {
  return addBusinessDays(submittedAt, targetBusinessDays + pausedBusinessDays, region);
}

/** The clock restarts: the business days spent waiting move the due date on. */
export function resumedClock(
  row: CaseTable,
  at: string,
): Pick<CaseTable, "paused_business_days" | "paused_since" | "due_date" | "due_at"> {
  const paused =
    row.paused_business_days +
    (row.paused_since ? businessDaysBetween(row.paused_since, at, regionOf(row)) : 0);
  const due = expectedDecision(row.submitted_at ?? at, row.target_business_days, paused, regionOf(row));
  return { paused_business_days: paused, paused_since: null, due_date: due.date, due_at: due.endsAt };
}

export function isOverdue(row: Pick<CaseTable, "state" | "due_at">, now: string): boolean {
  return CLOCK_RUNNING_STATES.includes(row.state as CaseState) && row.due_at !== null && row.due_at <= now;
}
