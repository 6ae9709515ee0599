/**
 * §4 sla_credit (docs/audit-rules.md). Incidents are few: they are read whole, and the monthly
 * downtime of each service and region is the union of its incidents per UTC month, computed exactly by
 * `downtimeByMonth` (overlapping incidents count once). Months whose availability falls below the SLA
 * give a window (service names, region, month, affected resources); one set-based query then collects
 * the affected charges of every window, and each account's charges of a window make one finding.
 */
import { availabilityPercent, downtimeByMonth } from "../../billing/evidence/availability.js";
import type { Incident } from "../../billing/evidence.js";
import { Dec, Money, parseDecimal } from "../../money/index.js";
import { findSlaEntry, type SlaEntry } from "../../policy/sla-tables.js";
import { type Candidate, plain } from "../candidate.js";
import { type ChargeFact, chargeFactColumns, compareCharges, readChargeFact } from "../charge-fact.js";
import type { EvidenceRef } from "../finding.js";
import { KIND_RULES } from "../kinds.js";
import { claimable, optStr, q, readRows, sqlString, str, strList, timestampLiteral } from "../sql.js";
import { formatIso, parseSqlTimestamp, startOfMonth, utcMicros } from "../time.js";
import type { DetectorContext } from "./context.js";

interface IncidentRow extends Incident {
  startUs: bigint;
  endUs: bigint;
}

export interface SlaWindow {
  entry: SlaEntry;
  regionId: string;
  monthStart: bigint;
  monthEnd: bigint;
  downtimeMs: bigint;
  monthMs: bigint;
  availabilityPercent: string;
  creditPercent: string;
  /** The incidents of the service and region that overlap the month. */
  incidents: IncidentRow[];
  /** Some incident of the month names no resource: every charge of the service in the region counts. */
  regionWide: boolean;
  resourceIds: string[];
}

const INCIDENTS_SQL = `SELECT x_SourceRef AS ref, ${q("incidentId")} AS id, ${q("serviceName")} AS service,
  ${q("regionId")} AS region, ${q("resourceIds")} AS resources,
  CAST(${q("start")} AS VARCHAR) AS start_text, CAST(${q("end")} AS VARCHAR) AS end_text,
  ${q("statusPageUrl")} AS url
FROM incidents
ORDER BY ${q("start")}, ${q("incidentId")}, x_SourceRef`;

/**
 * The credit percentage for `up` of `month` milliseconds: that of the lowest tier bound the
 * availability is below, capped by `maxCreditPercent`; null at or above the threshold. Exact: the
 * availability `up / month × 100` is compared by cross-multiplying.
 */
export function slaCreditPercent(entry: SlaEntry, downtimeMs: bigint, monthMs: bigint): string | null {
  const up = new Dec((monthMs - downtimeMs).toString()).times(100);
  const month = new Dec(monthMs.toString());
  const below = (percent: string) => up.lessThan(month.times(parseDecimal(percent, "percent")));
  if (!below(entry.thresholdPercent)) return null;
  let tier: { below: Dec; creditPercent: string } | null = null;
  for (const t of entry.tiers) {
    const bound = parseDecimal(t.below, "below");
    if (below(t.below) && (tier === null || bound.lessThan(tier.below)))
      tier = { below: bound, creditPercent: t.creditPercent };
  }
  if (tier === null) return null;
  const percent = parseDecimal(tier.creditPercent, "creditPercent");
  const max = parseDecimal(entry.maxCreditPercent, "maxCreditPercent");
  return plain(Dec.min(percent, max));
}

/** Months in which a service's availability in a region fell below its SLA, from the incidents. */
export function slaWindows(entries: readonly SlaEntry[], incidents: readonly IncidentRow[]): SlaWindow[] {
  const groups = new Map<string, { entry: SlaEntry; regionId: string; incidents: IncidentRow[] }>();
  for (const incident of incidents) {
    // NOTE: an incident names the service as the SLA table does, or by one of its service codes.
    const entry = findSlaEntry(entries, null, incident.serviceName);
    if (entry === undefined) continue;
    const key = `${entry.clauseId}\u0000${incident.regionId}`;
    const group = groups.get(key) ?? { entry, regionId: incident.regionId, incidents: [] };
    group.incidents.push({ ...incident, serviceName: entry.serviceName });
    groups.set(key, group);
  }
  const windows: SlaWindow[] = [];
  for (const { entry, regionId, incidents: list } of groups.values()) {
    const months = downtimeByMonth(list, { serviceName: entry.serviceName, regionId });
    for (const [month, { downtimeMs, monthMs }] of months) {
      const creditPercent = slaCreditPercent(entry, downtimeMs, monthMs);
      if (creditPercent === null) continue;
      const monthStart = utcMicros(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1);
      const monthEnd = startOfMonth(monthStart, 1);
      const inMonth = list.filter((i) => i.startUs < monthEnd && i.endUs > monthStart);
      windows.push({
        entry,
        regionId,
        monthStart,
        monthEnd,
        downtimeMs,
        monthMs,
        availabilityPercent: availabilityPercent(downtimeMs, monthMs),
        creditPercent,
        incidents: inMonth,
        regionWide: inMonth.some((i) => i.resourceIds.length === 0),
        resourceIds: [...new Set(inMonth.flatMap((i) => i.resourceIds))].sort(),
      });
    }
  }
  return windows;
}

/**
 * The affected charges of every window, in one query whatever the number of windows. Each window is
 * spelled out as rows of (service name, region, month, resource), resource NULL for a region-wide
 * outage, so the charges join it on equality (hashable) rather than through a subquery.
 */
export function slaChargesSql(windows: readonly SlaWindow[]): string {
  const w = windows.flatMap((win, i) =>
    [win.entry.serviceName, ...win.entry.serviceCodes].flatMap((service) =>
      (win.regionWide ? [null] : win.resourceIds).map(
        (resource) =>
          `(${i}, ${sqlString(service)}, ${sqlString(win.entry.providerName)}, ${sqlString(win.regionId)}, ` +
          `${timestampLiteral(win.monthStart)}, ${timestampLiteral(win.monthEnd)}, ` +
          `${resource === null ? "CAST(NULL AS VARCHAR)" : sqlString(resource)})`,
      ),
    ),
  );
  return `WITH w AS (
  SELECT * FROM (VALUES ${w.join(",\n    ")}) AS w(win, service, provider, region, month_start, month_end, resource)
)
SELECT CAST(w.win AS VARCHAR) AS win, ${chargeFactColumns("c")}
FROM charges c JOIN w ON c.ServiceName = w.service AND c.RegionId = w.region
  AND c.ChargePeriodStart >= w.month_start AND c.ChargePeriodStart < w.month_end
  AND (w.resource IS NULL OR w.resource = c.ResourceId)
WHERE ${claimable("c")} AND (c.ProviderName IS NULL OR c.ProviderName = w.provider)`;
}

export async function readIncidents(context: DetectorContext): Promise<IncidentRow[]> {
  const rows = await readRows(context.connection, INCIDENTS_SQL);
  return rows.map((r) => {
    const startUs = parseSqlTimestamp(str(r, "start_text"));
    const endUs = parseSqlTimestamp(str(r, "end_text"));
    return {
      sourceRef: str(r, "ref"),
      incidentId: str(r, "id"),
      serviceName: str(r, "service"),
      regionId: str(r, "region"),
      resourceIds: strList(r, "resources"),
      start: formatIso(startUs),
      end: formatIso(endUs),
      statusPageUrl: optStr(r, "url"),
      startUs,
      endUs,
    };
  });
}

export async function detectSlaCredits(context: DetectorContext): Promise<Candidate[]> {
  if (!context.tables.has("incidents")) return [];
  const windows = slaWindows(context.policy.sla, await readIncidents(context));
  if (windows.length === 0) return [];
  const rows = await readRows(context.connection, slaChargesSql(windows));
  const groups = new Map<string, { win: SlaWindow; charges: ChargeFact[] }>();
  for (const row of rows) {
    const fact = readChargeFact(row);
    const index = Number(str(row, "win"));
    const key = `${index}\u0000${fact.accountId}\u0000${fact.currency}`;
    const group = groups.get(key) ?? { win: windows[index]!, charges: [] };
    group.charges.push(fact);
    groups.set(key, group);
  }
  const out: Candidate[] = [];
  for (const { win, charges } of groups.values()) {
    charges.sort(compareCharges);
    const first = charges[0]!;
    const affected = Money.sum(
      charges.map((c) => Money.of(plain(c.billedCost), c.currency)),
      first.currency,
    );
    const resources = new Set(charges.map((c) => c.resourceId));
    const incidents: EvidenceRef[] = win.incidents.map((i) => ({
      type: "incident",
      ref: i.sourceRef,
      incidentId: i.incidentId,
      start: i.start,
      end: i.end,
      statusPageUrl: i.statusPageUrl,
    }));
    out.push({
      kind: "sla_credit",
      accountId: first.accountId,
      currency: first.currency,
      charges,
      // percentage × the affected charges' billed cost
      amount: affected.times(win.creditPercent).dividedBy("100"),
      evidence: [
        ...incidents,
        {
          type: "sla",
          clauseId: win.entry.clauseId,
          thresholdPercent: win.entry.thresholdPercent,
          availabilityPercent: win.availabilityPercent,
          creditPercent: win.creditPercent,
          sourceUrl: win.entry.sourceUrl,
        },
      ],
      clauses: [KIND_RULES.sla_credit.clause, win.entry.clauseId],
      outcome: KIND_RULES.sla_credit.outcome,
      serviceName: win.entry.serviceName,
      regionId: win.regionId,
      resourceId: resources.size === 1 ? first.resourceId : null,
      figures: {
        availabilityPercent: win.availabilityPercent,
        thresholdPercent: win.entry.thresholdPercent,
        creditPercent: win.creditPercent,
        downtimeSeconds: plain(new Dec(win.downtimeMs.toString()).dividedBy(1000)),
        affectedBilledCost: affected.amount,
      },
      window: { type: "sla", monthStart: win.monthStart, monthEnd: win.monthEnd },
      facts: {
        kind: "sla_credit",
        monthStart: win.monthStart,
        serviceName: win.entry.serviceName,
        regionId: win.regionId,
        downtimeUs: win.downtimeMs * 1000n,
        availabilityPercent: win.availabilityPercent,
        thresholdPercent: win.entry.thresholdPercent,
        creditPercent: win.creditPercent,
        incidents: win.incidents.length,
        regionWide: win.regionWide,
        affectedCost: affected.amount,
      },
    });
  }
  return out;
}
