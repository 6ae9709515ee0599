import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../src/audit-log/verify-audit-log.js";
import { seedDemo } from "../src/demo/seed-demo.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { openStore, type Store } from "../src/store/database.js";
import { migrateToLatest } from "../src/store/migrations/index.js";
import { type Caller, login } from "./support/client.js";
import {
  createDatabase,
  type PrivatePostgres,
  privatePostgresBinaries,
  startPrivatePostgres,
} from "./support/private-postgres.js";
import {
  API_BANNER,
  ChildRegistry,
  type Exchange,
  exchange,
  jsonLines,
  type Served,
  spawnServe,
  until,
} from "./support/processes.js";
import {
  importRefundCharges,
  type RefundCharge,
  trialBalance,
  unbalancedEntries,
} from "./support/refunds.js";
import { TEST_SECRET_KEY, testConfig } from "./support/server.js";

/**
 * PostgreSQL goes away under a running `serve --role all` — first stopped cleanly
 * (`pg_ctl stop -m fast`), then crashed (`-m immediate`) — and comes back after ~3 s, on a cluster
 * of this test's own (test/support/private-postgres.ts; the shared server on 5432 is never touched).
 * A steady trickle of reads and writes (each write with its Idempotency-Key) runs throughout.
 *
 * While the database is down every answer is a prompt 503 problem details with Retry-After (never a
 * 500, never a hang) and /readyz says not ready; after the restart the same process, not restarted,
 * answers again within a few seconds, its job worker runs new jobs, and nothing partial was written.
 */
const bin = privatePostgresBinaries();

/** Longest any answer may take, down or not. */
const HANG_MS = 6_000;
/** How soon after `pg_ctl start` returns the service must answer writes again. */
const RECOVERY_MS = 5_000;
const DOWN_MS = 3_000;
const TICK_MS = 200;

const CHARGES: RefundCharge[] = Array.from({ length: 12 }, (_, i) => {
  const n = String(i + 1).padStart(2, "0");
  return { resource: `i-restart-${n}`, invoiceId: `INV-RESTART-${n}`, cost: "900.00" };
});

type Kind = "read" | "write" | "decide";
interface Sample extends Exchange<Record<string, unknown>> {
  kind: Kind;
  key?: string;
  marker?: string;
  index?: number;
}

/** The distinct errors a service logged (level error and above), for a failure message. */
function loggedErrors(output: string): string[] {
  const seen = new Map<string, number>();
  for (const line of jsonLines(output)) {
    if (Number(line.level) < 50) continue;
    const err = (line.err ?? {}) as Record<string, unknown>;
    const what = `${line.msg}: ${err.type ?? ""} ${err.code ?? ""} ${String(err.message ?? "").slice(0, 200)}`;
    seen.set(what, (seen.get(what) ?? 0) + 1);
  }
  return [...seen].map(([what, count]) => `${count}× ${what}`);
}

describe.runIf(bin !== null)("the service while its PostgreSQL restarts", () => {
  const children = new ChildRegistry();
  let pgServer: PrivatePostgres | undefined;
  let url: string;
  let dataDir: string;
  let served: Served;
  let baseUrl: string;
  let organisationId: string;
  let accountId: string;
  let chargeIds: string[];
  let owner: Caller;
  let senior: Caller;

  beforeAll(async () => {
    pgServer = await startPrivatePostgres(bin!);
    url = await createDatabase(pgServer, "refund_desk");
    dataDir = mkdtempSync(join(tmpdir(), "refund-desk-pg-restart-"));
    const store = openStore(url, { poolSize: 3 });
    try {
      await migrateToLatest(store);
      const services: Services = { store, config: testConfig(dataDir), clock: systemClock };
      const world = await seedDemo(services);
      if (!world) throw new Error("fresh database already had demo data");
      organisationId = world.customers.acme.organisationId;
      accountId = world.customers.acme.memberAccountIds[0]!;
      const charges = await importRefundCharges(services, organisationId, "restart-charges", CHARGES);
      chargeIds = CHARGES.map((c) => charges.get(c.resource)!);
    } finally {
      await store.close();
    }
    served = spawnServe(
      ["--role", "all", "--no-migrate", "--port", "0"],
      {
        REFUND_DESK_DATABASE_URL: url,
        REFUND_DESK_DATA_DIR: dataDir,
        REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
        REFUND_DESK_LOG_LEVEL: "warn",
        REFUND_DESK_RATE_LIMIT_PER_MINUTE: "100000",
      },
      { registry: children },
    );
    baseUrl = (await served.waitFor(API_BANNER))[1]!;
    owner = await login(baseUrl, "owner@acme.example");
    senior = await login(baseUrl, "senior@nimbus.example");
  }, 120_000);

  afterAll(async () => {
    await children.killAll();
    await pgServer?.remove();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  /** Opens a connection of the test's own for a check, and closes it. */
  async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    const store = openStore(url, { poolSize: 2 });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  it("answers 503 while the database is down and recovers by itself after a clean stop and after a crash", async () => {
    const samples: Sample[] = [];
    const inFlight = new Set<Promise<void>>();
    const filed: string[] = [];
    let n = 0;
    let trickling = true;

    const record = (kind: Kind, promise: Promise<Exchange<Record<string, unknown>>>, extra = {}) => {
      const p = promise.then((x) => {
        samples.push({ ...x, kind, ...extra });
        if (kind === "write" && x.status === 201) {
          const cases = (x.body as { cases?: Array<{ id: string }> }).cases ?? [];
          for (const c of cases) filed.push(c.id);
        }
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    const caseBody = (i: number, marker: string) => ({
      accountId,
      items: [{ chargeId: chargeIds[i % chargeIds.length]!, amount: "0.01" }],
      reason: "billing_error",
      desiredOutcome: "account_credit",
      summary: marker,
      description: "Filed by the trickle of the PostgreSQL restart test.",
      impactStatement: "None; a test.",
    });
    const fileOne = () => {
      const i = ++n;
      const marker = `restart-trickle-${String(i).padStart(4, "0")}`;
      const key = `restart-${i}`;
      record(
        "write",
        exchange(baseUrl, "POST", "/cases", { as: owner, idempotencyKey: key, body: caseBody(i, marker) }),
        { key, marker, index: i },
      );
    };
    // A steady trickle: a read and a write every tick, a decision every third, whatever the answers.
    const trickle = (async () => {
      while (trickling) {
        record(
          "read",
          exchange(baseUrl, "GET", `/organisations/${organisationId}/cases?limit=5`, { as: owner }),
        );
        fileOne();
        const decidable = n % 3 === 0 ? filed.shift() : undefined;
        if (decidable)
          record(
            "decide",
            exchange(baseUrl, "POST", `/cases/${decidable}/decision`, {
              as: senior,
              idempotencyKey: `restart-decide-${decidable}`,
              body: {
                outcome: "account_credit",
                rationale: "Credited while the database restarts.",
                clauses: ["billing-errors-refunded"],
              },
            }),
          );
        await sleep(TICK_MS);
      }
    })();

    const readyz = () =>
      exchange<Record<string, unknown>>(baseUrl, "GET", "/readyz", { timeoutMs: HANG_MS * 2 });
    const report: string[] = [];
    const phases: Array<{
      mode: "fast" | "immediate";
      stop: [number, number];
      start: [number, number];
      recoveredAt: number;
    }> = [];
    try {
      await sleep(2_500);
      for (const mode of ["fast", "immediate"] as const) {
        const stop0 = Date.now();
        await pgServer!.stop(mode);
        const stop1 = Date.now();
        await sleep(500);
        const notReady = await readyz();
        expect(notReady.status, `${notReady.error ?? notReady.text}\n${served.stderr()}`).toBe(503);
        expect(notReady.body).toMatchObject({ code: "unavailable", reason: "database_unreachable" });
        expect(notReady.ms).toBeLessThan(HANG_MS);
        await sleep(DOWN_MS - 500);
        const start0 = Date.now();
        await pgServer!.start();
        const start1 = Date.now();
        // Without restarting the service: a write succeeds again within a few seconds.
        const recoveredAt = await until(
          async () =>
            samples.find((s) => s.kind === "write" && s.startedAt >= start1 && s.status === 201)?.startedAt,
          RECOVERY_MS + 10_000,
          100,
          "a write answered 201 after the restart",
        );
        const ready = await until(
          async () => {
            const r = await readyz();
            return r.status === 200 ? r : undefined;
          },
          RECOVERY_MS,
          200,
          "/readyz to answer 200",
        );
        expect(ready.body).toMatchObject({ status: "ready" });
        expect(recoveredAt - start1, "the first write after the restart to succeed").toBeLessThan(
          RECOVERY_MS,
        );
        phases.push({ mode, stop: [stop0, stop1], start: [start0, start1], recoveredAt });
        report.push(
          `${mode}: stop took ${stop1 - stop0} ms, down ${start0 - stop1} ms, start took ${start1 - start0} ms, ` +
            `first 201 ${recoveredAt - start1} ms after the start returned`,
        );
        // Then a few seconds in which everything must succeed.
        await sleep(start1 + RECOVERY_MS + 3_000 - Date.now());
      }
    } finally {
      trickling = false;
      await trickle;
      await Promise.all([...inFlight]);
    }

    const describeSample = (s: Sample) =>
      `${s.kind} ${s.key ?? ""} at +${s.startedAt - samples[0]!.startedAt} ms: ${s.status ?? s.error} in ${s.ms} ms ${s.text.slice(0, 300)}`;
    // Never a 500, never a connection error, never a hang: a prompt answer whatever the database does.
    const bad = samples.filter(
      (s) => s.status === null || (s.status >= 500 && s.status !== 503) || s.ms >= HANG_MS,
    );
    expect(
      bad.map(describeSample),
      `the service logged:\n${loggedErrors(served.output()).join("\n")}`,
    ).toEqual([]);
    // Every 503 is problem details that says to come back, without a trace of our internals.
    for (const s of samples.filter((x) => x.status === 503)) {
      expect(s.headers!.get("content-type"), describeSample(s)).toContain("application/problem+json");
      expect(s.body, describeSample(s)).toMatchObject({ status: 503, code: "unavailable" });
      expect(Number(s.headers!.get("retry-after")), describeSample(s)).toBeGreaterThan(0);
      expect(s.text).not.toMatch(/\bat .*\.(ts|js):\d+|ECONNREFUSED|57P0|stack/);
    }
    for (const [i, phase] of phases.entries()) {
      const previousRecovery = i === 0 ? 0 : phases[i - 1]!.start[1] + RECOVERY_MS;
      // Before the stop: everything succeeds.
      const before = samples.filter(
        (s) => s.startedAt >= previousRecovery && s.startedAt + s.ms < phase.stop[0],
      );
      expect(before.length).toBeGreaterThan(10);
      expect(before.filter((s) => s.status! >= 500).map(describeSample)).toEqual([]);
      // While down: 503, all of them.
      const down = samples.filter(
        (s) => s.startedAt >= phase.stop[1] && s.startedAt + s.ms <= phase.start[0],
      );
      expect(down.length).toBeGreaterThan(10);
      expect(down.filter((s) => s.status !== 503).map(describeSample)).toEqual([]);
      // A few seconds after the start: everything succeeds again.
      const after = samples.filter(
        (s) =>
          s.startedAt >= phase.start[1] + RECOVERY_MS &&
          (phases[i + 1] === undefined || s.startedAt + s.ms < phases[i + 1]!.stop[0]),
      );
      expect(after.length).toBeGreaterThan(10);
      expect(after.filter((s) => s.status! >= 500).map(describeSample)).toEqual([]);
    }

    // Each write the outage answered 503, sent again with its Idempotency-Key: it takes effect once
    // (201), or its key is still held by the request the outage cut short (409 in progress, until that
    // request is presumed dead); never a second case (counted below).
    const resent: Sample[] = [];
    for (const s of samples.filter((x) => x.kind === "write" && x.status === 503)) {
      const again = await exchange<Record<string, unknown>>(baseUrl, "POST", "/cases", {
        as: owner,
        idempotencyKey: s.key,
        body: caseBody(s.index!, s.marker!),
      });
      resent.push({ ...again, kind: "write", key: s.key, marker: s.marker, index: s.index });
      if (again.status !== 201)
        expect(again.body, describeSample(resent.at(-1)!)).toMatchObject({
          status: 409,
          code: "idempotency_request_in_progress",
        });
    }

    await withStore(async (store) => {
      const db = store.db;
      // The job worker resumed: cases filed after the last restart were reviewed by it.
      const lastStart = phases.at(-1)!.start[1];
      const lateWrites = samples.filter(
        (s) => s.kind === "write" && s.status === 201 && s.startedAt > lastStart,
      );
      expect(lateWrites.length).toBeGreaterThan(0);
      const lateCaseIds = lateWrites.flatMap((s) =>
        ((s.body.cases ?? []) as Array<{ id: string }>).map((c) => c.id),
      );
      await until(
        async () => {
          const jobs = await db
            .selectFrom("jobs")
            .select(["status"])
            .where("kind", "=", "case.review")
            .where(
              "payload",
              "in",
              lateCaseIds.map((id) => JSON.stringify({ caseId: id })),
            )
            .execute();
          return jobs.length === lateCaseIds.length && jobs.every((j) => j.status === "succeeded")
            ? true
            : undefined;
        },
        20_000,
        250,
        "the review jobs of cases filed after the restart to run",
      );
      // Nothing partial: every write answered 201 left exactly its case; no marker has two cases.
      const cases = await db.selectFrom("cases").select(["id", "summary", "ticket_number"]).execute();
      const byMarker = new Map<string, number>();
      for (const c of cases) byMarker.set(c.summary, (byMarker.get(c.summary) ?? 0) + 1);
      for (const s of [...samples, ...resent].filter((x) => x.kind === "write")) {
        const count = byMarker.get(s.marker!) ?? 0;
        if (s.status === 201) expect(count, describeSample(s)).toBe(1);
        else expect(count, describeSample(s)).toBeLessThanOrEqual(1);
      }
      // No job was left behind by the outage: none dead, none still marked running once the worker
      // has caught up (a job claimed when the database went away must not wait out its lease).
      const stuckJobs = () =>
        db
          .selectFrom("jobs")
          .select(["id", "kind", "status", "attempts", "last_error", "created_at", "locked_until"])
          .where("status", "in", ["running", "dead"])
          .execute();
      const stuck = await until(
        async () => {
          const rows = await stuckJobs();
          return rows.length === 0 ? rows : undefined;
        },
        15_000,
        250,
        "no job running or dead",
      ).catch(async () => stuckJobs());
      expect(stuck, JSON.stringify(phases)).toEqual([]);
      expect((await verifyAuditLog(store)).firstBreak).toBeNull();
      expect(await unbalancedEntries(db)).toEqual([]);
      for (const [currency, total] of Object.entries(await trialBalance(db))) expect(total, currency).toBe(0);
      const decided = await db.selectFrom("decisions").select("id").execute();
      const counts = Object.fromEntries(
        (["read", "write", "decide"] as const).map((k) => {
          const mine = samples.filter((s) => s.kind === k);
          return [
            k,
            {
              total: mine.length,
              ok: mine.filter((s) => s.status! < 300).length,
              unavailable: mine.filter((s) => s.status === 503).length,
            },
          ];
        }),
      );
      console.info(
        `[fault-postgres-restart] ${report.join("; ")}; requests ${JSON.stringify(counts)}; ` +
          `${resent.filter((s) => s.status === 201).length} of ${resent.length} writes answered 503 took effect when sent again; ` +
          `${cases.length} cases, ${decided.length} decisions; slowest answer ${Math.max(...samples.map((s) => s.ms))} ms; ` +
          `the service logged: ${loggedErrors(served.output()).join(" | ")}`,
      );
    });
    // The process was never restarted.
    expect(served.child.exitCode).toBeNull();
  }, 150_000);
});
