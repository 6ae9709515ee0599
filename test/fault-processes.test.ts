import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../src/audit-log/verify-audit-log.js";
import { FAST_TRACK_ACTOR } from "../src/cases/review-submitted-case.js";
import { seedDemo } from "../src/demo/seed-demo.js";
import { seededPrng } from "../src/gateway/simulator/prng.js";
import {
  type GatewaySimulator,
  startGatewaySimulator,
} from "../src/gateway/simulator/start-gateway-simulator.js";
import { idempotencyKeyFor } from "../src/settlement/payout-state.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { type Caller, login } from "./support/client.js";
import { openTestStore, type TestStore, testEngines } from "./support/engines.js";
import {
  API_BANNER,
  bundleCli,
  ChildRegistry,
  type Exchange,
  exchange,
  freePort,
  killAndWait,
  PROBES_BANNER,
  type Served,
  spawnServe,
  until,
} from "./support/processes.js";
import {
  importRefundCharges,
  type RefundCharge,
  trialBalance,
  unbalancedEntries,
  verifyKyc,
} from "./support/refunds.js";
import { TEST_SECRET_KEY, testConfig } from "./support/server.js";

/**
 * Two API and two worker processes (`refund-desk serve --role api|worker --no-migrate`) on one
 * PostgreSQL database, with the payment-gateway simulator running here. Twenty customers file
 * refund requests without pause, each with its Idempotency-Key, retrying on a connection error
 * against the other API; reviewers decide every third case as a refund to the original method, so
 * payouts flow through the workers to the simulator. Meanwhile one API and one worker process at a
 * time is SIGKILLed at a random moment and started again.
 *
 * Afterwards, once the workers have drained the queue: every request answered 2xx left its case,
 * no request made two, every job had its effect once (one initial review per case, one payout per
 * refund decision, one refund at the gateway per payout), no job is dead or stranded, the ledger
 * balances and the audit log verifies. A request whose API died after its effect committed but
 * before its answer was recorded is answered 409 `idempotency_answer_lost` when retried (its effect
 * is there, once), not run a second time.
 *
 * A killed worker's job stays `running` until its lease ends (10 minutes), and a killed API's
 * Idempotency-Key stays `in_progress` until it is presumed dead (60 s). Rather than wait that long
 * the test moves those two clocks on for what the dead process held — the rows a dead worker's id
 * locked, the keys whose request died with its API — as if the minutes had passed.
 *
 * FAULT_SEED replays the kill schedule; FAULT_LOAD_MS sets how long the load runs.
 */
const engines = await testEngines();

const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
const LOAD_MS = Number(process.env.FAULT_LOAD_MS ?? 24_000);
const CLIENTS = 20;
const REVIEWERS = 3;
/** Kills of each role: one per slot of the load, at a random moment in the slot's first half. */
const KILLS = 4;
const REQUEST_TIMEOUT_MS = 15_000;
const HOST = hostname();

const CHARGES: RefundCharge[] = Array.from({ length: 40 }, (_, i) => {
  const n = String(i + 1).padStart(2, "0");
  return {
    resource: `i-fault-${n}`,
    invoiceId: `INV-FAULT-${n}`,
    cost: "5000.00",
    paymentId: `pay_fault_${n}`,
  };
});

/** A logical request as its client saw it, across every attempt. */
interface Logical {
  key: string;
  kind: "file" | "decide";
  marker: string;
  attempts: Array<{ url: string; status: number | null; error: string | null; code?: string }>;
  /** The final 2xx answer, if one came. */
  answer: Exchange<Record<string, unknown>> | null;
  /** A request whose attempt died with its API process: its key is released by the test. */
  orphaned: boolean;
  /** Its first run took effect but died before recording the answer: 409 `idempotency_answer_lost`. */
  lost: boolean;
}

describe.runIf(engines.includes("postgres"))(
  "API and worker processes SIGKILLed under load on PostgreSQL",
  () => {
    const children = new ChildRegistry();
    let db: TestStore;
    let sim: GatewaySimulator;
    let env: Record<string, string>;
    let accountId: string;
    let chargeIds: string[];
    let cli: { file: string; remove(): void };
    const apis: Array<{ port: number; url: string; served: Served | null }> = [];
    const workers: Array<{ port: number; served: Served | null }> = [];

    async function startApi(i: number): Promise<void> {
      const api = apis[i]!;
      api.served = spawnServe(["--role", "api", "--no-migrate", "--port", String(api.port)], env, {
        registry: children,
        bundle: cli.file,
      });
      await api.served.waitFor(API_BANNER, 60_000);
    }
    async function startWorker(i: number): Promise<void> {
      const worker = workers[i]!;
      worker.served = spawnServe(
        ["--role", "worker", "--no-migrate", "--metrics-port", String(worker.port)],
        env,
        { registry: children, bundle: cli.file },
      );
      await worker.served.waitFor(PROBES_BANNER, 60_000);
    }

    beforeAll(async () => {
      cli = await bundleCli();
      sim = await startGatewaySimulator({
        settleAfterMs: 500,
        seed: SEED,
        webhookRetryDelayMs: 200,
        webhookMaxAttempts: 8,
      });
      db = await openTestStore("postgres");
      const services: Services = {
        store: db.store,
        config: testConfig(db.dataDir, { gatewayWebhookSecret: sim.webhookSecret }),
        clock: systemClock,
      };
      const world = await seedDemo(services);
      if (!world) throw new Error("fresh test database already had demo data");
      const acme = world.customers.acme;
      accountId = acme.memberAccountIds[0]!;
      const charges = await importRefundCharges(services, acme.organisationId, "fault-charges", CHARGES);
      chargeIds = CHARGES.map((c) => charges.get(c.resource)!);
      // The import queued an audit of the organisation; the workers below run it with the rest.

      env = {
        REFUND_DESK_DATABASE_URL: db.url,
        REFUND_DESK_DATA_DIR: db.dataDir,
        REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
        REFUND_DESK_LOG_LEVEL: "warn",
        REFUND_DESK_RATE_LIMIT_PER_MINUTE: "1000000",
        REFUND_DESK_LOGIN_ATTEMPTS_PER_MINUTE: "100000",
        REFUND_DESK_GATEWAY_URL: sim.url,
        REFUND_DESK_GATEWAY_API_KEY: sim.apiKey,
        REFUND_DESK_GATEWAY_WEBHOOK_SECRET: sim.webhookSecret,
        REFUND_DESK_GATEWAY_TIMEOUT_MS: "3000",
        REFUND_DESK_ANALYTICS_THREADS: "1",
      };
      // Fixed ports, so a process restarted after a kill is found where its clients left it.
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        apis.push({ port, url: `http://127.0.0.1:${port}`, served: null });
        workers.push({ port: await freePort(), served: null });
      }
      await Promise.all([startApi(0), startApi(1), startWorker(0), startWorker(1)]);
      sim.setWebhookUrl(`${apis[0]!.url}/webhooks/gateway`);
      const [owner, compliance] = await Promise.all(
        ["owner@acme.example", "compliance@nimbus.example"].map((e) => login(apis[0]!.url, e)),
      );
      await verifyKyc(apis[0]!.url, owner!, compliance!, accountId, "F1234567");
    }, 120_000);

    afterAll(async () => {
      await children.killAll();
      await sim?.close();
      await db?.cleanup();
      cli?.remove();
    }, 60_000);

    it(`keeps every request's effect exactly once through ${KILLS} API and ${KILLS} worker kills`, async () => {
      const started = Date.now();
      const urls = apis.map((a) => a.url);
      const [owner, senior] = await Promise.all([
        login(urls[0]!, "owner@acme.example"),
        login(urls[1]!, "senior@nimbus.example"),
      ]);
      // The kill schedule has streams of its own, so FAULT_SEED replays it whatever the clients draw.
      const random = seededPrng(SEED, "clients");
      const killRandom = { api: seededPrng(SEED, "kills:api"), worker: seededPrng(SEED, "kills:worker") };
      const logicals: Logical[] = [];
      const unexpected: string[] = [];
      const toDecide: string[] = [];
      let loading = true;
      /** Logical requests still retrying are given up at this instant (set when the load stops). */
      let giveUpAt = Number.POSITIVE_INFINITY;

      /**
       * Releases a key whose request died with its API (a connection error, then 409 in progress from
       * the other one): the 60 s after which an unfinished request is presumed dead, passed at once.
       */
      async function releaseOrphanedKey(key: string): Promise<void> {
        await db.store.db
          .updateTable("idempotency_keys")
          .set({ created_at: new Date(Date.now() - 120_000).toISOString() })
          .where("key", "=", key)
          .where("state", "in", ["in_progress", "committed"])
          .execute();
      }

      /** Sends one logical request until it is answered 2xx (or fails plainly), switching API on errors. */
      async function send(
        logical: Logical,
        first: number,
        as: Caller,
        method: string,
        path: string,
        body: unknown,
      ): Promise<Exchange<Record<string, unknown>> | null> {
        for (let attempt = 0; Date.now() < giveUpAt; attempt++) {
          const url = urls[(first + attempt) % urls.length]!;
          const x = await exchange<Record<string, unknown>>(url, method, path, {
            as,
            body,
            idempotencyKey: logical.key,
            timeoutMs: REQUEST_TIMEOUT_MS,
          });
          const code = typeof x.body === "object" && x.body ? String(x.body.code ?? "") : "";
          logical.attempts.push({ url, status: x.status, error: x.error, code });
          if (x.status === null) {
            // Refused or cut: that API process is dead (the test's only fault), so is the attempt.
            if (x.error?.startsWith("TimeoutError")) unexpected.push(`${logical.key}: ${x.error} at ${url}`);
            else logical.orphaned = true;
            await sleep(50 + random.next() * 150);
            continue;
          }
          if (x.status >= 200 && x.status < 300) {
            logical.answer = x;
            return x;
          }
          if (x.status === 409 && x.body.reason === "idempotency_answer_lost") {
            // The key says its first run took effect, and that run's API died before answering.
            logical.lost = true;
            return x;
          }
          if (x.status === 409 && code === "idempotency_request_in_progress") {
            if (logical.orphaned) await releaseOrphanedKey(logical.key);
            await sleep(100);
            continue;
          }
          if (x.status === 503 || x.status === 429) {
            await sleep(200);
            continue;
          }
          return x;
        }
        return null;
      }

      const fileRequests = async (client: number) => {
        for (let n = 0; loading; n++) {
          const key = `fault-${SEED}-${client}-${n}`;
          const logical: Logical = {
            key,
            kind: "file",
            marker: `fault-load ${key}`,
            attempts: [],
            answer: null,
            orphaned: false,
            lost: false,
          };
          logicals.push(logical);
          const chargeId = chargeIds[Math.floor(random.next() * chargeIds.length)]!;
          const x = await send(logical, client, owner, "POST", "/cases", {
            accountId,
            items: [{ chargeId, amount: "0.01" }],
            reason: "billing_error",
            desiredOutcome: "refund_original_method",
            summary: logical.marker,
            description: "The instance was never started; filed by the fault test's load.",
            impactStatement: "We overpaid.",
          });
          if (x && x.status !== 201 && !(logical.lost && logical.orphaned))
            unexpected.push(`${key}: ${x.status} ${x.text.slice(0, 300)}`);
          if (x?.status === 201 && n % 3 === 0) {
            const filed = (x.body.cases as Array<{ id: string }>)[0]!;
            toDecide.push(filed.id);
          }
        }
      };

      /** Set once every customer's last request has its answer (or was given up). */
      let filingDone = false;
      const decideCases = async (reviewer: number) => {
        for (;;) {
          const caseId = toDecide.shift();
          if (!caseId) {
            if (filingDone) return;
            await sleep(100);
            continue;
          }
          // The initial review (a worker's job) routes the case first; a decision waits for it.
          const reviewed = await until(
            async () => {
              const x = await exchange<{ state: string }>(urls[reviewer % 2]!, "GET", `/cases/${caseId}`, {
                as: senior,
                timeoutMs: REQUEST_TIMEOUT_MS,
              });
              if (x.status === 200 && x.body.state !== "submitted") return x.body.state;
              if (Date.now() > giveUpAt) return "gave up";
              return undefined;
            },
            120_000,
            250,
          );
          if (reviewed !== "in_review" && reviewed !== "escalated") continue;
          const logical: Logical = {
            key: `fault-decide-${caseId}`,
            kind: "decide",
            marker: caseId,
            attempts: [],
            answer: null,
            orphaned: false,
            lost: false,
          };
          logicals.push(logical);
          const x = await send(logical, reviewer, senior, "POST", `/cases/${caseId}/decision`, {
            outcome: "refund_original_method",
            rationale: "The instance never ran; refunded to the card it was paid with.",
            clauses: ["billing-errors-refunded"],
          });
          if (x && x.status !== 200 && !(logical.lost && logical.orphaned))
            unexpected.push(`${logical.key}: ${x.status} ${x.text.slice(0, 300)}`);
        }
      };

      /**
       * The leases of jobs a killed worker held end now instead of in 10 minutes, so the other workers
       * take them over. Done again while draining: a claim the dead worker's connection had sent may
       * still have committed after the kill.
       */
      const deadWorkers: string[] = [];
      const endDeadWorkersLeases = async () => {
        if (deadWorkers.length === 0) return;
        await db.store.db
          .updateTable("jobs")
          .set({ locked_until: new Date(Date.now() - 1000).toISOString() })
          .where("status", "=", "running")
          .where("locked_by", "in", deadWorkers)
          .execute();
      };

      // The faults: in each slot of the load one API and one worker die at random moments, and are
      // started again at once (a supervisor's restart); never both APIs or both workers at once.
      const slotMs = LOAD_MS / KILLS;
      const kills = { api: 0, worker: 0 };
      const killLog: string[] = [];
      const killer = async (role: "api" | "worker") => {
        for (let slot = 0; slot < KILLS; slot++) {
          const at = started + slot * slotMs + killRandom[role].next() * slotMs * 0.5;
          await sleep(Math.max(0, at - Date.now()));
          const i = killRandom[role].next() < 0.5 ? 0 : 1;
          const target = role === "api" ? apis[i]! : workers[i]!;
          const victim = target.served!;
          await killAndWait(victim.child, "SIGKILL");
          kills[role] += 1;
          killLog.push(`${role}${i} pid ${victim.pid} at +${Date.now() - started} ms`);
          if (role === "worker") {
            deadWorkers.push(`${HOST}:${victim.pid}`);
            await endDeadWorkersLeases();
            await startWorker(i);
          } else {
            await startApi(i);
          }
        }
      };

      const filing = Promise.all(Array.from({ length: CLIENTS }, (_, c) => fileRequests(c))).finally(() => {
        filingDone = true;
      });
      const load = [filing, ...Array.from({ length: REVIEWERS }, (_, r) => decideCases(r))];
      const killing = Promise.all([killer("api"), killer("worker")]);
      await sleep(LOAD_MS);
      loading = false;
      await killing;
      // Requests under way finish (each retried until answered), for at most 60 s.
      giveUpAt = Date.now() + 60_000;
      await Promise.all(load);
      const loadMs = Date.now() - started;

      // Drain: every process is up again; wait until no job is running and none is due within 30 s
      // (later ones — a payout's 10-minute check, a case's close at the end of its appeal window — are
      // not part of this run), and the gateway has nothing left to tell.
      const drainStarted = Date.now();
      const pending = async () => {
        const soon = new Date(Date.now() + 30_000).toISOString();
        const r = await sql<{ n: number }>`
        select count(*)::int as n from jobs
        where status = 'running' or (status = 'queued' and run_after <= ${soon})`.execute(db.store.db);
        return r.rows[0]!.n;
      };
      const drained = () =>
        until(
          async () => {
            await endDeadWorkersLeases();
            return (await pending()) === 0 ? true : undefined;
          },
          60_000,
          500,
          "the job queue to drain",
        );
      await drained();
      // A webhook the gateway sends late enqueues work of its own (the customer's notice of a paid
      // refund): once the gateway is quiet, the queue is drained again.
      await sim.webhooksIdle();
      await drained();
      const drainMs = Date.now() - drainStarted;

      const q = db.store.db;
      const context = `seed ${SEED}; kills ${killLog.join(", ")}`;
      const filings = logicals.filter((l) => l.kind === "file");
      const answered = filings.filter((l) => l.answer !== null);
      const unanswered = filings.filter((l) => l.answer === null);
      const cases = await q
        .selectFrom("cases")
        .select(["id", "summary", "ticket_number", "state"])
        .where("summary", "like", "fault-load %")
        .execute();
      const jobs = await q
        .selectFrom("jobs")
        .select(["id", "kind", "status", "attempts", "locked_until", "last_error"])
        .execute();
      const decisions = await q
        .selectFrom("decisions")
        .innerJoin("cases", "cases.id", "decisions.case_id")
        .select(["decisions.id", "decisions.case_id", "decisions.decided_by"])
        .where("decisions.outcome", "=", "refund_original_method")
        .where("cases.summary", "like", "fault-load %")
        .execute();
      const payouts = await q.selectFrom("payouts").selectAll().execute();
      const refunds = sim.refunds();
      const countBy = <T>(items: readonly T[], key: (item: T) => string) =>
        items.reduce<Record<string, number>>((acc, item) => {
          acc[key(item)] = (acc[key(item)] ?? 0) + 1;
          return acc;
        }, {});
      console.info(
        `[fault-processes] seed ${SEED}: ${kills.api} API and ${kills.worker} worker kills (${killLog.join("; ")}); ` +
          `load ${loadMs} ms, drain ${drainMs} ms, total ${Date.now() - started} ms; ` +
          `${filings.length} filings (${answered.length} answered 201, ${unanswered.filter((l) => l.lost).length} ` +
          `"took effect, answer lost", ${unanswered.filter((l) => !l.lost).length} given up), ` +
          `${logicals.filter((l) => l.attempts.length > 1).length} logical requests retried, ` +
          `${logicals.filter((l) => l.orphaned).length} cut by a kill (${logicals.filter((l) => l.lost).length} ` +
          `of them after taking effect); ${cases.length} cases, ` +
          `${decisions.length} refund decisions, payouts ${JSON.stringify(countBy(payouts, (p) => p.status))}, ` +
          `${refunds.length} gateway refunds; jobs ${JSON.stringify(countBy(jobs, (j) => j.status))}, ` +
          `${jobs.filter((j) => j.attempts > 1).length} ran more than once; webhooks ${JSON.stringify(sim.webhookStats())}`,
      );

      // Each invariant is checked on its own (soft), so one run shows every one that broke.
      expect.soft(unexpected, context).toEqual([]);
      expect.soft(kills.api).toBeGreaterThanOrEqual(3);
      expect.soft(kills.worker).toBeGreaterThanOrEqual(3);

      // 1. Every request was answered (none given up), and each answered 2xx left its case, with the
      // ticket number it was told.
      expect.soft(answered.length).toBeGreaterThan(50);
      expect
        .soft(
          logicals.filter((l) => l.answer === null && !l.lost).map((l) => l.key),
          context,
        )
        .toEqual([]);
      const caseById = new Map(cases.map((c) => [c.id, c]));
      const lost = answered.filter((l) => {
        const filed = (l.answer!.body.cases as Array<{ id: string; ticketNumber: string }>)[0]!;
        const row = caseById.get(filed.id);
        return row?.ticket_number !== filed.ticketNumber || row.summary !== l.marker;
      });
      expect
        .soft(
          lost.map((l) => l.key),
          context,
        )
        .toEqual([]);

      // 2. No request made two cases: one case per Idempotency-Key, and ticket numbers are unique.
      const perMarker = new Map<string, string[]>();
      for (const c of cases) perMarker.set(c.summary, [...(perMarker.get(c.summary) ?? []), c.id]);
      const twice = [...perMarker]
        .filter(([, ids]) => ids.length > 1)
        .map(([marker, ids]) => ({
          marker,
          ids,
          attempts: filings.find((l) => l.marker === marker)?.attempts,
        }));
      expect
        .soft(
          twice,
          "one Idempotency-Key, two cases: the first attempt's API died after the case committed but before " +
            `the key recorded its answer, and the retry, once the key was presumed dead, ran again. ${context}`,
        )
        .toEqual([]);
      // A request whose answer was lost took effect exactly once all the same.
      const lostFilings = filings.filter((l) => l.lost);
      expect
        .soft(
          lostFilings.filter((l) => perMarker.get(l.marker)?.length !== 1).map((l) => l.key),
          context,
        )
        .toEqual([]);
      for (const l of unanswered) expect.soft(perMarker.get(l.marker)?.length ?? 0).toBeLessThanOrEqual(1);
      expect.soft(new Set(cases.map((c) => c.ticket_number)).size).toBe(cases.length);

      // 3. Every job had its effect once; none is dead or left running on an ended lease.
      const now = new Date().toISOString();
      expect
        .soft(
          jobs.filter((j) => j.status === "dead"),
          context,
        )
        .toEqual([]);
      expect
        .soft(
          jobs.filter((j) => j.status === "running" && (j.locked_until ?? "") < now),
          context,
        )
        .toEqual([]);
      expect
        .soft(
          jobs.filter((j) => j.status === "running"),
          context,
        )
        .toEqual([]);
      // One initial review per case: its routing event, written once by the review job.
      const reviews = await q
        .selectFrom("case_events")
        .select(["case_id", sql<number>`count(*)::int`.as("n")])
        .where("actor", "=", "system:initial-review")
        .groupBy("case_id")
        .execute();
      const reviewCount = new Map(reviews.map((r) => [r.case_id, r.n]));
      const notReviewedOnce = cases
        .filter((c) => reviewCount.get(c.id) !== 1)
        .map((c) => `${c.id} (${c.state}): ${reviewCount.get(c.id) ?? 0} reviews`);
      expect.soft(notReviewedOnce, context).toEqual([]);
      // One payout per refund decision, one refund at the gateway per payout (by its idempotency key).
      const payoutProblems: string[] = [];
      for (const d of decisions) {
        const mine = payouts.filter((p) => p.case_id === d.case_id);
        if (mine.length !== 1) {
          payoutProblems.push(`${d.case_id}: ${mine.length} payouts`);
          continue;
        }
        const payout = mine[0]!;
        const atGateway = refunds.filter(
          (r) => r.idempotencyKey === payout.id || r.idempotencyKey.startsWith(`${payout.id}:`),
        );
        if (atGateway.length !== 1 || atGateway[0]!.idempotencyKey !== idempotencyKeyFor(payout))
          payoutProblems.push(
            `${payout.id}: ${atGateway.map((r) => r.idempotencyKey).join(", ") || "no refund"}`,
          );
      }
      expect.soft(payoutProblems, context).toEqual([]);
      expect.soft(payouts).toHaveLength(decisions.length);
      expect.soft(refunds).toHaveLength(payouts.length);
      expect.soft(decisions.filter((d) => d.decided_by !== FAST_TRACK_ACTOR).length).toBeGreaterThan(5);

      // 4. The books balance and the audit log is whole.
      expect.soft(await unbalancedEntries(q)).toEqual([]);
      for (const [currency, total] of Object.entries(await trialBalance(q)))
        expect.soft(total, currency).toBe(0);
      expect.soft((await verifyAuditLog(db.store)).firstBreak).toBeNull();
    }, 170_000);
  },
);
