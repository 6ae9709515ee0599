import { type ChildProcess, spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../src/demo/seed-demo.js";
import { seededPrng } from "../src/gateway/simulator/prng.js";
import {
  type GatewaySimulator,
  startGatewaySimulator,
} from "../src/gateway/simulator/start-gateway-simulator.js";
import { type App, buildApp } from "../src/http/app.js";
import { JOB_HANDLERS } from "../src/jobs/handlers.js";
import { startWorker } from "../src/jobs/worker.js";
import { idempotencyKeyFor } from "../src/settlement/payout-state.js";
import { type Clock, systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { type Caller, call, login } from "./support/client.js";
import { openTestStore, type TestStore, testEngines } from "./support/engines.js";
import { bundleScript, ROOT } from "./support/processes.js";
import {
  caseBalance,
  decideRefunds,
  importRefundCharges,
  type RefundCharge,
  trialBalance,
  unbalancedEntries,
  verifyKyc,
} from "./support/refunds.js";
import { TEST_SECRET_KEY, testConfig } from "./support/server.js";

/**
 * Exactly one gateway refund per refund decision, whatever happens: job retries after outages and
 * lost answers, duplicate, reordered and lost webhooks, and job workers killed with SIGKILL at
 * random points. Workers are separate processes (test/support/payout-worker.ts) against the same
 * database; the simulator, the API (which receives the gateway's webhooks) and the test live here,
 * so the gateway keeps its state across kills. Afterwards every decision has one succeeded refund
 * (or a clear failure, or credit for a closed card), and the ledger balances.
 *
 * Worker processes start from an esbuild bundle of the script (a third of tsx's start-up cost,
 * which is most of a worker's life here); PAYOUT_CRASH_RUNNER=tsx runs the script with tsx instead.
 * PAYOUT_CRASH_SEED replays a run.
 */
const engines = await testEngines();

const ITERATIONS = 100;
/** Workers starting while one runs: starting takes longer than a worker lives here. */
const STANDBY = 3;
const PAYOUTS = 30;
const SEED = Number(process.env.PAYOUT_CRASH_SEED ?? Date.now() % 1_000_000);

const WORKER_SCRIPT = join(import.meta.dirname, "support", "payout-worker.ts");

/** 30 decisions: most pay out, two go to closed cards (credit), two are declined (failed). */
const CHARGES: RefundCharge[] = Array.from({ length: PAYOUTS }, (_, i) => {
  const n = String(i + 1).padStart(2, "0");
  const base = { resource: `i-crash-${n}`, invoiceId: `INV-CRASH-${n}`, cost: `${10 + i}.${n}` };
  if (i === 4 || i === 17) return { ...base, paymentId: `pay_closed_crash_${n}` };
  if (i === 9 || i === 22) return { ...base, paymentId: `pay_nsf_crash_${n}` };
  return base;
});
const expectedStatus = (paymentId: string | null) =>
  paymentId?.startsWith("pay_closed_")
    ? "credited"
    : paymentId?.startsWith("pay_nsf_")
      ? "failed"
      : "succeeded";

interface WorkerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<void>;
}

let bundle: { file: string; remove(): void } | null = null;
beforeAll(async () => {
  if (process.env.PAYOUT_CRASH_RUNNER === "tsx") return;
  bundle = await bundleScript(WORKER_SCRIPT, "payout-worker", {
    // Packages bundled too (the most of start-up they save); native code stays outside, and
    // bundled CommonJS packages get a require of their own.
    external: ["better-sqlite3", "pg-native"],
    banner: {
      js: "import { createRequire as __rdRequire } from 'node:module'; const require = __rdRequire(import.meta.url);",
    },
  });
});
afterAll(() => bundle?.remove());

describe.each(engines)("payouts under crashes on %s", (engine) => {
  let testStore: TestStore;
  let services: Services;
  let app: App;
  let baseUrl: string;
  let sim: GatewaySimulator;
  let finance: Caller;
  let payoutIds: string[] = [];
  const faults = seededPrng(SEED, "payouts-crash");
  const random = () => faults.next();

  beforeAll(async () => {
    sim = await startGatewaySimulator({
      // Refunds settle by themselves during the run, so webhooks arrive while workers die.
      settleAfterMs: 300,
      seed: SEED,
      webhookRetryDelayMs: 50,
      faults: { webhooks: { duplicateRate: 0.3, reorder: true, reorderWindowMs: 200, lossRate: 0.2 } },
    });
    testStore = await openTestStore(engine);
    // The API sends nothing to the gateway (workers do); decisions first wait for one, below.
    services = {
      store: testStore.store,
      config: testConfig(testStore.dataDir, {
        gatewayWebhookSecret: sim.webhookSecret,
        webhookAllowPrivateNetworks: true,
      }),
      clock: systemClock,
    };
    const world = await seedDemo(services);
    if (!world) throw new Error("fresh test database already had demo data");
    app = await buildApp(services, { logger: false });
    await app.listen({ host: "127.0.0.1", port: 0 });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    sim.setWebhookUrl(`${baseUrl}/webhooks/gateway`);

    const [owner, reviewer, compliance] = await Promise.all(
      ["owner@acme.example", "reviewer@nimbus.example", "compliance@nimbus.example"].map((e) =>
        login(baseUrl, e),
      ),
    );
    finance = await login(baseUrl, "finance@nimbus.example");
    const acme = world.customers.acme;
    const production = acme.memberAccountIds[0]!;
    const setup = startWorker(services, JOB_HANDLERS, { workerId: "setup", pollMs: 0 });
    const charges = await importRefundCharges(services, acme.organisationId, "crash-charges", CHARGES);
    await setup.drain();
    await verifyKyc(baseUrl, owner!, compliance!, production, "C1234567");
    const caseIds = await decideRefunds(
      baseUrl,
      { owner: owner!, reviewer: reviewer! },
      production,
      CHARGES.map((c) => charges.get(c.resource)!),
      () => setup.drain(),
    );
    // Letters and notices now; each payout's first submission finds no gateway and waits.
    await setup.drain();
    await setup.stop();
    const payouts = await services.store.db
      .selectFrom("payouts")
      .select(["id", "case_id", "status"])
      .where("case_id", "in", caseIds)
      .orderBy("id")
      .execute();
    expect(payouts.map((p) => p.status)).toEqual(caseIds.map(() => "pending"));
    payoutIds = payouts.map((p) => p.id);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await sim?.close();
    await testStore?.cleanup();
  });

  function spawnWorker(): WorkerProcess {
    const runner = bundle ? [bundle.file] : ["--import", "tsx", WORKER_SCRIPT];
    const child = spawn(process.execPath, runner, {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        ...process.env,
        PAYOUT_WORKER_DATABASE_URL: testStore.url,
        PAYOUT_WORKER_DATA_DIR: testStore.dataDir,
        REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
        REFUND_DESK_GATEWAY_URL: sim.url,
        REFUND_DESK_GATEWAY_API_KEY: sim.apiKey,
        REFUND_DESK_GATEWAY_TIMEOUT_MS: "2000",
      },
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (d: Buffer) => {
        if (d.toString().includes("ready")) resolve();
      });
      child.once("exit", (code, signal) =>
        reject(new Error(`worker exited before it was ready (${code ?? signal}): ${stderr}`)),
      );
    });
    // A standby worker killed at the end never becomes ready; that is not an error.
    ready.catch(() => {});
    return { child, ready, exited };
  }

  /**
   * Finance sends a waiting payout; the request is sent twice, as a client unsure of the first
   * answer would, and again while the server answers 5xx (those are not stored, so they run again).
   */
  async function queuePayout(id: string): Promise<void> {
    const request = { as: finance, body: {}, idempotencyKey: `crash-${id}` };
    const send = async () => {
      for (let attempt = 1; ; attempt++) {
        const res = await call(baseUrl, "POST", `/payouts/${id}/retry`, request);
        if (res.status < 500 || attempt === 5) return res;
        await sleep(100 * attempt);
      }
    };
    const first = await send();
    const again = await send();
    expect(first.status, first.text).toBe(200);
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  }

  it(`pays each decision exactly once through ${ITERATIONS} SIGKILLed workers`, async () => {
    const started = Date.now();
    const standby: WorkerProcess[] = Array.from({ length: STANDBY }, spawnWorker);
    let kills = 0;
    let waitedForStartMs = 0;
    const phases = { queue: 0, spawn: 0, sleep: 0, kill: 0 };
    let queueing = Promise.resolve();
    const queueErrors: unknown[] = [];
    const dying: Promise<void>[] = [];
    let mark = Date.now();
    const lap = (phase: keyof typeof phases) => {
      const now = Date.now();
      phases[phase] += now - mark;
      mark = now;
    };
    for (let i = 0; i < ITERATIONS; i++) {
      mark = Date.now();
      // Payouts are sent a few at a time all through the run, so there is payout work to interrupt;
      // finance's requests run alongside the workers, in order.
      for (
        let k = Math.ceil((i * PAYOUTS) / ITERATIONS);
        k < Math.ceil(((i + 1) * PAYOUTS) / ITERATIONS);
        k++
      ) {
        const id = payoutIds[k]!;
        queueing = queueing
          .then(() => queuePayout(id))
          .catch((error: unknown) => {
            queueErrors.push(error);
          });
      }
      lap("queue");
      const worker = standby.shift()!;
      standby.push(spawnWorker());
      lap("spawn");
      const waitFrom = Date.now();
      await worker.ready;
      waitedForStartMs += Date.now() - waitFrom;
      mark = Date.now();
      // Sometimes slow, sometimes down, sometimes losing its answer: kills land mid-call too.
      sim.setFaults({
        latencyMs: [0, 20, 60, 120, 250][Math.floor(random() * 5)]!,
        failNext: random() < 0.15 ? 1 : 0,
        failAfterCommitNext: random() < 0.15 ? 1 : 0,
        failAfterCommitMode: random() < 0.5 ? "error" : "drop",
      });
      worker.child.stdin?.write("go\n");
      await sleep(Math.floor(random() * 150));
      lap("sleep");
      worker.child.kill("SIGKILL");
      // A SIGKILLed process runs no more of its code; its exit is collected at the end.
      dying.push(worker.exited);
      lap("kill");
      kills += 1;
    }
    for (const w of standby) w.child.kill("SIGKILL");
    await Promise.all([...dying, ...standby.map((w) => w.exited), queueing]);
    expect(queueErrors).toEqual([]);
    const loopMs = Date.now() - started;

    // Afterwards: one worker runs to the end. Its clock runs ahead, so abandoned leases, backoffs
    // and the stuck-payout poll are all due; the gateway settles everything it holds.
    sim.setFaults({ latencyMs: 0, failNext: 0, failAfterCommitNext: 0 });
    let aheadMs = 0;
    const ahead: Clock = { now: () => new Date(Date.now() + aheadMs) };
    const final = startWorker(
      {
        ...services,
        clock: ahead,
        config: { ...services.config, gatewayUrl: sim.url, gatewayApiKey: sim.apiKey },
      },
      JOB_HANDLERS,
      { workerId: "final", pollMs: 0, leaseMs: 200 },
    );
    const db = services.store.db;
    let rounds = 0;
    for (; rounds < 30; rounds++) {
      aheadMs += 11 * 60_000;
      await final.drain();
      await sim.settleAll();
      await sim.webhooksIdle();
      const open = await db
        .selectFrom("payouts")
        .select("id")
        .where("status", "in", ["pending", "submitted", "requires_action"])
        .execute();
      if (open.length === 0) break;
    }
    await final.drain();
    await final.stop();

    const context = `seed ${SEED} on ${engine}`;
    const payouts = await db.selectFrom("payouts").selectAll().where("id", "in", payoutIds).execute();
    const refunds = sim.refunds();
    for (const p of payouts) {
      const mine = refunds.filter(
        (r) => r.idempotencyKey === p.id || r.idempotencyKey.startsWith(`${p.id}:`),
      );
      expect(mine, `${p.id}: ${context}`).toHaveLength(1);
      expect(mine[0]!.idempotencyKey).toBe(idempotencyKeyFor(p));
      expect(p.attempt).toBe(1);
      expect(p.gateway_refund_id).toBe(mine[0]!.gatewayRefundId);
      const status = expectedStatus(p.payment_id);
      expect(p.status, `${p.id} (${p.payment_id}): ${context}`).toBe(status);
      if (status === "failed") {
        expect(p.failure_code).toBe("insufficient_funds");
        const tasks = await db
          .selectFrom("finance_tasks")
          .selectAll()
          .where("payout_id", "=", p.id)
          .execute();
        expect(tasks.filter((t) => t.kind === "payout_failed" && t.status === "open")).toHaveLength(1);
      }
      const postings = await db
        .selectFrom("journal_entries")
        .select(["kind", "posting_key"])
        .where("case_id", "=", p.case_id)
        .orderBy("posting_key")
        .execute();
      const kinds = postings.map((e) => e.kind).sort();
      expect(kinds, `${p.id}: ${context}`).toEqual(
        status === "succeeded"
          ? ["refund_decided", "refund_paid"]
          : status === "credited"
            ? ["refund_decided", "refund_to_credit"]
            : ["refund_decided"],
      );
      expect(await caseBalance(db, p.case_id, "refunds_payable")).toBe(
        status === "failed" ? -p.amount_minor : 0,
      );
      const credits = await db
        .selectFrom("credit_grants")
        .select("id")
        .where("payout_id", "=", p.id)
        .execute();
      expect(credits).toHaveLength(status === "credited" ? 1 : 0);
      // Effects happen once per transition, however often the news arrived.
      const notices = await db
        .selectFrom("email_messages")
        .select("event_type")
        .where("subject_id", "=", p.case_id)
        .where("event_type", "=", `refund.${status}`)
        .execute();
      expect(notices, `${p.id}: ${context}`).toHaveLength(1);
    }
    expect(refunds).toHaveLength(payoutIds.length);
    expect(await unbalancedEntries(db)).toEqual([]);
    for (const [currency, total] of Object.entries(await trialBalance(db))) expect(total, currency).toBe(0);

    const reclaimed = await db
      .selectFrom("jobs")
      .select("id")
      .where("kind", "=", "payout.submit")
      .where("attempts", ">", 1)
      .execute();
    const submissions = await db
      .selectFrom("audit_log")
      .select("id")
      .where("action", "=", "payout.submitting")
      .execute();
    console.info(
      `[payouts-crash] ${engine}: ${kills} workers killed in ${loopMs} ms (${ITERATIONS} iterations, ` +
        `${waitedForStartMs} ms of it waiting for workers to start, ${JSON.stringify(phases)}), ` +
        `final worker ${rounds + 1} round(s), total ${Date.now() - started} ms; ` +
        `${submissions.length} submissions started for ${payoutIds.length} payouts, ` +
        `${reclaimed.length} submit jobs ran more than once; webhooks ${JSON.stringify(sim.webhookStats())}; seed ${SEED}`,
    );
    expect(kills).toBeGreaterThanOrEqual(100);
  }, 240_000);
});
