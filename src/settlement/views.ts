import { Type } from "typebox";
import type {
  AuditLogTable,
  CaseTable,
  CreditGrantTable,
  FinanceTaskTable,
  JournalEntryTable,
  PayoutTable,
} from "../store/schema.js";
import { payoutAmount } from "./payout-notices.js";
import { idempotencyKeyFor, PAYOUT_STATES } from "./payout-state.js";

const Str = Type.String();
const NullableStr = Type.Union([Type.String(), Type.Null()]);

/** What a customer sees of a refund to their payment method. */
export const CustomerPayoutView = Type.Object({
  id: Str,
  caseId: Str,
  ticketNumber: NullableStr,
  accountId: Str,
  amount: Type.String({ description: "Exact decimal in the currency's minor unit" }),
  currency: Str,
  status: Type.String({ description: PAYOUT_STATES.join(", ") }),
  failureCode: Type.Union([Type.String({ description: "e.g. card_closed" }), Type.Null()]),
  submittedAt: NullableStr,
  settledAt: NullableStr,
  createdAt: Str,
  updatedAt: Str,
});

/** What finance sees: the gateway's side too. */
export const PayoutView = Type.Object({
  ...CustomerPayoutView.properties,
  organisationId: Str,
  decisionId: Str,
  amountMinor: Type.String({ description: "Minor units, as sent to the gateway" }),
  paymentId: Type.Union([Type.String({ description: "The original payment at the gateway" }), Type.Null()]),
  attempt: Type.Integer({ description: "1, plus one per retry after a failure" }),
  idempotencyKey: Type.String({ description: "The current attempt's key at the gateway" }),
  gatewayRefundId: NullableStr,
  lastError: NullableStr,
  version: Type.Integer({ description: "Send back as expectedVersion: a stale retry gets 409" }),
});

export const PayoutDetailView = Type.Object({
  ...PayoutView.properties,
  case: Type.Object({
    id: Str,
    ticketNumber: NullableStr,
    state: Str,
    summary: Str,
    amount: Str,
    currency: Str,
  }),
  attempts: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      idempotencyKey: Str,
      events: Type.Array(
        Type.Object({
          at: Str,
          action: Str,
          actor: Str,
          details: Type.Record(Type.String(), Type.Unknown()),
        }),
      ),
    }),
    { description: "Each attempt with its history from the audit log, oldest first" },
  ),
  credit: Type.Union([
    Type.Object({
      id: Str,
      amount: Str,
      remaining: Str,
      expiresAt: Str,
      status: Str,
    }),
    Type.Null(),
  ]),
  ledgerEntries: Type.Array(Type.Object({ id: Str, kind: Str, postingKey: Str, effectiveAt: Str })),
  financeTasks: Type.Array(
    Type.Object({ id: Str, kind: Str, status: Str, summary: Str, createdAt: Str, resolvedAt: NullableStr }),
  ),
});

type WithTicket = PayoutTable & { ticket_number: string | null };

export function customerPayoutView(p: WithTicket) {
  return {
    id: p.id,
    caseId: p.case_id,
    ticketNumber: p.ticket_number,
    accountId: p.account_id,
    amount: payoutAmount(p),
    currency: p.currency,
    status: p.status,
    failureCode: p.failure_code,
    submittedAt: p.submitted_at,
    settledAt: p.settled_at,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

export function payoutView(p: WithTicket) {
  return {
    ...customerPayoutView(p),
    organisationId: p.organisation_id,
    decisionId: p.decision_id,
    amountMinor: String(p.amount_minor),
    paymentId: p.payment_id,
    attempt: p.attempt,
    idempotencyKey: idempotencyKeyFor(p),
    gatewayRefundId: p.gateway_refund_id,
    lastError: p.last_error,
    version: p.version,
  };
}

export function payoutDetailView(
  p: PayoutTable,
  c: CaseTable,
  history: readonly AuditLogTable[],
  credit: CreditGrantTable | null,
  entries: readonly JournalEntryTable[],
  tasks: readonly FinanceTaskTable[],
) {
  const events = history.map((h) => {
    const details = JSON.parse(h.summary) as Record<string, unknown>;
    return { at: h.at, action: h.action, actor: h.actor, details };
  });
  const attempts = Array.from({ length: p.attempt }, (_, i) => {
    const attempt = i + 1;
    return {
      attempt,
      idempotencyKey: idempotencyKeyFor({ id: p.id, attempt }),
      // Entries from before attempts were counted (none) belong to the first.
      events: events.filter(
        (e) => (typeof e.details.attempt === "number" ? e.details.attempt : 1) === attempt,
      ),
    };
  });
  const minor = (n: number) => payoutAmount({ amount_minor: n, currency: p.currency });
  return {
    ...payoutView({ ...p, ticket_number: c.ticket_number }),
    case: {
      id: c.id,
      ticketNumber: c.ticket_number,
      state: c.state,
      summary: c.summary,
      amount: c.amount,
      currency: c.currency,
    },
    attempts,
    credit: credit
      ? {
          id: credit.id,
          amount: minor(credit.amount_minor),
          remaining: minor(credit.remaining_minor),
          expiresAt: credit.expires_at,
          status: credit.status,
        }
      : null,
    ledgerEntries: entries.map((e) => ({
      id: e.id,
      kind: e.kind,
      postingKey: e.posting_key,
      effectiveAt: e.effective_at,
    })),
    financeTasks: tasks.map((t) => ({
      id: t.id,
      kind: t.kind,
      status: t.status,
      summary: t.summary,
      createdAt: t.created_at,
      resolvedAt: t.resolved_at,
    })),
  };
}
