import type { RowProblem } from "../charge.js";
import type { Incident } from "../evidence.js";
import { FieldReader } from "./fields.js";
import { show } from "./problems.js";
import { parseTimestamp } from "./timestamps.js";

/** Region id of an incident that names no location at all. */
export const GLOBAL_REGION = "global";
export const GCP_STATUS_PAGE = "https://status.cloud.google.com/incidents/";

export type GcpIncidentResult =
  | { kind: "records"; records: Incident[] }
  | { kind: "open" }
  | { kind: "invalid"; problems: RowProblem[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Location ids of a `[{ title, id }]` list, in order, without duplicates; undefined when malformed. */
function locationIds(list: unknown): string[] | undefined {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return undefined;
  const ids = new Set<string>();
  for (const item of list) {
    if (!isObject(item) || typeof item.id !== "string" || item.id.trim() === "") return undefined;
    ids.add(item.id.trim());
  }
  return [...ids];
}

/** The most recent update: `most_recent_update` when the feed has it, else the update with the latest `when`. */
function mostRecentUpdate(incident: Record<string, unknown>): Record<string, unknown> | undefined {
  if (isObject(incident.most_recent_update)) return incident.most_recent_update;
  if (!Array.isArray(incident.updates)) return undefined;
  let best: { update: Record<string, unknown>; ms: number } | undefined;
  for (const update of incident.updates) {
    if (!isObject(update)) continue;
    const when = update.when ?? update.modified ?? update.created;
    const parsed = typeof when === "string" ? parseTimestamp(when) : undefined;
    const ms = parsed?.ok ? parsed.ms : Number.NEGATIVE_INFINITY;
    if (best === undefined || ms > best.ms) best = { update, ms };
  }
  return best?.update;
}

/**
 * The Incident records of one incident of the Google Cloud status feed (`incidents.json`): one per affected
 * location (`previously_affected_locations[].id`, else the most recent update's `affected_locations`, else
 * `global`). An incident without `end` is still open and yields none (`open`).
 */
export function gcpIncidentRecords(incident: unknown, index: number, file: string): GcpIncidentResult {
  const r = new FieldReader(file, { row: index }, false, (f) =>
    isObject(incident) ? incident[f] : undefined,
  );
  if (!isObject(incident)) {
    r.bad(undefined, "an incident object", show(incident));
    return { kind: "invalid", problems: r.problems };
  }
  const id = r.string("id");
  const serviceName = r.string("service_name");
  const begin = r.timestamp("begin");
  const end = r.optionalTimestamp("end");
  r.after("end", end, "begin", begin);
  let regions = locationIds(incident.previously_affected_locations);
  if (regions === undefined) {
    r.bad(
      "previously_affected_locations",
      'a list of locations such as [{"id": "us-central1"}]',
      "something else",
    );
  } else if (regions.length === 0) {
    const latest = mostRecentUpdate(incident);
    regions = locationIds(latest?.affected_locations) ?? [];
  }
  if (r.problems.length > 0) return { kind: "invalid", problems: r.problems };
  if (incident.end === undefined || incident.end === null || incident.end === "") return { kind: "open" };
  const sourceRef = `${file}:${index}`;
  const statusPageUrl = `${GCP_STATUS_PAGE}${encodeURIComponent(id)}`;
  return {
    kind: "records",
    records: (regions !== undefined && regions.length > 0 ? regions : [GLOBAL_REGION]).map((regionId) => ({
      sourceRef,
      incidentId: `${id}@${regionId}`,
      serviceName,
      regionId,
      resourceIds: [],
      start: begin!.iso,
      end: end!.iso,
      statusPageUrl,
    })),
  };
}
