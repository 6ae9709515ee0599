import { type FieldError, validationFailed } from "../shared/errors.js";
import type { Db } from "../store/database.js";
import {
  aggregateDashboard,
  type CaseFact,
  type Dashboard,
  type FindingFact,
} from "./aggregate-dashboard.js";

export interface DashboardFilter {
  /** One customer organisation; undefined: every customer (provider staff). */
  organisationId?: string;
  /** First month counted, `YYYY-MM` (UTC), inclusive. */
  from?: string;
  /** Last month counted, `YYYY-MM` (UTC), inclusive. */
  to?: string;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The instants bounding the months: from the first instant of `from` to the first after `to`. */
export function monthRange(from?: string, to?: string): { start: string | null; end: string | null } {
  const errors: FieldError[] = [];
  for (const [field, value] of [
    ["from", from],
    ["to", to],
  ] as const)
    if (value !== undefined && !MONTH.test(value))
      errors.push({ field, code: "invalid_month", message: "must be a month as YYYY-MM" });
  if (errors.length === 0 && from !== undefined && to !== undefined && from > to)
    errors.push({ field: "to", code: "period_reversed", message: "must not be before from" });
  if (errors.length) throw validationFailed(errors);
  const start = from ? `${from}-01T00:00:00.000Z` : null;
  let end: string | null = null;
  if (to) {
    const [, year, month] = MONTH.exec(to)!;
    end = new Date(Date.UTC(Number(year), Number(month), 1)).toISOString();
  }
  return { start, end };
}

/**
 * Reads what the dashboard counts and aggregates it: submitted cases (drafts have no submission and
 * are nobody's work yet) with their charge's service and their decisions, and the audit's findings
 * that still stand (`resolved` ones a later audit no longer found). The period filters cases by
 * their submission month and findings by the month they were first found, both in UTC.
 *
 * NOTE: amounts are exact decimal text in the store, which SQLite's `sum` would turn into floats;
 * the rows are read as text and summed with the exact Decimal in `aggregateDashboard`.
 */
export async function loadDashboard(db: Db, filter: DashboardFilter): Promise<Dashboard> {
  const { start, end } = monthRange(filter.from, filter.to);

  let cases = db
    .selectFrom("cases")
    .leftJoin("charges", "charges.id", "cases.charge_id")
    .select([
      "cases.id",
      "cases.reason",
      "cases.currency",
      "cases.amount",
      "cases.submitted_at",
      "cases.due_at",
      "charges.service_name",
    ])
    .where("cases.submitted_at", "is not", null);
  if (filter.organisationId) cases = cases.where("cases.organisation_id", "=", filter.organisationId);
  if (start) cases = cases.where("cases.submitted_at", ">=", start);
  if (end) cases = cases.where("cases.submitted_at", "<", end);
  const caseRows = await cases.orderBy("cases.id").execute();

  let decisions = db
    .selectFrom("decisions")
    .innerJoin("cases", "cases.id", "decisions.case_id")
    .select([
      "decisions.case_id",
      "decisions.sequence",
      "decisions.outcome",
      "decisions.amount",
      "decisions.decided_at",
    ])
    .where("cases.submitted_at", "is not", null);
  if (filter.organisationId) decisions = decisions.where("cases.organisation_id", "=", filter.organisationId);
  if (start) decisions = decisions.where("cases.submitted_at", ">=", start);
  if (end) decisions = decisions.where("cases.submitted_at", "<", end);
  const decisionRows = await decisions.orderBy("decisions.case_id").orderBy("decisions.sequence").execute();

  const first = new Map<string, string>();
  const latest = new Map<string, { outcome: string; amount: string | null }>();
  for (const d of decisionRows) {
    if (!first.has(d.case_id)) first.set(d.case_id, d.decided_at);
    // Ordered by sequence: the last one seen is the latest (the appeal's decision, when there was one).
    latest.set(d.case_id, { outcome: d.outcome, amount: d.amount });
  }
  const facts: CaseFact[] = caseRows.map((c) => ({
    reason: c.reason,
    service: c.service_name,
    currency: c.currency,
    requested: c.amount,
    submittedAt: c.submitted_at!,
    dueAt: c.due_at,
    firstDecidedAt: first.get(c.id) ?? null,
    outcome: latest.get(c.id)?.outcome ?? null,
    granted: latest.get(c.id)?.amount ?? null,
  }));

  let findings = db
    .selectFrom("findings")
    .select(["kind", "currency", "amount"])
    .where("status", "<>", "resolved");
  if (filter.organisationId) findings = findings.where("organisation_id", "=", filter.organisationId);
  if (start) findings = findings.where("first_found_at", ">=", start);
  if (end) findings = findings.where("first_found_at", "<", end);
  const findingFacts: FindingFact[] = await findings.execute();

  return aggregateDashboard(facts, findingFacts);
}
