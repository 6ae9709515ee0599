/**
 * §2 billed_beyond_usage (docs/audit-rules.md): a claimable Usage charge of a resource the usage file
 * covers, billed for more than the usage shows within its charge period.
 *
 * - Hours: actual = the union of the resource's intervals clipped to the charge period, rounded up to
 *   a whole hour. SQL keeps only charges billed for more than their longest single clipped interval
 *   (rounded up): the union is at least that long, so no finding is lost, and a charge whose period
 *   one record covers never leaves the engine. The union itself is computed exactly, in JavaScript,
 *   by `unionIntervals` (the same code the SLA availability uses) for those candidates only.
 * - Other units: actual = the sum of `quantity` of the resource's records in that unit starting in the
 *   charge period, summed in SQL (DECIMAL, exact) and re-checked in JavaScript.
 */
import { type Interval, totalLength, unionIntervals } from "../../billing/evidence/availability.js";
import { Dec, Money, parseDecimal } from "../../money/index.js";
import { type Candidate, plain } from "../candidate.js";
import { type ChargeFact, chargeFactColumns, readChargeFact } from "../charge-fact.js";
import type { EvidenceRef } from "../finding.js";
import { KIND_RULES } from "../kinds.js";
import { claimable, hourUnit, optStr, q, readRows, type SqlRow, str } from "../sql.js";
import { ceilDiv, earlier, formatIso, later, parseSqlTimestamp, US_PER_HOUR } from "../time.js";
import type { DetectorContext } from "./context.js";

const USAGE_COLUMNS = `u.x_SourceRef AS u_ref,
  CAST(u.${q("start")} AS VARCHAR) AS u_start,
  CAST(u.${q("end")} AS VARCHAR) AS u_end,
  CAST(u.${q("quantity")} AS VARCHAR) AS u_quantity`;

const CHARGE_KEY = "c.x_SourceFile, c.x_SourceLine";
const joinKey = (a: string, b: string) =>
  `${a}.x_SourceFile = ${b}.x_SourceFile AND ${a}.x_SourceLine = ${b}.x_SourceLine`;

/**
 * Hour-priced candidates, with every usage interval that overlaps their charge period. A claimable
 * Usage charge is one row of its source line, so (file, line) identifies it.
 */
export function hourlyBeyondUsageSql(): string {
  const eligible = `${claimable("c")} AND c.ChargeCategory = 'Usage' AND c.PricingQuantity > 0 AND ${hourUnit("c")}`;
  const overlap = (u: string) =>
    `${u}.${q("resourceId")} = c.ResourceId AND ${u}.${q("start")} < c.ChargePeriodEnd AND ${u}.${q("end")} > c.ChargePeriodStart`;
  return `WITH covered AS (
  SELECT DISTINCT ${q("resourceId")} AS rid FROM usage
), flagged AS (
  -- date_diff is DuckDB's spelling of a timestamp difference (here in microseconds).
  SELECT ${CHARGE_KEY}
  FROM charges c JOIN covered v ON c.ResourceId = v.rid
    LEFT JOIN usage u ON ${overlap("u")}
  WHERE ${eligible}
  GROUP BY ${CHARGE_KEY}, c.PricingQuantity
  -- FILTER: greatest/least skip NULLs, so the charge's own period must not stand in for no usage.
  HAVING c.PricingQuantity > COALESCE((max(date_diff('microsecond',
      greatest(u.${q("start")}, c.ChargePeriodStart), least(u.${q("end")}, c.ChargePeriodEnd)))
      FILTER (WHERE u.${q("start")} IS NOT NULL) + ${US_PER_HOUR - 1n}) // ${US_PER_HOUR}, 0)
)
SELECT ${chargeFactColumns("c")},
  ${USAGE_COLUMNS}
FROM charges c JOIN flagged f ON ${joinKey("c", "f")}
  LEFT JOIN usage u ON ${overlap("u")}
WHERE ${eligible}
ORDER BY ${CHARGE_KEY}, u.${q("start")}, u.${q("end")}, u.x_SourceRef`;
}

/** Candidates priced in another unit, with the usage records in that unit starting in their period. */
export function meteredBeyondUsageSql(): string {
  const eligible = `${claimable("c")} AND c.ChargeCategory = 'Usage' AND c.PricingQuantity > 0 AND NOT ${hourUnit("c")}`;
  const counted = (u: string) =>
    `${u}.${q("resourceId")} = c.ResourceId AND lower(${u}.${q("unit")}) = lower(c.PricingUnit) AND ${u}.${q("quantity")} IS NOT NULL AND ${u}.${q("start")} >= c.ChargePeriodStart AND ${u}.${q("start")} < c.ChargePeriodEnd`;
  return `WITH covered AS (
  SELECT DISTINCT ${q("resourceId")} AS rid, lower(${q("unit")}) AS unit FROM usage
  WHERE ${q("quantity")} IS NOT NULL AND ${q("unit")} IS NOT NULL
), flagged AS (
  SELECT ${CHARGE_KEY}
  FROM charges c JOIN covered v ON c.ResourceId = v.rid AND lower(c.PricingUnit) = v.unit
    LEFT JOIN usage u ON ${counted("u")}
  WHERE ${eligible}
  GROUP BY ${CHARGE_KEY}, c.PricingQuantity
  HAVING c.PricingQuantity > COALESCE(sum(u.${q("quantity")}), 0)
)
SELECT ${chargeFactColumns("c")},
  ${USAGE_COLUMNS}
FROM charges c JOIN flagged f ON ${joinKey("c", "f")}
  LEFT JOIN usage u ON ${counted("u")}
WHERE ${eligible}
ORDER BY ${CHARGE_KEY}, u.${q("start")}, u.${q("end")}, u.x_SourceRef`;
}

interface Group {
  fact: ChargeFact;
  records: SqlRow[];
}

function groupByCandidate(rows: SqlRow[]): Group[] {
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const cid = `${str(row, "c_ref")}\u0000${str(row, "c_ChargePeriodStart")}`;
    let group = groups.get(cid);
    if (group === undefined) {
      group = { fact: readChargeFact(row), records: [] };
      groups.set(cid, group);
    }
    if (optStr(row, "u_ref") !== null) group.records.push(row);
  }
  return [...groups.values()];
}

function usageEvidence(row: SqlRow, resourceId: string): EvidenceRef {
  return {
    type: "usage",
    ref: str(row, "u_ref"),
    resourceId,
    start: formatIso(parseSqlTimestamp(str(row, "u_start"))),
    end: formatIso(parseSqlTimestamp(str(row, "u_end"))),
  };
}

function candidate(
  fact: ChargeFact,
  actual: Dec,
  evidence: EvidenceRef[],
  facts: Candidate["facts"],
): Candidate | null {
  const billedQuantity = fact.pricingQuantity!;
  if (!billedQuantity.greaterThan(actual)) return null;
  const billed = Money.of(plain(fact.billedCost), fact.currency);
  return {
    kind: "billed_beyond_usage",
    accountId: fact.accountId,
    currency: fact.currency,
    charges: [fact],
    // (PricingQuantity − actual) × BilledCost / PricingQuantity
    amount: billed.times(billedQuantity.minus(actual)).dividedBy(billedQuantity),
    evidence,
    clauses: [KIND_RULES.billed_beyond_usage.clause],
    outcome: KIND_RULES.billed_beyond_usage.outcome,
    serviceName: fact.serviceName,
    regionId: fact.regionId,
    resourceId: fact.resourceId,
    figures: {
      billedQuantity: plain(billedQuantity),
      actualQuantity: plain(actual),
      unit: fact.pricingUnit ?? "",
      billedCost: plain(fact.billedCost),
    },
    window: { type: "after_charge", end: fact.end },
    facts,
  };
}

export async function detectBilledBeyondUsage(context: DetectorContext): Promise<Candidate[]> {
  if (!context.tables.has("usage")) return [];
  const out: Candidate[] = [];

  for (const { fact, records } of groupByCandidate(
    await readRows(context.connection, hourlyBeyondUsageSql()),
  )) {
    const clipped: Interval[] = records.map((r) => {
      const s = parseSqlTimestamp(str(r, "u_start"));
      const e = parseSqlTimestamp(str(r, "u_end"));
      return { start: later(s, fact.start), end: earlier(e, fact.end) };
    });
    const runs = unionIntervals(clipped);
    // NOTE: docs/audit-rules.md §2: run time in hours is rounded up to a whole hour.
    const hours = ceilDiv(totalLength(runs), US_PER_HOUR);
    const actual = new Dec(hours.toString());
    const found = candidate(
      fact,
      actual,
      records.map((r) => usageEvidence(r, fact.resourceId!)),
      {
        kind: "billed_beyond_usage",
        hourly: true,
        billedQuantity: plain(fact.pricingQuantity!),
        actualQuantity: hours.toString(),
        runs: runs.map((i) => ({ start: i.start, end: i.end })),
      },
    );
    if (found !== null) out.push(found);
  }

  for (const { fact, records } of groupByCandidate(
    await readRows(context.connection, meteredBeyondUsageSql()),
  )) {
    let actual = new Dec(0);
    for (const r of records) actual = actual.plus(parseDecimal(str(r, "u_quantity"), "quantity"));
    const found = candidate(
      fact,
      actual,
      records.map((r) => usageEvidence(r, fact.resourceId!)),
      {
        kind: "billed_beyond_usage",
        hourly: false,
        billedQuantity: plain(fact.pricingQuantity!),
        actualQuantity: plain(actual),
        unit: fact.pricingUnit ?? "",
        records: records.length,
      },
    );
    if (found !== null) out.push(found);
  }
  return out;
}
