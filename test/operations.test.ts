import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CSP } from "../src/console/security-headers.js";
import { buildApp } from "../src/http/app.js";
import { enqueueJob, type JobKind } from "../src/jobs/enqueue-job.js";
import { JOB_HANDLERS } from "../src/jobs/handlers.js";
import { startWorker } from "../src/jobs/worker.js";
import { API_CSP } from "../src/operations/security-headers.js";
import type { Services } from "../src/shared/context.js";
import { newId } from "../src/shared/ids.js";
import { type Engine, inTransaction, openStore, type Store } from "../src/store/database.js";
import { migrateToLatest } from "../src/store/migrations/index.js";
import type { JobTable } from "../src/store/schema.js";
import { runCli } from "./support/cli.js";
import { type Caller, call, login } from "./support/client.js";
import { POSTGRES_ADMIN_URL, testEngines } from "./support/engines.js";
import { seedOrganisation, seedPayout } from "./support/ledger-fixtures.js";
import { startTestServer, TEST_SECRET_KEY, type TestServer } from "./support/server.js";

const engines = await testEngines();

/** Prometheus text format → `name{labels}` → value (labels as written, in prom-client's order). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** Captures a logger's JSON lines. */
function logCapture(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { stream, lines };
}

/** A database with no schema at all: what a process sees before anyone ran `refund-desk migrate`. */
async function unmigratedStore(
  engine: Engine,
): Promise<{ store: Store; url: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "refund-desk-ops-"));
  if (engine === "sqlite") {
    const url = `sqlite:${join(dir, "fresh.sqlite")}`;
    return {
      store: openStore(url),
      url,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `rd_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    store: openStore(url, { poolSize: 2 }),
    url,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function enqueue(services: Services, kind: JobKind, payload: Record<string, unknown>, at: string) {
  return inTransaction(services.store, (tx) => enqueueJob(tx, { kind, payload, at, maxAttempts: 1 }));
}

async function jobOf(services: Services, id: string): Promise<JobTable> {
  return services.store.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

/**
 * A `notification.email` job that really died: the SMTP server it was sent to refuses connections,
 * and it had one attempt. Afterwards the configuration is "fixed" (e-mails go to `.eml` files), so a
 * retry of the job succeeds.
 */
async function deadEmailJob(server: TestServer): Promise<string> {
  const { services } = server;
  const at = services.clock.now().toISOString();
  const emailId = newId("email");
  await services.store.db
    .insertInto("email_messages")
    .values({
      id: emailId,
      organisation_id: server.world.customers.acme.organisationId,
      subject_id: "case_ops",
      event_type: "case.decided",
      recipients: JSON.stringify([{ name: "Olivia Owner", address: "owner@acme.example" }]),
      subject: "Your refund request",
      text: "Decided.",
      attachments: "[]",
      status: "pending",
      message_id: null,
      file_path: null,
      created_at: at,
      sent_at: null,
    })
    .execute();
  const jobId = await enqueue(services, "notification.email", { emailId }, at);
  services.config.smtpUrl = "smtp://127.0.0.1:1";
  try {
    await server.worker.drain();
  } finally {
    services.config.smtpUrl = null;
  }
  const job = await jobOf(services, jobId);
  if (job.status !== "dead")
    throw new Error(`expected the job to die, it is ${job.status}: ${job.last_error}`);
  return jobId;
}

describe.each(engines)("operations on %s", (engine) => {
  let server: TestServer;
  let admin: Caller;
  let finance: Caller;
  let owner: Caller;

  beforeAll(async () => {
    server = await startTestServer(engine);
    admin = await login(server.baseUrl, "admin@nimbus.example");
    finance = await login(server.baseUrl, "finance@nimbus.example");
    owner = await login(server.baseUrl, "owner@acme.example");
    // Whatever the demo world queued runs first, so each test sees only its own jobs move.
    await server.worker.drain();
  });
  afterAll(async () => server?.close());

  describe("GET /readyz", () => {
    it("answers 200 with the migrations applied when the schema is current", async () => {
      const res = await call<{ status: string; migrations: { applied: number; last: string } }>(
        server.baseUrl,
        "GET",
        "/readyz",
      );
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("ready");
      expect(res.body.migrations.applied).toBeGreaterThanOrEqual(7);
      expect(res.body.migrations.last).toMatch(/^\d{4}-/);
    });

    it("answers 503 problem details until the migrations run, and when one is missing or the database is gone", async () => {
      const fresh = await unmigratedStore(engine);
      try {
        const services: Services = { ...server.services, store: fresh.store };
        const app = await buildApp(services, { logger: false });
        const before = await app.inject({ method: "GET", url: "/readyz" });
        expect(before.statusCode).toBe(503);
        expect(before.headers["content-type"]).toContain("application/problem+json");
        expect(before.json()).toMatchObject({
          code: "unavailable",
          reason: "migrations_pending",
          appliedMigrations: 0,
          instance: "/readyz",
        });
        expect(before.json().detail).toContain("refund-desk migrate");

        await migrateToLatest(fresh.store);
        const after = await app.inject({ method: "GET", url: "/readyz" });
        expect(after.statusCode).toBe(200);
        const applied = after.json().migrations.applied as number;
        await app.close();

        // The newest migration's record removed: this build is ahead of the database.
        const last = after.json().migrations.last as string;
        await fresh.store.db
          .deleteFrom("kysely_migration" as never)
          .where("name" as never, "=", last as never)
          .execute();
        const behind = openStore(fresh.url, { poolSize: 2 });
        const app2 = await buildApp({ ...services, store: behind }, { logger: false });
        const missing = await app2.inject({ method: "GET", url: "/readyz" });
        expect(missing.statusCode).toBe(503);
        expect(missing.json()).toMatchObject({
          reason: "migrations_pending",
          appliedMigrations: applied - 1,
        });
        expect(missing.json().detail).toContain("behind this build");

        await behind.close();
        const gone = await app2.inject({ method: "GET", url: "/readyz" });
        expect(gone.statusCode).toBe(503);
        expect(gone.json()).toMatchObject({ code: "unavailable", reason: "database_unreachable" });
        await app2.close();
      } finally {
        await fresh.store.close().catch(() => {});
        await fresh.cleanup();
      }
    });
  });

  describe("GET /metrics", () => {
    it("reports queue depth, oldest ready job, dead jobs, payouts and cases as the database holds them", async () => {
      const { services } = server;
      const scrape = async () => {
        const res = await call<string>(server.baseUrl, "GET", "/metrics");
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toContain("text/plain");
        return parseMetrics(res.text);
      };
      const before = await scrape();
      const now = services.clock.now().getTime();
      const iso = (ms: number) => new Date(now + ms).toISOString();
      const orgId = server.world.customers.acme.organisationId;
      // One dead e-mail (dying runs the worker, so it comes first), two ready audit runs (one
      // waiting 90 s), one not due for an hour.
      const deadId = await deadEmailJob(server);
      await enqueue(services, "audit.run", { organisationId: orgId, n: 1 }, iso(-90_000));
      await enqueue(services, "audit.run", { organisationId: orgId, n: 2 }, iso(-30_000));
      await enqueue(services, "credit.expire", { n: 3 }, iso(3_600_000));
      const org = await seedOrganisation(services);
      await seedPayout(services, org, { amountMinor: 100n, status: "failed" });
      await seedPayout(services, org, { amountMinor: 200n, status: "failed" });
      await seedPayout(services, org, { amountMinor: 300n, status: "succeeded", settledAt: iso(0) });

      const after = await scrape();
      const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
      expect(after.get("refund_desk_database_up")).toBe(1);
      expect(delta('refund_desk_jobs{kind="audit.run",status="queued"}')).toBe(2);
      expect(delta('refund_desk_jobs{kind="credit.expire",status="queued"}')).toBe(1);
      expect(delta('refund_desk_jobs{kind="notification.email",status="dead"}')).toBe(1);
      expect(delta("refund_desk_jobs_dead")).toBe(1);
      expect(after.get('refund_desk_jobs{kind="payout.submit",status="running"}')).toBe(0);
      expect(after.get("refund_desk_jobs_oldest_ready_age_seconds")).toBe(90);
      expect(delta('refund_desk_payouts{state="failed"}')).toBe(2);
      expect(delta('refund_desk_payouts{state="succeeded"}')).toBe(1);
      expect(after.get('refund_desk_payouts{state="credited"}')).toBe(
        before.get('refund_desk_payouts{state="credited"}'),
      );

      // Every gauge equals a count of its own, made here by hand.
      const db = services.store.db;
      const dead = await db.selectFrom("jobs").select("id").where("status", "=", "dead").execute();
      expect(after.get("refund_desk_jobs_dead")).toBe(dead.length);
      expect(dead.map((j) => j.id)).toContain(deadId);
      for (const row of await db.selectFrom("cases").select("state").execute()) {
        expect(after.get(`refund_desk_cases{state="${row.state}"}`)).toBeGreaterThan(0);
      }
      const decided = await db.selectFrom("cases").select("id").where("state", "=", "decided").execute();
      expect(after.get('refund_desk_cases{state="decided"}')).toBe(decided.length);
      expect(delta('refund_desk_cases{state="decided"}')).toBe(3);

      // The jobs run: the queue empties, and this process counts the runs by outcome.
      await server.worker.drain();
      const drained = await scrape();
      expect(drained.get('refund_desk_jobs{kind="audit.run",status="queued"}')).toBe(0);
      expect(drained.get("refund_desk_jobs_oldest_ready_age_seconds")).toBe(0);
    });

    it("counts HTTP requests by method, route pattern and status, not by raw URL", async () => {
      const caseId = newId("case");
      await call(server.baseUrl, "GET", `/cases/${caseId}`, { as: owner });
      await call(server.baseUrl, "GET", `/cases/${newId("case")}`, { as: owner });
      await call(server.baseUrl, "GET", "/no/such/route");
      const metrics = parseMetrics((await call<string>(server.baseUrl, "GET", "/metrics")).text);
      expect(
        metrics.get('refund_desk_http_requests_total{method="GET",route="/cases/:caseId",status="404"}'),
      ).toBe(2);
      expect(
        metrics.get(
          'refund_desk_http_request_duration_seconds_count{method="GET",route="/cases/:caseId",status="404"}',
        ),
      ).toBe(2);
      expect(
        metrics.get('refund_desk_http_requests_total{method="GET",route="unmatched",status="404"}'),
      ).toBeGreaterThanOrEqual(1);
      expect([...metrics.keys()].some((k) => k.includes(caseId))).toBe(false);
    });

    it("refuses callers that are not on loopback, or come through a proxy, when no token is set", async () => {
      const remote = await server.app.inject({
        method: "GET",
        url: "/metrics",
        remoteAddress: "10.20.30.40",
      });
      expect(remote.statusCode).toBe(403);
      expect(remote.headers["content-type"]).toContain("application/problem+json");
      expect(remote.body).not.toContain("refund_desk_");
      const proxied = await call(server.baseUrl, "GET", "/metrics", {
        headers: { "x-forwarded-for": "203.0.113.9" },
      });
      expect(proxied.status).toBe(403);
    });

    it("with REFUND_DESK_METRICS_TOKEN set, wants the token from everyone, and only for /metrics", async () => {
      const token = "metrics-token-0123456789abcdef";
      const services: Services = {
        ...server.services,
        config: { ...server.services.config, metricsToken: token },
      };
      const app = await buildApp(services, { logger: false });
      try {
        const none = await app.inject({ method: "GET", url: "/metrics" });
        expect(none.statusCode).toBe(401);
        const wrong = await app.inject({
          method: "GET",
          url: "/metrics",
          headers: { authorization: "Bearer metrics-token-wrong-0000000000" },
        });
        expect(wrong.statusCode).toBe(401);
        const right = await app.inject({
          method: "GET",
          url: "/metrics",
          remoteAddress: "10.20.30.40",
          headers: { authorization: `Bearer ${token}` },
        });
        expect(right.statusCode).toBe(200);
        expect(right.body).toContain("refund_desk_jobs_dead");
        // The metrics token is no API token.
        const api = await app.inject({
          method: "GET",
          url: "/jobs/dead",
          headers: { authorization: `Bearer ${token}` },
        });
        expect(api.statusCode).toBe(401);
      } finally {
        await app.close();
      }
    });
  });

  describe("request and job ids in the logs", () => {
    it("echoes a sane X-Request-Id and logs every line of the request with it; replaces an unsafe one", async () => {
      const { stream, lines } = logCapture();
      const app = await buildApp(server.services, { logger: { level: "info", stream } });
      try {
        const traced = await app.inject({
          method: "GET",
          url: "/healthz",
          headers: { "x-request-id": "lb-trace.0123456789" },
        });
        expect(traced.headers["x-request-id"]).toBe("lb-trace.0123456789");
        const ours = lines.filter((l) => l.reqId === "lb-trace.0123456789");
        expect(ours.map((l) => l.msg)).toEqual(["incoming request", "request completed"]);

        const hostile = await app.inject({
          method: "GET",
          url: "/healthz",
          headers: { "x-request-id": 'x" injected\\n{"level":60}' },
        });
        const id = String(hostile.headers["x-request-id"]);
        expect(id).toMatch(/^req_[0-9a-z]{26}$/);
        expect(lines.filter((l) => l.reqId === id)).toHaveLength(2);

        // A request that fails logs its error with the same id the problem details carry.
        const failed = await app.inject({ method: "GET", url: "/jobs/dead" });
        expect(failed.statusCode).toBe(401);
        const problemId = failed.json().requestId as string;
        expect(failed.headers["x-request-id"]).toBe(problemId);
        expect(lines.filter((l) => l.reqId === problemId).length).toBeGreaterThanOrEqual(2);
        // Every request line carries a request id.
        expect(lines.filter((l) => l.req || l.res).every((l) => typeof l.reqId === "string")).toBe(true);
      } finally {
        await app.close();
      }
    });

    it("logs each job run with its job id, kind and attempt", async () => {
      const { stream, lines } = logCapture();
      const { services } = server;
      const at = services.clock.now().toISOString();
      const jobId = await enqueue(
        services,
        "case.verification_check",
        { organisationId: server.world.customers.acme.organisationId },
        at,
      );
      const worker = startWorker(services, JOB_HANDLERS, {
        workerId: "log-test",
        pollMs: 0,
        logger: pino({ level: "info" }, stream),
      });
      await worker.drain();
      await worker.stop();
      const line = lines.find((l) => l.jobId === jobId);
      expect(line).toMatchObject({
        jobId,
        kind: "case.verification_check",
        attempt: 1,
        msg: "job succeeded",
      });
      expect(lines.every((l) => typeof l.jobId === "string")).toBe(true);
    });

    it("does not count a run the database's absence failed against the job's attempts", async () => {
      const { services } = server;
      const at = services.clock.now().toISOString();
      const enqueueOnce = () =>
        inTransaction(services.store, (tx) =>
          enqueueJob(tx, { kind: "case.close", payload: { caseId: newId("case") }, at, maxAttempts: 1 }),
        );
      const unavailable = await enqueueOnce();
      const broken = await enqueueOnce();
      const worker = startWorker(
        services,
        {
          "case.close": async (_services, _payload, job) => {
            if (job.id === unavailable)
              throw Object.assign(new Error("terminating connection due to administrator command"), {
                code: "57P01",
              });
            throw new Error("a bug in the handler");
          },
        },
        { workerId: "outage-test", pollMs: 0 },
      );
      await worker.drain();
      await worker.stop();
      // One attempt allowed: the handler's own failure uses it up; the outage gives it back.
      expect(await jobOf(services, broken)).toMatchObject({ status: "dead", attempts: 1 });
      expect(await jobOf(services, unavailable)).toMatchObject({ status: "queued", attempts: 0 });
      await services.store.db.deleteFrom("jobs").where("id", "in", [unavailable, broken]).execute();
    });
  });

  describe("graceful stop", () => {
    it("lets the running job finish and claims nothing more", async () => {
      const { services } = server;
      await server.worker.drain();
      const at = services.clock.now().toISOString();
      const orgId = server.world.customers.acme.organisationId;
      const first = await enqueue(services, "case.verification_check", { organisationId: orgId, n: "a" }, at);
      const second = await enqueue(
        services,
        "case.verification_check",
        { organisationId: orgId, n: "b" },
        at,
      );
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let running: () => void = () => {};
      const started = new Promise<void>((r) => {
        running = r;
      });
      // The real operation, held at its start until the stop has been asked for.
      const check = JOB_HANDLERS["case.verification_check"];
      const worker = startWorker(
        services,
        {
          "case.verification_check": async (s, payload, job) => {
            running();
            await gate;
            await check(s, payload, job);
          },
        },
        { workerId: "stop-test", pollMs: 10 },
      );
      await started;
      const stopped = worker.stop();
      release();
      await stopped;
      const statuses = await Promise.all([jobOf(services, first), jobOf(services, second)]);
      expect(statuses.map((j) => j.status).sort()).toEqual(["queued", "succeeded"]);
      await server.worker.drain();
    });
  });

  describe("security headers", () => {
    it("marks API answers nosniff, no-referrer, not frameable, not cacheable, with a deny-all CSP", async () => {
      const res = await call(server.baseUrl, "GET", "/jobs/dead", { as: admin });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("content-security-policy")).toBe(API_CSP);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    });

    it("keeps the console's own CSP on console pages", async () => {
      const res = await call(server.baseUrl, "GET", "/");
      expect(res.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    });
  });

  describe("dead-letter desk", () => {
    it("lists dead jobs for admins, newest first, paginated and by kind", async () => {
      const ids = [await deadEmailJob(server), await deadEmailJob(server), await deadEmailJob(server)];
      const first = await call<{
        items: Array<{ id: string; kind: string; status: string; lastError: string }>;
        nextCursor: string | null;
      }>(server.baseUrl, "GET", "/jobs/dead?kind=notification.email&limit=2", { as: admin });
      expect(first.status).toBe(200);
      expect(first.body.items.map((j) => j.id)).toEqual([ids[2], ids[1]]);
      expect(first.body.items[0]).toMatchObject({
        kind: "notification.email",
        status: "dead",
        attempts: 1,
        maxAttempts: 1,
      });
      expect(first.body.items[0]!.lastError).toBeTruthy();
      expect(first.body.nextCursor).not.toBeNull();
      const second = await call<{ items: Array<{ id: string }> }>(
        server.baseUrl,
        "GET",
        `/jobs/dead?kind=notification.email&limit=2&cursor=${first.body.nextCursor}`,
        { as: admin },
      );
      expect(second.body.items.map((j) => j.id)).toContain(ids[0]);
      const other = await call<{ items: unknown[] }>(server.baseUrl, "GET", "/jobs/dead?kind=payout.submit", {
        as: admin,
      });
      expect(other.body.items).toEqual([]);
    });

    it("retries a dead job once per Idempotency-Key, audited, and the job then runs and succeeds", async () => {
      const { services } = server;
      const jobId = await deadEmailJob(server);
      const res = await call<{ id: string; status: string; attempts: number }>(
        server.baseUrl,
        "POST",
        `/jobs/${jobId}/retry`,
        { as: admin, idempotencyKey: `retry-${jobId}` },
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: jobId, status: "queued", attempts: 0 });
      const again = await call(server.baseUrl, "POST", `/jobs/${jobId}/retry`, {
        as: admin,
        idempotencyKey: `retry-${jobId}`,
      });
      expect(again.status).toBe(200);
      expect(again.headers.get("idempotent-replayed")).toBe("true");

      const entries = await services.store.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "job.retried")
        .where("subject_id", "=", jobId)
        .execute();
      expect(entries).toHaveLength(1);
      const adminUser = await services.store.db
        .selectFrom("users")
        .select("id")
        .where("email", "=", "admin@nimbus.example")
        .executeTakeFirstOrThrow();
      expect(entries[0]).toMatchObject({
        subject_type: "job",
        actor: adminUser.id,
        request_id: res.headers.get("x-request-id"),
        organisation_id: null,
      });

      await server.worker.drain();
      const job = await jobOf(services, jobId);
      expect(job.status).toBe("succeeded");
      const email = await services.store.db
        .selectFrom("email_messages")
        .select(["status", "file_path"])
        .where("id", "=", String(JSON.parse(job.payload).emailId))
        .executeTakeFirstOrThrow();
      expect(email.status).toBe("sent");
      expect(email.file_path).toMatch(/\.eml$/);

      // Only a dead job can be retried: this one is done.
      const late = await call<{ code: string; currentState: string }>(
        server.baseUrl,
        "POST",
        `/jobs/${jobId}/retry`,
        {
          as: admin,
        },
      );
      expect(late.status).toBe(409);
      expect(late.body).toMatchObject({ code: "invalid_transition", currentState: "succeeded" });
      const unknown = await call(server.baseUrl, "POST", `/jobs/${newId("job")}/retry`, { as: admin });
      expect(unknown.status).toBe(404);
    });

    it("lets only admins in: other staff get 403, customers 404, and nothing changes", async () => {
      const jobId = await deadEmailJob(server);
      for (const [who, status] of [
        [finance, 403],
        [owner, 404],
      ] as const) {
        expect((await call(server.baseUrl, "GET", "/jobs/dead", { as: who })).status).toBe(status);
        const res = await call<{ code: string }>(server.baseUrl, "POST", `/jobs/${jobId}/retry`, { as: who });
        expect(res.status).toBe(status);
      }
      expect((await jobOf(server.services, jobId)).status).toBe("dead");
      const audited = await server.services.store.db
        .selectFrom("audit_log")
        .select("seq")
        .where("action", "=", "job.retried")
        .where("subject_id", "=", jobId)
        .execute();
      expect(audited).toEqual([]);
    });

    it("refund-desk jobs dead and jobs retry do the same from the command line", async () => {
      const jobId = await deadEmailJob(server);
      const env = {
        REFUND_DESK_DATABASE_URL: server.services.store.description,
        REFUND_DESK_DATA_DIR: server.services.config.dataDir,
        REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
      };
      const listed = await runCli(["jobs", "dead", "--kind", "notification.email", "--format", "json"], env);
      expect(listed.code, listed.stderr).toBe(0);
      const { items } = JSON.parse(listed.stdout) as { items: Array<{ id: string }> };
      expect(items.map((j) => j.id)).toContain(jobId);

      const retried = await runCli(["jobs", "retry", jobId], env);
      expect(retried.code, retried.stderr).toBe(0);
      expect(retried.stdout).toContain(`Job ${jobId} (notification.email) is queued again`);
      const job = await jobOf(server.services, jobId);
      expect(job).toMatchObject({ status: "queued", attempts: 0 });
      const entry = await server.services.store.db
        .selectFrom("audit_log")
        .select("actor")
        .where("action", "=", "job.retried")
        .where("subject_id", "=", jobId)
        .executeTakeFirstOrThrow();
      expect(entry.actor).toBe("system:cli");

      const twice = await runCli(["jobs", "retry", jobId], env);
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain("Only a dead job can be retried; this one is queued");
    });
  });
});
