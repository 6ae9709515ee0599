import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../src/demo/seed-demo.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { runCli } from "./support/cli.js";
import { call, login } from "./support/client.js";
import { openTestStore, type TestStore, testEngines } from "./support/engines.js";
import { API_BANNER, jsonLines, PROBES_BANNER, type Served, spawnServe, until } from "./support/processes.js";
import { TEST_SECRET_KEY, testConfig } from "./support/server.js";

/**
 * `refund-desk serve --role api|worker` as real processes on one PostgreSQL database: what the API
 * enqueues, only the worker runs; SIGTERM stops each cleanly. On SQLite the split is refused.
 */
const engines = await testEngines();
describe.runIf(engines.includes("postgres"))("serve --role api and --role worker on PostgreSQL", () => {
  let db: TestStore;
  let env: Record<string, string>;
  let organisationId: string;
  const started: Served[] = [];

  beforeAll(async () => {
    db = await openTestStore("postgres");
    const services: Services = { store: db.store, config: testConfig(db.dataDir), clock: systemClock };
    const world = await seedDemo(services);
    organisationId = world!.customers.acme.organisationId;
    env = {
      REFUND_DESK_DATABASE_URL: db.url,
      REFUND_DESK_DATA_DIR: db.dataDir,
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
      REFUND_DESK_LOG_LEVEL: "info",
    };
  });
  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    await db?.cleanup();
  });

  it("runs what the API process enqueues only in the worker process, and both stop on SIGTERM", async () => {
    const api = spawnServe(["--role", "api", "--port", "0"], env);
    started.push(api);
    const [, apiUrl] = await api.waitFor(API_BANNER);
    const owner = await login(apiUrl!, "owner@acme.example");
    const enqueued = await call<{ jobId: string }>(
      apiUrl!,
      "POST",
      `/organisations/${organisationId}/audits`,
      {
        as: owner,
      },
    );
    expect(enqueued.status).toBe(202);
    const { jobId } = enqueued.body;
    const status = async () =>
      (
        await db.store.db
          .selectFrom("jobs")
          .select("status")
          .where("id", "=", jobId)
          .executeTakeFirstOrThrow()
      ).status;

    // The API process alone leaves it queued (its own worker would poll every 500 ms).
    await new Promise((r) => setTimeout(r, 2500));
    expect(await status()).toBe("queued");
    expect((await call(apiUrl!, "GET", "/readyz")).status).toBe(200);

    const worker = spawnServe(["--role", "worker", "--metrics-port", "0"], env);
    started.push(worker);
    const [, probesUrl] = await worker.waitFor(PROBES_BANNER);
    expect(worker.output()).not.toContain("Console and API");
    await until(async () => ((await status()) === "succeeded" ? true : undefined));

    // The worker logged the run with the job's id, and counts it on its metrics port.
    const run = jsonLines(worker.output()).find((l) => l.jobId === jobId);
    expect(run).toMatchObject({ kind: "audit.run", msg: "job succeeded" });
    expect((await call(probesUrl!, "GET", "/readyz")).status).toBe(200);
    const metrics = await call<string>(probesUrl!, "GET", "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('refund_desk_job_runs_total{kind="audit.run",outcome="succeeded"} 1');
    // The worker serves probes only: no API there.
    expect((await call(probesUrl!, "GET", "/jobs/dead")).status).toBe(404);

    api.child.kill("SIGTERM");
    worker.child.kill("SIGTERM");
    expect(await api.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    for (const s of [api, worker]) {
      const messages = jsonLines(s.output()).map((l) => l.msg);
      expect(messages).toContain("shutting down: no new requests or jobs; finishing what runs");
      expect(messages.at(-1), JSON.stringify(messages.slice(-5))).toBe("stopped");
    }
  });
});

describe("serve --role on the embedded SQLite database", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "refund-desk-roles-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(["api", "worker"])(
    "refuses --role %s with a message that says why, changing nothing",
    async (role) => {
      const res = await runCli(["serve", "--role", role], {
        REFUND_DESK_DATA_DIR: dir,
        REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`--role ${role} needs PostgreSQL`);
      expect(res.stderr).toContain("--role all");
      expect(res.stdout).toBe("");
      expect(existsSync(join(dir, "refund-desk.sqlite"))).toBe(false);
    },
  );

  it("refuses an unknown role", async () => {
    const res = await runCli(["serve", "--role", "both"], {
      REFUND_DESK_DATA_DIR: dir,
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("must be one of all, api, worker");
  });
});
