import { DateTime } from "luxon";
import { Type } from "typebox";
import { slaCreditPercent } from "../audit/detectors/sla-credit.js";
import {
  availabilityPercent,
  type Interval,
  monthKey,
  monthLengthMs,
  splitByMonth,
  unionIntervals,
} from "../billing/evidence/availability.js";
import { formatUtc, monthStartMs, parseTimestamp } from "../billing/evidence/timestamps.js";
import type { Policy } from "../policy/policy.js";
import { findSlaEntry } from "../policy/sla-tables.js";
import { AppError } from "../shared/errors.js";
import type { Db } from "../store/database.js";
import type { CaseTable, ChargeTable, DecisionTable } from "../store/schema.js";
import { isOverdue } from "./decision-clock.js";
import { CASE_EVENTS, type CaseState, nextState } from "./lifecycle.js";
import { requestBilledVersusActual } from "./request-builder.js";
import { draftFor } from "./request-for.js";
import type { CaseChannel, CaseReason, DesiredOutcome } from "./vocabulary.js";

const Str = Type.String();
const NullableStr = Type.Union([Type.String(), Type.Null()]);

export const CaseSummaryView = Type.Object({
  id: Str,
  ticketNumber: NullableStr,
  requestId: Str,
  organisationId: Str,
  accountId: Str,
  chargeId: Str,
  findingId: NullableStr,
  reason: Str,
  desiredOutcome: Str,
  amount: Type.String({ description: "Requested amount, exact decimal" }),
  currency: Str,
  summary: Str,
  channel: Str,
  state: Str,
  queue: Str,
  assignedRole: Str,
  assigneeId: NullableStr,
  fastTrack: Type.Boolean(),
  riskSignals: Type.Array(Str),
  timeZone: Str,
  expectedDecisionBy: Type.Union([
    Type.Object({ date: Str, at: Str, description: Type.Optional(Str) }),
    Type.Null(),
  ]),
  overdue: Type.Boolean(),
  clockPaused: Type.Boolean(),
  submittedAt: NullableStr,
  decidedAt: NullableStr,
  closedAt: NullableStr,
  appealBy: NullableStr,
  version: Type.Integer({ description: "Send back as expectedVersion: a stale write gets 409" }),
  createdAt: Str,
  updatedAt: Str,
});

/** An instant shown in the customer's zone with its offset, e.g. 2026-05-03T17:00:00.000+08:00. */
export const localTime = (at: string, timeZone: string): string =>
  DateTime.fromISO(at, { zone: "utc" }).setZone(timeZone).toISO() ?? at;

export function caseSummaryView(c: CaseTable, now: string) {
  return {
    id: c.id,
    ticketNumber: c.ticket_number,
    requestId: c.request_id,
    organisationId: c.organisation_id,
    accountId: c.account_id,
    chargeId: c.charge_id,
    findingId: c.finding_id,
    reason: c.reason,
    desiredOutcome: c.desired_outcome,
    amount: c.amount,
    currency: c.currency,
    summary: c.summary,
    channel: c.channel,
    state: c.state,
    queue: c.queue,
    assignedRole: c.assigned_role,
    assigneeId: c.assignee_id,
    fastTrack: c.fast_track === 1,
    riskSignals: JSON.parse(c.risk_signals) as string[],
    timeZone: c.time_zone,
    expectedDecisionBy:
      c.due_date && c.due_at
        ? { date: c.due_date, at: c.due_at, description: `end of ${c.due_date} (${c.time_zone})` }
        : null,
    overdue: isOverdue(c, now),
    clockPaused: c.paused_since !== null,
    submittedAt: c.submitted_at,
    decidedAt: c.decided_at,
    closedAt: c.closed_at,
    appealBy: c.appeal_by,
    version: c.version,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

const DecisionView = Type.Object({
  id: Str,
  sequence: Type.Integer(),
  final: Type.Boolean(),
  outcome: Str,
  amount: NullableStr,
  currency: Str,
  rationale: Str,
  clauses: Type.Array(Type.Object({ id: Str, title: Str, text: Str })),
  evidence: Type.Array(Str),
  alternatives: Type.Array(Str),
  credit: Type.Union([
    Type.Object({ services: Type.Array(Str), regions: Type.Array(Str), expiresAt: Str }),
    Type.Null(),
  ]),
  adjustment: NullableStr,
  proration: Type.Union([Type.Object({ from: Str, to: Str }), Type.Null()]),
  appealBy: NullableStr,
  decidedBy: Str,
  decidedAt: Str,
  decidedAtLocal: Str,
  policyVersion: Str,
  letter: Str,
});

export function decisionView(d: DecisionTable, timeZone: string, policy: Policy) {
  const scope = d.credit_scope
    ? (JSON.parse(d.credit_scope) as { services: string[]; regions: string[] })
    : null;
  return {
    id: d.id,
    sequence: d.sequence,
    final: d.final === 1,
    outcome: d.outcome,
    amount: d.amount,
    currency: d.currency,
    rationale: d.rationale,
    clauses: (JSON.parse(d.clauses) as string[]).map((id) => ({
      id,
      title: policy.clauses[id]?.title ?? id,
      text: policy.clauses[id]?.text ?? "",
    })),
    evidence: JSON.parse(d.evidence) as string[],
    alternatives: JSON.parse(d.alternatives) as string[],
    credit: scope && d.credit_expires_at ? { ...scope, expiresAt: d.credit_expires_at } : null,
    adjustment: d.adjustment,
    proration: d.proration ? (JSON.parse(d.proration) as { from: string; to: string }) : null,
    appealBy: d.appeal_by,
    decidedBy: d.decided_by,
    decidedAt: d.decided_at,
    decidedAtLocal: localTime(d.decided_at, timeZone),
    policyVersion: d.policy_version,
    letter: `/cases/${d.case_id}/decisions/${d.id}/letter`,
  };
}

export const CaseDetailView = Type.Object({
  ...CaseSummaryView.properties,
  description: Str,
  impactStatement: Str,
  filedBy: Str,
  onBehalfOf: NullableStr,
  review: Type.Unknown({
    description: "The automatic initial review: checks, policy evaluation, risk signals",
  }),
  nextSteps: Type.Array(Str, { description: "Lifecycle events allowed in the current state" }),
  timeline: Type.Array(
    Type.Object({
      id: Str,
      at: Str,
      atLocal: Str,
      actor: Str,
      type: Str,
      fromState: NullableStr,
      toState: NullableStr,
      note: Str,
    }),
  ),
  evidence: Type.Array(
    Type.Object({
      id: Str,
      kind: Str,
      label: Str,
      contentType: NullableStr,
      sizeBytes: Type.Union([Type.Integer(), Type.Null()]),
      sha256: NullableStr,
      text: NullableStr,
      referenceType: NullableStr,
      referenceId: NullableStr,
      phase: Str,
      addedBy: Str,
      createdAt: Str,
    }),
  ),
  informationRequests: Type.Array(
    Type.Object({
      id: Str,
      questions: Type.Array(Str),
      businessDays: Type.Integer(),
      askedAt: Str,
      dueDate: Str,
      dueAt: Str,
      dueAtLocal: Str,
      remindAt: Str,
      status: Str,
      answer: NullableStr,
      answeredAt: NullableStr,
    }),
  ),
  decisions: Type.Array(DecisionView),
  appeal: Type.Union([Type.Object({ id: Str, argument: Str, filedAt: Str, assignedTo: Str }), Type.Null()]),
});

/** `GET /cases/{id}/analysis`: computed on request, for the reviewer's workbench panels. */
export const CaseAnalysisView = Type.Object(
  {
    billedVersusActual: Type.Union([
      Type.Object({
        rows: Type.Array(
          Type.Object({
            chargeId: Str,
            sourceRef: Str,
            resourceId: NullableStr,
            billedQuantity: NullableStr,
            actualQuantity: Type.Union([Str, Type.Null()], {
              description: "Null when the usage cannot be compared with the charge",
            }),
            unit: NullableStr,
            billedCost: Str,
            differenceQuantity: NullableStr,
          }),
        ),
        note: Str,
      }),
      Type.Null(),
    ]),
    sla: Type.Union([
      Type.Object({
        serviceName: NullableStr,
        regionId: NullableStr,
        periodStart: Str,
        periodEnd: Str,
        entry: Type.Union([
          Type.Object({
            clauseId: Str,
            scope: Str,
            thresholdPercent: Type.String({ description: "Monthly availability committed, exact decimal" }),
            sourceUrl: Str,
          }),
          Type.Null(),
        ]),
        months: Type.Array(
          Type.Object({
            month: Type.String({ description: "UTC calendar month, YYYY-MM" }),
            downtimeMs: Type.String({
              description: "Milliseconds of the month covered by its outages (an integer, as a string)",
            }),
            availabilityPercent: Str,
            creditPercent: Type.Union([Str, Type.Null()], {
              description: "Null: at or above the threshold (or no SLA table for the service)",
            }),
          }),
        ),
        incidents: Type.Array(
          Type.Object({ incidentId: Str, regionId: Str, start: Str, end: Str, statusPageUrl: NullableStr }),
        ),
      }),
      Type.Null(),
    ]),
    unavailable: Type.Union([Str, Type.Null()], {
      description: "Why the evidence could not be compared with the charge (malformed billing data)",
    }),
  },
  {
    description:
      "What the customer's own evidence says about the case's charge: billed versus actual usage (the request " +
      "builder's table) and, for an SLA breach, the outages of the charge period against the SLA threshold",
  },
);

/**
 * The SLA side of an `sla_breach` case: the incidents of the charge's service and region that overlap
 * its charge period, and each UTC month of the period's availability against the SLA table's
 * threshold — computed as the audit's `sla_credit` detector does (docs/audit-rules.md §4: the union
 * of the month's incidents, overlaps counted once).
 */
async function slaAnalysis(db: Db, policy: Policy, c: CaseTable, charge: ChargeTable) {
  const start = charge.charge_period_start ? parseTimestamp(charge.charge_period_start) : null;
  const end = charge.charge_period_end ? parseTimestamp(charge.charge_period_end) : null;
  if (!start?.ok || !end?.ok || end.ms <= start.ms) return null;
  const entry = findSlaEntry(policy.sla, charge.provider_name, charge.service_name);
  const first = monthKey(BigInt(start.ms));
  const last = monthKey(BigInt(end.ms) - 1n);
  const from = monthStartMs(Number(first.slice(0, 4)), Number(first.slice(5, 7)));
  const to = monthStartMs(Number(last.slice(0, 4)), Number(last.slice(5, 7)) + 1);
  // NOTE: an incident names the service as the SLA table does, or by one of its service codes.
  const services = entry
    ? [entry.serviceName, ...entry.serviceCodes]
    : charge.service_name
      ? [charge.service_name]
      : [];
  const rows =
    services.length === 0
      ? []
      : await db
          .selectFrom("incidents")
          .select(["incident_id", "region_id", "start_at", "end_at", "status_page_url"])
          .where("organisation_id", "=", c.organisation_id)
          .where("service_name", "in", services)
          .$if(charge.region_id !== null, (q) => q.where("region_id", "=", charge.region_id!))
          // Stored as formatUtc writes them, so the bounds compare as text in the same form.
          .where("start_at", "<", formatUtc(to))
          .where("end_at", ">", formatUtc(from))
          .orderBy("start_at")
          .orderBy("incident_id")
          .limit(1000)
          .execute();
  const parsed = rows.flatMap((r) => {
    const s = parseTimestamp(r.start_at);
    const e = parseTimestamp(r.end_at);
    return s.ok && e.ok && e.ms >= s.ms ? [{ row: r, start: s, end: e }] : [];
  });
  const intervals: Interval[] = parsed.map((p) => ({ start: BigInt(p.start.ms), end: BigInt(p.end.ms) }));
  const downtime = splitByMonth(unionIntervals(intervals));
  const months = [];
  for (let key = first; key <= last; ) {
    const monthMs = monthLengthMs(key);
    const down = downtime.get(key)?.downtimeMs ?? 0n;
    months.push({
      month: key,
      downtimeMs: down.toString(),
      availabilityPercent: availabilityPercent(down, monthMs),
      creditPercent: entry ? slaCreditPercent(entry, down, monthMs) : null,
    });
    const y = Number(key.slice(0, 4));
    const m = Number(key.slice(5, 7));
    key = monthKey(BigInt(monthStartMs(y, m + 1)));
  }
  return {
    serviceName: charge.service_name,
    regionId: charge.region_id,
    periodStart: start.iso,
    periodEnd: end.iso,
    entry: entry
      ? {
          clauseId: entry.clauseId,
          scope: entry.scope,
          thresholdPercent: entry.thresholdPercent,
          sourceUrl: entry.sourceUrl,
        }
      : null,
    months,
    // The outages of the charge period itself (the months' availability counts the whole months).
    incidents: parsed
      .filter((p) => p.start.ms < end.ms && p.end.ms > start.ms)
      .map((p) => ({
        incidentId: p.row.incident_id,
        regionId: p.row.region_id,
        start: p.start.iso,
        end: p.end.iso,
        statusPageUrl: p.row.status_page_url,
      })),
  };
}

/**
 * Read-only: the request builder's billed-versus-actual table for the case's charge (from the
 * organisation's imported usage), and the SLA side of an SLA breach. All of it is the customer's own
 * data, so whoever may read the case may read this.
 */
export async function caseAnalysis(db: Db, policy: Policy, c: CaseTable) {
  const none = { billedVersusActual: null, sla: null, unavailable: null };
  const [organisation, account, charge] = await Promise.all([
    db.selectFrom("organisations").selectAll().where("id", "=", c.organisation_id).executeTakeFirst(),
    db.selectFrom("accounts").selectAll().where("id", "=", c.account_id).executeTakeFirst(),
    db.selectFrom("charges").selectAll().where("id", "=", c.charge_id).executeTakeFirst(),
  ]);
  if (!organisation || !account || !charge) return none;
  try {
    const draft = await draftFor(db, {
      organisation,
      account,
      charges: [charge],
      amounts: { [charge.id]: c.amount },
      reason: c.reason as CaseReason,
      desiredOutcome: c.desired_outcome as DesiredOutcome,
      summary: c.summary,
      description: c.description,
      impactStatement: c.impact_statement,
      channel: c.channel as CaseChannel,
      filedBy: c.filed_by,
      onBehalfOf: c.on_behalf_of,
      evidenceLabels: [],
      findingId: c.finding_id,
    });
    return {
      billedVersusActual: requestBilledVersusActual(draft),
      sla: c.reason === "sla_breach" ? await slaAnalysis(db, policy, c, charge) : null,
      unavailable: null,
    };
  } catch (error) {
    // NOTE: malformed billing data must not hide the rest of the case from its reviewer: the
    // builder's validation error is shown in place of the comparison.
    if (error instanceof AppError && error.code === "validation_failed")
      return { ...none, unavailable: error.message };
    throw error;
  }
}

export async function caseDetailView(db: Db, policy: Policy, c: CaseTable, now: string) {
  const [events, evidence, rfis, decisions, appeal] = await Promise.all([
    db.selectFrom("case_events").selectAll().where("case_id", "=", c.id).orderBy("id").execute(),
    db.selectFrom("case_evidence").selectAll().where("case_id", "=", c.id).orderBy("id").execute(),
    db.selectFrom("information_requests").selectAll().where("case_id", "=", c.id).orderBy("id").execute(),
    db.selectFrom("decisions").selectAll().where("case_id", "=", c.id).orderBy("sequence").execute(),
    db.selectFrom("appeals").selectAll().where("case_id", "=", c.id).executeTakeFirst(),
  ]);
  return {
    ...caseSummaryView(c, now),
    description: c.description,
    impactStatement: c.impact_statement,
    filedBy: c.filed_by,
    onBehalfOf: c.on_behalf_of,
    review: c.review ? (JSON.parse(c.review) as unknown) : null,
    nextSteps: CASE_EVENTS.filter((e) => nextState(c.state as CaseState, e) !== null),
    timeline: events.map((e) => ({
      id: e.id,
      at: e.at,
      atLocal: localTime(e.at, c.time_zone),
      actor: e.actor,
      type: e.type,
      fromState: e.from_state,
      toState: e.to_state,
      note: e.note,
    })),
    evidence: evidence.map((e) => ({
      id: e.id,
      kind: e.kind,
      label: e.label,
      contentType: e.content_type,
      sizeBytes: e.size_bytes,
      sha256: e.sha256,
      text: e.text,
      referenceType: e.reference_type,
      referenceId: e.reference_id,
      phase: e.phase,
      addedBy: e.added_by,
      createdAt: e.created_at,
    })),
    informationRequests: rfis.map((r) => ({
      id: r.id,
      questions: JSON.parse(r.questions) as string[],
      businessDays: r.business_days,
      askedAt: r.asked_at,
      dueDate: r.due_date,
      dueAt: r.due_at,
      dueAtLocal: localTime(r.due_at, c.time_zone),
      remindAt: r.remind_at,
      status: r.status,
      answer: r.answer,
      answeredAt: r.answered_at,
    })),
    decisions: decisions.map((d) => decisionView(d, c.time_zone, policy)),
    appeal: appeal
      ? { id: appeal.id, argument: appeal.argument, filedAt: appeal.filed_at, assignedTo: appeal.assigned_to }
      : null,
  };
}
