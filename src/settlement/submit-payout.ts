import { GatewayError, type GatewayRefund, type GatewayRefundRequest } from "../gateway/gateway.js";
import { gatewayFromConfig } from "../gateway/http-gateway.js";
import type { JobHandler } from "../jobs/worker.js";
import type { Services, WriteContext } from "../shared/context.js";
import { conflict } from "../shared/errors.js";
import { inTransaction, type Tx } from "../store/database.js";
import type { JobTable, PayoutTable } from "../store/schema.js";
import { applyGatewayRefund, movePayout, PAYOUT_ACTORS, recordPayoutChange } from "./apply-gateway-refund.js";
import { openPayoutTask } from "./finance-tasks.js";
import { loadPayoutForUpdate } from "./load-payout.js";
import { schedulePayoutCheck } from "./payout-jobs.js";
import { payoutAmount } from "./payout-notices.js";
import { idempotencyKeyFor } from "./payout-state.js";

export { checkPayouts } from "./check-payouts.js";

export const NO_GATEWAY_MESSAGE = "No payment gateway is configured (REFUND_DESK_GATEWAY_URL is not set)";

type Start = { kind: "done" } | { kind: "send"; payout: PayoutTable; request: GatewayRefundRequest };

/**
 * The `payout.submit` job: phase 2 of a refund to the original payment method (phase 1, the
 * internal reversal, was posted with the decision). Three steps, the middle one outside any
 * transaction because it cannot be rolled back:
 * 1. in a transaction, mark the submission as started (so a crash is visible and polled);
 * 2. post the refund at the gateway, with the payout's idempotency key;
 * 3. in a transaction, apply the gateway's answer.
 * A crash or a timeout anywhere leaves the payout `pending`; the job runs again (or the poll sends
 * it again) with the same key, so the gateway returns the refund it already has instead of a second.
 */
export const submitPayout: JobHandler = async (services, payload, job) => {
  const payoutId = typeof payload.payoutId === "string" ? payload.payoutId : "";
  const ctx: WriteContext = { actor: PAYOUT_ACTORS.worker, requestId: null };
  const gateway = gatewayFromConfig(services.config);
  const start = await inTransaction(services.store, (tx) =>
    beginSubmission(tx, services, ctx, payoutId, gateway !== null, job),
  );
  if (start.kind === "done" || gateway === null) return;

  let refund: GatewayRefund;
  try {
    refund = await gateway.createRefund(start.request);
  } catch (error) {
    await inTransaction(services.store, (tx) =>
      submissionFailed(tx, services, ctx, start.payout, error, job),
    );
    // Only a refusal is final; after anything else the refund may exist, and only asking again
    // with the same key (the job's retry) can tell.
    if (error instanceof GatewayError && !error.retryable) return;
    throw error;
  }

  await inTransaction(services.store, async (tx) => {
    const payout = await loadPayoutForUpdate(tx, services, payoutId);
    if (payout) await applyGatewayRefund(tx, services, ctx, payout, refund, "submission");
  });
};

async function beginSubmission(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  payoutId: string,
  gatewayConfigured: boolean,
  job: JobTable,
): Promise<Start> {
  const payout = await loadPayoutForUpdate(tx, services, payoutId);
  // Anything but pending was already answered (by this job's earlier run, a poll or a webhook).
  if (payout?.status !== "pending") return { kind: "done" };
  const at = services.clock.now().toISOString();
  const row = await tx
    .selectFrom("cases")
    .selectAll()
    .where("id", "=", payout.case_id)
    .executeTakeFirstOrThrow();

  if (!gatewayConfigured) {
    // Not a crash: the payout waits, visibly, until finance re-queues it once a gateway is set up.
    if (payout.last_error !== NO_GATEWAY_MESSAGE) {
      const updated = await bump(tx, payout, { last_error: NO_GATEWAY_MESSAGE, updated_at: at });
      await recordPayoutChange(tx, services, ctx, updated, row, {
        action: "waiting_for_gateway",
        note: NO_GATEWAY_MESSAGE,
        at,
        timeline: false,
        data: { attempt: payout.attempt },
      });
    }
    await openPayoutTask(tx, services, ctx, {
      kind: "payout_no_gateway",
      payoutId: payout.id,
      organisationId: payout.organisation_id,
      summary: `Refund of ${payoutAmount(payout)} ${payout.currency} on ${row.ticket_number} cannot be sent: no payment gateway is configured`,
      details: { caseId: payout.case_id, attempt: payout.attempt },
    });
    return { kind: "done" };
  }

  if (payout.payment_id === null) {
    // NOTE: without the original payment there is nothing to refund to; finance decides how to pay.
    await movePayout(tx, services, ctx, payout, {
      event: "failed",
      via: "submission",
      gatewayRefundId: null,
      failureCode: "original_payment_unknown",
      lastError: "The charge's original payment is not known (no invoice or payment record)",
    });
    return { kind: "done" };
  }

  const key = idempotencyKeyFor(payout);
  const updated = await bump(tx, payout, { submitted_at: payout.submitted_at ?? at, updated_at: at });
  await recordPayoutChange(tx, services, ctx, updated, row, {
    action: "submitting",
    note: `Sending the refund to the gateway (attempt ${payout.attempt})`,
    at,
    timeline: false,
    data: { attempt: payout.attempt, idempotencyKey: key, jobAttempt: job.attempts },
  });
  // Whatever happens to this worker, a poll will look at the payout later.
  await schedulePayoutCheck(tx, services);
  return {
    kind: "send",
    payout: updated,
    request: {
      idempotencyKey: key,
      paymentId: payout.payment_id,
      amountMinor: BigInt(payout.amount_minor),
      currency: payout.currency,
      reason: `Refund ${row.ticket_number ?? row.id}`,
      metadata: {
        payoutId: payout.id,
        attempt: String(payout.attempt),
        caseId: payout.case_id,
        decisionId: payout.decision_id,
        ticketNumber: row.ticket_number ?? "",
      },
    },
  };
}

/** The gateway call threw: a refusal fails the payout; anything else is noted for the retry. */
async function submissionFailed(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  sent: PayoutTable,
  error: unknown,
  job: JobTable,
): Promise<void> {
  const payout = await loadPayoutForUpdate(tx, services, sent.id);
  // Moved on meanwhile (a webhook brought the outcome, or finance retried): nothing to record.
  if (payout?.status !== "pending" || payout.attempt !== sent.attempt) return;
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
  if (error instanceof GatewayError && !error.retryable) {
    await movePayout(tx, services, ctx, payout, {
      event: "failed",
      via: "submission",
      gatewayRefundId: null,
      failureCode: error.code ?? "rejected",
      lastError: message,
    });
    return;
  }
  const at = services.clock.now().toISOString();
  const row = await tx
    .selectFrom("cases")
    .selectAll()
    .where("id", "=", payout.case_id)
    .executeTakeFirstOrThrow();
  const updated = await bump(tx, payout, { last_error: message, updated_at: at });
  const lastTry = job.attempts >= job.max_attempts;
  await recordPayoutChange(tx, services, ctx, updated, row, {
    action: "submit_error",
    note: message,
    at,
    timeline: false,
    data: {
      attempt: payout.attempt,
      idempotencyKey: idempotencyKeyFor(payout),
      jobAttempt: job.attempts,
      kind: error instanceof GatewayError ? error.kind : "unexpected",
      willRetry: !lastTry,
    },
  });
  if (lastTry)
    await openPayoutTask(tx, services, ctx, {
      kind: "payout_stuck",
      payoutId: payout.id,
      organisationId: payout.organisation_id,
      summary: `Refund on ${row.ticket_number} could not be sent after ${job.attempts} attempts: ${message}`,
      details: { caseId: payout.case_id, attempt: payout.attempt, idempotencyKey: idempotencyKeyFor(payout) },
    });
}

/** Writes bookkeeping columns with the version check every payout write makes. */
async function bump(
  tx: Tx,
  payout: PayoutTable,
  patch: Partial<Pick<PayoutTable, "last_error" | "submitted_at" | "updated_at">>,
): Promise<PayoutTable> {
  const updated = await tx
    .updateTable("payouts")
    .set({ ...patch, version: payout.version + 1 })
    .where("id", "=", payout.id)
    .where("version", "=", payout.version)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw conflict("The payout changed while this update ran; try again");
  return updated;
}
