import type { GatewayRefund, PaymentGateway } from "../gateway/gateway.js";
import { gatewayFromConfig } from "../gateway/http-gateway.js";
import type { JobHandler } from "../jobs/worker.js";
import type { Services, WriteContext } from "../shared/context.js";
import { inTransaction, type Tx } from "../store/database.js";
import type { PayoutTable } from "../store/schema.js";
import { applyGatewayRefund, PAYOUT_ACTORS, recordPayoutChange } from "./apply-gateway-refund.js";
import { openPayoutTask } from "./finance-tasks.js";
import { loadPayoutForUpdate } from "./load-payout.js";
import { enqueuePayoutSubmit, PAYOUT_CHECK_AFTER_MS, schedulePayoutCheck } from "./payout-jobs.js";
import { idempotencyKeyFor } from "./payout-state.js";

const PAGE = 100;

/** Pending payouts whose submission started (they may be at the gateway), and those the gateway has. */
function unsettled(db: Services["store"]["db"]) {
  return db
    .selectFrom("payouts")
    .where((eb) =>
      eb.or([
        eb.and([eb("status", "=", "pending"), eb("submitted_at", "is not", null)]),
        eb("status", "in", ["submitted", "requires_action"]),
      ]),
    );
}

/**
 * The `payout.check` job: webhooks get lost, so payouts the gateway has not settled for a while
 * are asked about by idempotency key, and the answer is applied exactly as a webhook's would be.
 * A payout whose submission started but that the gateway never saw is sent again (same key). The
 * job re-enqueues itself while anything remains unsettled; submissions enqueue it too (coalesced).
 */
export const checkPayouts: JobHandler = async (services) => {
  const gateway = gatewayFromConfig(services.config);
  if (gateway === null) return;
  const ctx: WriteContext = { actor: PAYOUT_ACTORS.worker, requestId: null };
  const db = services.store.db;
  const now = services.clock.now();
  const before = new Date(now.getTime() - PAYOUT_CHECK_AFTER_MS).toISOString();
  let after = "";
  for (;;) {
    // A pending payout is stuck from when its submission started; the others since their last change.
    const batch = await db
      .selectFrom("payouts")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb("status", "=", "pending"), eb("submitted_at", "<=", before)]),
          eb.and([eb("status", "in", ["submitted", "requires_action"]), eb("updated_at", "<=", before)]),
        ]),
      )
      .where("id", ">", after)
      .orderBy("id")
      .limit(PAGE)
      .execute();
    for (const payout of batch) await checkPayout(services, ctx, gateway, payout);
    const last = batch.at(-1);
    if (batch.length < PAGE || !last) break;
    after = last.id;
  }
  const remaining = await unsettled(db).select("id").limit(1).executeTakeFirst();
  if (remaining) await inTransaction(services.store, (tx) => schedulePayoutCheck(tx, services));
};

async function checkPayout(
  services: Services,
  ctx: WriteContext,
  gateway: PaymentGateway,
  seen: PayoutTable,
): Promise<void> {
  let refund: GatewayRefund | null;
  try {
    refund = await gateway.getRefund(idempotencyKeyFor(seen));
  } catch (error) {
    // One payout's failed poll must not hold up the others; the next check asks again.
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    await inTransaction(services.store, (tx) => noteCheckError(tx, services, ctx, seen, message));
    return;
  }
  await inTransaction(services.store, async (tx) => {
    const payout = await loadPayoutForUpdate(tx, services, seen.id);
    // Retried by finance meanwhile: the answer was about an attempt that no longer counts.
    if (!payout || payout.attempt !== seen.attempt) return;
    if (refund) {
      await applyGatewayRefund(tx, services, ctx, payout, refund, "poll");
      return;
    }
    if (payout.status !== "pending") {
      // The gateway answered this payout before and now does not know it: a person must look.
      await openPayoutTask(tx, services, ctx, {
        kind: "payout_mismatch",
        payoutId: payout.id,
        organisationId: payout.organisation_id,
        summary: `The gateway does not know the refund of ${payout.status} payout ${payout.id}`,
        details: { idempotencyKey: idempotencyKeyFor(payout), gatewayRefundId: payout.gateway_refund_id },
      });
      return;
    }
    await resubmit(tx, services, ctx, payout);
  });
}

/**
 * Sends a pending payout the gateway never saw once more, unless a submission is already queued
 * or running (a running one whose worker died is re-claimed when its lease ends).
 */
async function resubmit(tx: Tx, services: Services, ctx: WriteContext, payout: PayoutTable): Promise<void> {
  const payload = { payoutId: payout.id };
  const active = await tx
    .selectFrom("jobs")
    .select("id")
    .where("kind", "=", "payout.submit")
    .where("payload", "=", JSON.stringify(payload))
    .where("status", "in", ["queued", "running"])
    .executeTakeFirst();
  if (active) return;
  const at = services.clock.now().toISOString();
  const jobId = await enqueuePayoutSubmit(tx, services, payout.id);
  const row = await tx
    .selectFrom("cases")
    .selectAll()
    .where("id", "=", payout.case_id)
    .executeTakeFirstOrThrow();
  await recordPayoutChange(tx, services, ctx, payout, row, {
    action: "resubmitted",
    note: "The gateway never received the refund: sending it again with the same idempotency key",
    at,
    timeline: false,
    data: { attempt: payout.attempt, idempotencyKey: idempotencyKeyFor(payout), jobId },
  });
}

async function noteCheckError(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  seen: PayoutTable,
  message: string,
): Promise<void> {
  const payout = await loadPayoutForUpdate(tx, services, seen.id);
  if (!payout || payout.version !== seen.version) return;
  const at = services.clock.now().toISOString();
  // updated_at stays: the payout did not change, and it must stay due for the next check.
  await tx
    .updateTable("payouts")
    .set({ last_error: message, version: payout.version + 1 })
    .where("id", "=", payout.id)
    .where("version", "=", payout.version)
    .execute();
  const row = await tx
    .selectFrom("cases")
    .selectAll()
    .where("id", "=", payout.case_id)
    .executeTakeFirstOrThrow();
  await recordPayoutChange(tx, services, ctx, payout, row, {
    action: "check_failed",
    note: message,
    at,
    timeline: false,
    data: { attempt: payout.attempt, idempotencyKey: idempotencyKeyFor(payout) },
  });
}
