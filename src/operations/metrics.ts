import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { CASE_STATES } from "../cases/lifecycle.js";
import { JOB_HANDLERS } from "../jobs/handlers.js";
import type { JobOutcome } from "../jobs/worker.js";
import { PAYOUT_STATES } from "../settlement/payout-state.js";
import type { Services } from "../shared/context.js";
import type { Db } from "../store/database.js";

/**
 * Prometheus metrics of one process: its HTTP requests and job runs (counted as they happen), and
 * the state of the shared database (queue depth, dead jobs, payouts and cases by state), read with
 * a few grouped queries when Prometheus scrapes. Every process sharing a database reports the same
 * database gauges, so dashboards take `max` of them across instances, and `sum` of the counters.
 */
export interface Metrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  observeJob(kind: string, outcome: JobOutcome, seconds: number): void;
  /** The text exposition format (`registry.contentType`), with the database read once per scrape. */
  render(): Promise<string>;
}

/** Job states that make up the queue; `succeeded` rows are history and are not counted. */
const QUEUE_STATES = ["queued", "running", "dead"] as const;

interface Snapshot {
  jobs: Array<{ kind: string; status: string; n: number }>;
  oldestReadyAgeSeconds: number;
  payouts: Array<{ status: string; n: number }>;
  cases: Array<{ state: string; n: number }>;
}

export function createMetrics(services: Services, options: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  // Default metrics start timers of their own: only the long-running `serve` process wants them.
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: "refund_desk_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers,
  });
  const latency = new Histogram({
    name: "refund_desk_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const jobRuns = new Counter({
    name: "refund_desk_job_runs_total",
    help: "Job runs by this process, by kind and outcome (succeeded, retry, dead)",
    labelNames: ["kind", "outcome"] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: "refund_desk_job_run_duration_seconds",
    help: "Time one job run took in this process, by kind",
    labelNames: ["kind"] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers,
  });

  // One read of the database per scrape, shared by every gauge below.
  let current: Promise<Snapshot | null> | null = null;
  const snapshot = () => current ?? readSnapshot(services.store.db, services.clock.now());

  new Gauge({
    name: "refund_desk_database_up",
    help: "1 when the database answered this scrape's queries, else 0 (the gauges below are then absent)",
    registers,
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  new Gauge({
    name: "refund_desk_jobs",
    help: "Jobs in the queue by kind and status (queued, running, dead)",
    labelNames: ["kind", "status"] as const,
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const kind of Object.keys(JOB_HANDLERS))
        for (const status of QUEUE_STATES) this.set({ kind, status }, 0);
      for (const row of s.jobs) this.set({ kind: row.kind, status: row.status }, row.n);
    },
  });
  new Gauge({
    name: "refund_desk_jobs_oldest_ready_age_seconds",
    help: "How long the oldest job ready to run has waited for a worker (0 when none waits)",
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (s) this.set(s.oldestReadyAgeSeconds);
    },
  });
  new Gauge({
    name: "refund_desk_jobs_dead",
    help: "Jobs that ran out of attempts and wait for an admin (GET /jobs/dead)",
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (s) this.set(s.jobs.filter((r) => r.status === "dead").reduce((sum, r) => sum + r.n, 0));
    },
  });
  new Gauge({
    name: "refund_desk_payouts",
    help: "Payouts (refunds to the original payment method) by state",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const state of PAYOUT_STATES) this.set({ state }, 0);
      for (const row of s.payouts) this.set({ state: row.status }, row.n);
    },
  });
  new Gauge({
    name: "refund_desk_cases",
    help: "Refund cases by state",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const state of CASE_STATES) this.set({ state }, 0);
      for (const row of s.cases) this.set({ state: row.state }, row.n);
    },
  });

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    observeJob(kind, outcome, seconds) {
      jobRuns.inc({ kind, outcome });
      jobDuration.observe({ kind }, seconds);
    },
    async render() {
      const own = readSnapshot(services.store.db, services.clock.now());
      current = own;
      try {
        return await registry.metrics();
      } finally {
        if (current === own) current = null;
      }
    },
  };
}

/** The database gauges in a few grouped queries (the queue ones use the `jobs_ready` index); null when the database fails. */
async function readSnapshot(db: Db, now: Date): Promise<Snapshot | null> {
  try {
    const at = now.toISOString();
    // One after another: a scrape holds at most one of the pool's connections.
    const jobs = await db
      .selectFrom("jobs")
      .select((eb) => ["kind", "status", eb.fn.countAll<number | string>().as("n")])
      .where("status", "in", [...QUEUE_STATES])
      .groupBy(["kind", "status"])
      .execute();
    const oldestQueued = await db
      .selectFrom("jobs")
      .select((eb) => eb.fn.min("run_after").as("since"))
      .where("status", "=", "queued")
      .where("run_after", "<=", at)
      .executeTakeFirst();
    // A running job whose lease ended is ready too: its worker is presumed dead (claimJob).
    const oldestAbandoned = await db
      .selectFrom("jobs")
      .select((eb) => eb.fn.min("locked_until").as("since"))
      .where("status", "=", "running")
      .where("locked_until", "<", at)
      .executeTakeFirst();
    const payouts = await db
      .selectFrom("payouts")
      .select((eb) => ["status", eb.fn.countAll<number | string>().as("n")])
      .groupBy("status")
      .execute();
    const cases = await db
      .selectFrom("cases")
      .select((eb) => ["state", eb.fn.countAll<number | string>().as("n")])
      .groupBy("state")
      .execute();
    const since = [oldestQueued?.since, oldestAbandoned?.since]
      .filter((s): s is string => typeof s === "string")
      .map((s) => Date.parse(s));
    const oldest = since.length ? Math.min(...since) : null;
    return {
      jobs: jobs.map((r) => ({ kind: r.kind, status: r.status, n: Number(r.n) })),
      oldestReadyAgeSeconds: oldest === null ? 0 : Math.max(0, (now.getTime() - oldest) / 1000),
      payouts: payouts.map((r) => ({ status: r.status, n: Number(r.n) })),
      cases: cases.map((r) => ({ state: r.state, n: Number(r.n) })),
    };
  } catch {
    return null;
  }
}

/**
 * Counts every answered request under its route pattern (`/cases/:caseId`, never the raw URL, so
 * ids do not explode the series); requests no route matched count as `unmatched`.
 */
export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook("onResponse", async (request, reply) => {
    metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? "unmatched",
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
}
