import type { Services, WriteContext } from "../shared/context.js";
import { AppError, conflict, notFound } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import type { PayoutTable } from "../store/schema.js";
import { recordPayoutChange } from "./apply-gateway-refund.js";
import { loadPayoutForUpdate } from "./load-payout.js";
import { enqueuePayoutSubmit } from "./payout-jobs.js";
import { payoutAmount } from "./payout-notices.js";
import { idempotencyKeyFor, nextPayoutState } from "./payout-state.js";

/**
 * Finance sends a payout again:
 * - a `failed` one as a new attempt (`attempt + 1`, so a new idempotency key: the failed refund is
 *   final at the gateway and cannot be revived), back to `pending`;
 * - a `pending` one that is not being submitted (no gateway was configured, or every retry of the
 *   submission failed) with the same attempt and key, which the gateway de-duplicates.
 * Either way a `payout.submit` job is queued and the payout's open finance tasks are resolved.
 */
export async function retryPayout(
  services: Services,
  ctx: WriteContext,
  input: { payoutId: string; expectedVersion?: number },
): Promise<PayoutTable> {
  return inTransaction(services.store, async (tx) => {
    const payout = await loadPayoutForUpdate(tx, services, input.payoutId);
    if (!payout) throw notFound("Payout");
    if (input.expectedVersion !== undefined && input.expectedVersion !== payout.version)
      throw conflict("The payout changed since you loaded it; reload and try again", {
        currentVersion: payout.version,
        currentState: payout.status,
      });
    const at = services.clock.now().toISOString();
    let patch: Partial<PayoutTable>;
    if (payout.status === "pending") {
      const active = await tx
        .selectFrom("jobs")
        .select("id")
        .where("kind", "=", "payout.submit")
        .where("payload", "=", JSON.stringify({ payoutId: payout.id }))
        .where("status", "in", ["queued", "running"])
        .executeTakeFirst();
      if (active)
        throw conflict("A submission of this payout is already queued or running", { jobId: active.id });
      patch = { last_error: null };
    } else if (nextPayoutState(payout.status, "retry") === "pending") {
      patch = {
        status: "pending",
        attempt: payout.attempt + 1,
        gateway_refund_id: null,
        failure_code: null,
        last_error: null,
        submitted_at: null,
        settled_at: null,
      };
    } else
      throw new AppError(
        "invalid_transition",
        `A ${payout.status.replaceAll("_", " ")} payout cannot be retried; only a failed or waiting one can`,
        { extensions: { currentState: payout.status, event: "retry" } },
      );
    const updated = await tx
      .updateTable("payouts")
      .set({ ...patch, updated_at: at, version: payout.version + 1 })
      .where("id", "=", payout.id)
      .where("version", "=", payout.version)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw conflict("The payout changed while this request ran; reload and try again");
    const jobId = await enqueuePayoutSubmit(tx, services, payout.id);
    // Sending it again is finance's answer to the problem each open task raised.
    const resolved = await tx
      .updateTable("finance_tasks")
      .set({ status: "resolved", resolved_at: at, resolved_by: ctx.actor })
      .where("payout_id", "=", payout.id)
      .where("status", "=", "open")
      .where("kind", "in", ["payout_failed", "payout_no_gateway", "payout_stuck"])
      .returning("id")
      .execute();
    const row = await tx
      .selectFrom("cases")
      .selectAll()
      .where("id", "=", payout.case_id)
      .executeTakeFirstOrThrow();
    await recordPayoutChange(tx, services, ctx, updated, row, {
      action: "retried",
      note: `Refund of ${payoutAmount(payout)} ${payout.currency} queued again for the original payment method.`,
      at,
      data: {
        from: payout.status,
        to: updated.status,
        attempt: updated.attempt,
        idempotencyKey: idempotencyKeyFor(updated),
        previousFailureCode: payout.failure_code,
        jobId,
        resolvedTasks: resolved.map((t) => t.id),
      },
    });
    return updated;
  });
}
