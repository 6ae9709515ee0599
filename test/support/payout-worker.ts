/**
 * A job worker for payouts in its own process, for the crash test (test/payouts-crash.test.ts),
 * which kills it with SIGKILL at random points. Run as `node --import tsx test/support/payout-worker.ts`
 * with PAYOUT_WORKER_DATABASE_URL, PAYOUT_WORKER_DATA_DIR, REFUND_DESK_SECRET_KEY,
 * REFUND_DESK_GATEWAY_URL and REFUND_DESK_GATEWAY_API_KEY in the environment.
 *
 * It runs what a payout sets in motion: `payout.submit`, `payout.check`, and the customer
 * notices they queue. It opens the store, prints `ready`, and claims nothing until it reads `go`
 * on stdin, so the test can start the next workers while the current one runs (starting is most
 * of a worker's short life here). The lease is short, so a job abandoned by a killed worker is
 * claimed again after 200 ms.
 */
import { createInterface } from "node:readline";
import { loadConfig } from "../../src/config.js";
import type { JobKind } from "../../src/jobs/enqueue-job.js";
import { type JobHandler, startWorker } from "../../src/jobs/worker.js";
import { deliverWebhook } from "../../src/notifications/deliver-webhook.js";
import { sendEmail } from "../../src/notifications/send-email.js";
import { checkPayouts, submitPayout } from "../../src/settlement/submit-payout.js";
import { systemClock } from "../../src/shared/clock.js";
import type { Services } from "../../src/shared/context.js";
import { openStore } from "../../src/store/database.js";

const PAYOUT_WORKER_LEASE_MS = 200;

const PAYOUT_WORKER_HANDLERS: Partial<Record<JobKind, JobHandler>> = {
  "payout.submit": submitPayout,
  "payout.check": checkPayouts,
  "notification.email": sendEmail,
  "webhook.deliver": deliverWebhook,
};

async function main(): Promise<void> {
  const url = process.env.PAYOUT_WORKER_DATABASE_URL;
  const dataDir = process.env.PAYOUT_WORKER_DATA_DIR;
  if (!url || !dataDir) throw new Error("PAYOUT_WORKER_DATABASE_URL and PAYOUT_WORKER_DATA_DIR are required");
  const config = loadConfig(
    { ...process.env, REFUND_DESK_DATA_DIR: dataDir, REFUND_DESK_LOG_LEVEL: "silent" },
    { warn: () => {} },
  );
  const store = openStore(url, { poolSize: 2 });
  const services: Services = { store, config, clock: systemClock };
  // One round trip now, so the connection is open before the test says go.
  await store.db.selectFrom("jobs").select("id").limit(1).execute();
  process.stdout.write("ready\n");
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== "go") continue;
    startWorker(services, PAYOUT_WORKER_HANDLERS, {
      workerId: `crash-${process.pid}`,
      pollMs: 10,
      leaseMs: PAYOUT_WORKER_LEASE_MS,
      onError: (job, error) =>
        process.stderr.write(
          `${job.kind} ${job.id}: ${error instanceof Error ? error.message : String(error)}\n`,
        ),
    });
    return;
  }
}

await main();
