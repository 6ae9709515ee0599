import { DateTime } from "luxon";
import { Type } from "typebox";
import { DEFAULT_POLICY } from "../policy/default-policy.js";
import type { Db } from "../store/database.js";
import type { CaseTable, DecisionTable } from "../store/schema.js";
import { isOverdue } from "./decision-clock.js";
import { CASE_EVENTS, type CaseState, nextState } from "./lifecycle.js";

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

export function decisionView(d: DecisionTable, timeZone: string) {
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
      title: DEFAULT_POLICY.clauses[id]?.title ?? id,
      text: DEFAULT_POLICY.clauses[id]?.text ?? "",
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

export async function caseDetailView(db: Db, c: CaseTable, now: string) {
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
    decisions: decisions.map((d) => decisionView(d, c.time_zone)),
    appeal: appeal
      ? { id: appeal.id, argument: appeal.argument, filedAt: appeal.filed_at, assignedTo: appeal.assigned_to }
      : null,
  };
}
