import { enqueueJob } from "../jobs/enqueue-job.js";
import type { Services } from "../shared/context.js";
import type { Tx } from "../store/database.js";

/** A payout submitted (or still waiting for the gateway's answer) longer than this is polled. */
export const PAYOUT_CHECK_AFTER_MS = 10 * 60_000;

/**
 * Submissions retry with the worker's backoff (2 s, 4 s … 8.5 min: about 17 minutes in all) before
 * finance hears; settleDecision queues the first submission with the same number.
 */
export const PAYOUT_SUBMIT_MAX_ATTEMPTS = 10;

/** Enqueues the poll of unsettled payouts; one queued run serves every payout. */
export async function schedulePayoutCheck(tx: Tx, services: Services, afterMs = PAYOUT_CHECK_AFTER_MS) {
  const at = new Date(services.clock.now().getTime() + afterMs).toISOString();
  await enqueueJob(tx, { kind: "payout.check", payload: {}, at, coalesce: true });
}

/** Queues a submission of the payout's current attempt. */
export function enqueuePayoutSubmit(tx: Tx, services: Services, payoutId: string): Promise<string> {
  return enqueueJob(tx, {
    kind: "payout.submit",
    payload: { payoutId },
    at: services.clock.now().toISOString(),
    maxAttempts: PAYOUT_SUBMIT_MAX_ATTEMPTS,
  });
}
