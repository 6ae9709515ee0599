import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { recordCaseEvent } from "../cases/case-transition.js";
import { enqueueCreditExpirySweep } from "../credits/expire-credits.js";
import type { GatewayRefund } from "../gateway/gateway.js";
import { transfer } from "../ledger/journal.js";
import { postJournalEntry } from "../ledger/post-journal-entry.js";
import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, conflict } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";
import type { CaseTable, CreditGrantTable, PayoutTable } from "../store/schema.js";
import { openPayoutTask } from "./finance-tasks.js";
import { schedulePayoutCheck } from "./payout-jobs.js";
import { cardEnding, payoutAmount, payoutNotice } from "./payout-notices.js";
import {
  type GatewayPayoutEvent,
  gatewayEvent,
  idempotencyKeyFor,
  nextPayoutState,
  type PayoutState,
} from "./payout-state.js";

/** Who changes payouts when no person does: the submitting/polling worker, and the gateway's webhooks. */
export const PAYOUT_ACTORS = { worker: "system:payouts", gateway: "system:gateway" } as const;

/** NOTE: credit replacing a refund the card could not take lasts a year, as decided credits do (review policy). */
export const FALLBACK_CREDIT_DAYS = 365;
/** Consumed before decided credits (priority 100): it is money the customer expected back in cash. */
export const FALLBACK_CREDIT_PRIORITY = 50;
const DAY_MS = 86_400_000;

/** How a gateway state reached us; kept on the timeline and in the audit log. */
export type PayoutVia = "submission" | "poll" | "webhook";

export type ApplyOutcome =
  | { applied: true; from: PayoutState; status: PayoutState }
  | { applied: false; status: PayoutState; reason: "other_attempt" | "mismatch" | "no_transition" };

/**
 * Applies what the gateway says about a payout's refund (its answer to the submission, a poll or a
 * webhook), inside the caller's transaction; `payout` must have been read in it (locked on
 * PostgreSQL). Only the refund of the payout's current attempt counts, and only a forward move of
 * the state machine: anything else is acknowledged and changes nothing.
 */
export async function applyGatewayRefund(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  payout: PayoutTable,
  refund: GatewayRefund,
  via: PayoutVia,
): Promise<ApplyOutcome> {
  const status = payout.status;
  // Only the current attempt counts: a late event of an earlier one (failed, then retried by
  // finance) is history, not news.
  if (refund.idempotencyKey !== idempotencyKeyFor(payout))
    return { applied: false, status, reason: "other_attempt" };
  const problems: string[] = [];
  if (refund.amountMinor !== String(payout.amount_minor))
    problems.push(`amount ${refund.amountMinor} minor units, we sent ${payout.amount_minor}`);
  if (refund.currency !== payout.currency)
    problems.push(`currency ${refund.currency}, we sent ${payout.currency}`);
  if (payout.gateway_refund_id !== null && payout.gateway_refund_id !== refund.gatewayRefundId)
    problems.push(`refund ${refund.gatewayRefundId}, we know it as ${payout.gateway_refund_id}`);
  if (problems.length > 0) {
    // Money we did not ask for: never book it; a person must look.
    await openPayoutTask(tx, services, ctx, {
      kind: "payout_mismatch",
      payoutId: payout.id,
      organisationId: payout.organisation_id,
      summary: `The gateway reports a refund that does not match payout ${payout.id}`,
      details: { problems, refund, via },
    });
    return { applied: false, status, reason: "mismatch" };
  }
  const event = gatewayEvent(refund);
  if (nextPayoutState(status, event) === null) return { applied: false, status, reason: "no_transition" };
  const moved = await movePayout(tx, services, ctx, payout, {
    event,
    via,
    gatewayRefundId: refund.gatewayRefundId,
    failureCode: refund.failureCode,
    lastError: null,
  });
  return { applied: true, from: status, status: moved.status };
}

export interface PayoutMove {
  event: GatewayPayoutEvent;
  via: PayoutVia;
  gatewayRefundId: string | null;
  failureCode: string | null;
  lastError: string | null;
}

const NOTES: Record<PayoutState, (amount: string) => string> = {
  pending: (a) => `Refund of ${a} queued again for the original payment method.`,
  submitted: (a) => `Refund of ${a} sent to the payment gateway.`,
  requires_action: (a) => `Refund of ${a} waits for the customer to confirm it with their bank.`,
  succeeded: (a) => `Refund of ${a} paid to the original payment method.`,
  failed: (a) => `Refund of ${a} could not be paid to the original payment method.`,
  credited: (a) => `The original card could not receive the refund; ${a} added to the account as credit.`,
};

/**
 * Moves a payout along the state machine and does what the new state means, all inside the
 * caller's transaction: the ledger entry (exactly once, by posting key), the fallback credit, the
 * finance task, the timeline event, the audit-log entries and the customer notice.
 */
export async function movePayout(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  payout: PayoutTable,
  move: PayoutMove,
): Promise<PayoutTable> {
  const from = payout.status;
  const to = nextPayoutState(from, move.event);
  if (to === null)
    throw new AppError("invalid_transition", `A ${from} payout cannot take the event ${move.event}`, {
      extensions: { currentState: from, event: move.event },
    });
  const at = services.clock.now().toISOString();
  const settled = to === "succeeded" || to === "credited";
  const updated = await tx
    .updateTable("payouts")
    .set({
      status: to,
      gateway_refund_id: move.gatewayRefundId ?? payout.gateway_refund_id,
      failure_code: to === "failed" || to === "credited" ? move.failureCode : null,
      last_error: move.lastError,
      settled_at: settled ? at : payout.settled_at,
      updated_at: at,
      version: payout.version + 1,
    })
    .where("id", "=", payout.id)
    .where("version", "=", payout.version)
    .returningAll()
    .executeTakeFirst();
  // The row is locked (PostgreSQL) or writers are serialised (SQLite): losing here means a
  // concurrent writer committed between our read and this update; the caller's retry re-reads.
  if (!updated) throw conflict("The payout changed while this update ran; try again");
  const row = await tx
    .selectFrom("cases")
    .selectAll()
    .where("id", "=", payout.case_id)
    .executeTakeFirstOrThrow();
  const amount = `${payoutAmount(payout)} ${payout.currency}`;
  const minor = BigInt(payout.amount_minor);
  let credit: CreditGrantTable | null = null;

  if (to === "succeeded")
    // NOTE: the refund leaves refunds payable (owed since the decision) for the gateway's clearing
    // account, which the gateway's settlement report later clears (reconciliation).
    await postJournalEntry(tx, services, ctx, {
      organisationId: payout.organisation_id,
      kind: "refund_paid",
      description: `Refund paid to the original payment method on ${row.ticket_number}`,
      postingKey: `payout:${payout.id}:paid`,
      caseId: payout.case_id,
      payoutId: payout.id,
      effectiveAt: at,
      lines: transfer(
        { code: "refunds_payable", accountId: null },
        { code: "gateway_clearing", accountId: null },
        payout.currency,
        minor,
      ),
    });

  if (to === "credited") {
    credit = await fallbackCredit(tx, payout, at);
    // NOTE: still owed to the customer, now as credit on the account instead of cash to the card.
    await postJournalEntry(tx, services, ctx, {
      organisationId: payout.organisation_id,
      kind: "refund_to_credit",
      description: `Refund kept as account credit on ${row.ticket_number}: the card could not receive it`,
      postingKey: `payout:${payout.id}:credited`,
      caseId: payout.case_id,
      payoutId: payout.id,
      creditId: credit.id,
      effectiveAt: at,
      lines: transfer(
        { code: "refunds_payable", accountId: null },
        { code: "customer_credit", accountId: payout.account_id },
        payout.currency,
        minor,
      ),
    });
  }

  if (to === "failed")
    await openPayoutTask(tx, services, ctx, {
      kind: "payout_failed",
      payoutId: payout.id,
      organisationId: payout.organisation_id,
      summary: `Refund of ${amount} on ${row.ticket_number} failed${move.failureCode ? `: ${move.failureCode}` : ""}`,
      details: {
        caseId: payout.case_id,
        attempt: payout.attempt,
        idempotencyKey: idempotencyKeyFor(payout),
        failureCode: move.failureCode,
        error: move.lastError,
        via: move.via,
      },
    });

  if (to === "submitted" || to === "requires_action") await schedulePayoutCheck(tx, services);

  await recordPayoutChange(tx, services, ctx, updated, row, {
    action: to,
    note: NOTES[to](amount),
    at,
    data: {
      from,
      to,
      via: move.via,
      attempt: payout.attempt,
      idempotencyKey: idempotencyKeyFor(payout),
      gatewayRefundId: updated.gateway_refund_id,
      failureCode: updated.failure_code,
      ...(credit ? { creditId: credit.id } : {}),
    },
  });

  const notice = payoutNotice({
    payout: updated,
    case: row,
    state: to,
    at,
    cardEnding: to === "credited" ? await cardEnding(tx, updated) : null,
    credit: credit ? { id: credit.id, expiresAt: credit.expires_at } : null,
  });
  if (notice) await notifyCustomer(tx, notice);
  return updated;
}

/** The credit grant that replaces a refund the card could not take; one per payout. */
async function fallbackCredit(tx: Tx, payout: PayoutTable, at: string): Promise<CreditGrantTable> {
  const existing = await tx
    .selectFrom("credit_grants")
    .selectAll()
    .where("payout_id", "=", payout.id)
    .where("source", "=", "payout_fallback")
    .executeTakeFirst();
  if (existing) return existing;
  const credit: CreditGrantTable = {
    id: newId("creditGrant"),
    organisation_id: payout.organisation_id,
    account_id: payout.account_id,
    case_id: payout.case_id,
    decision_id: payout.decision_id,
    payout_id: payout.id,
    source: "payout_fallback",
    currency: payout.currency,
    amount_minor: payout.amount_minor,
    remaining_minor: payout.amount_minor,
    // No scope: it was cash the customer was owed, so any service in any region may use it.
    services: "[]",
    regions: "[]",
    priority: FALLBACK_CREDIT_PRIORITY,
    expires_at: new Date(Date.parse(at) + FALLBACK_CREDIT_DAYS * DAY_MS).toISOString(),
    status: "active",
    created_at: at,
    version: 1,
  };
  await tx.insertInto("credit_grants").values(credit).execute();
  await enqueueCreditExpirySweep(tx, credit.expires_at);
  return credit;
}

/**
 * One payout change on the record: the case's timeline (which the customer reads, with its own
 * audit-log entry) and an audit-log entry on the payout itself (which the payout's history reads).
 */
export async function recordPayoutChange(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  payout: PayoutTable,
  row: CaseTable,
  change: { action: string; note: string; at: string; data: Record<string, unknown>; timeline?: boolean },
): Promise<void> {
  if (change.timeline !== false)
    await recordCaseEvent(tx, services, ctx, row, {
      type: `refund_${change.action}`,
      note: change.note,
      data: { payoutId: payout.id, ...change.data },
      at: change.at,
    });
  await appendAuditEntry(tx, services.store.capabilities, {
    actor: ctx.actor,
    action: `payout.${change.action}`,
    subjectType: "payout",
    subjectId: payout.id,
    organisationId: payout.organisation_id,
    summary: { caseId: payout.case_id, ticket: row.ticket_number, ...change.data },
    requestId: ctx.requestId,
    at: change.at,
  });
}
