import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../src/demo/seed-demo.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { runCli } from "./support/cli.js";
import { call, login } from "./support/client.js";
import { openTestStore, type TestStore, testEngines } from "./support/engines.js";
import { TEST_SECRET_KEY, testConfig } from "./support/server.js";

/**
 * `refund-desk serve --role api|worker` as real processes on one PostgreSQL database: what the API
 * enqueues, only the worker runs; SIGTERM stops each cleanly. On SQLite the split is refused.
 */
const engines = await testEngines();
const ROOT = resolve(import.meta.dirname, "..");

interface Served {
  child: ChildProcess;
  /** Everything written to stdout so far (the banner, then JSON log lines). */
  output(): string;
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function serve(args: string[], env: Record<string, string>): Served {
  const child = spawn(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), resolve(ROOT, "src/cli/main.ts"), "serve", ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  child.stdout!.on("data", (d) => {
    stdout += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return {
    child,
    output: () => stdout,
    exited,
    waitFor(pattern, timeoutMs = 45_000) {
      return new Promise((done, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`)),
          timeoutMs,
        );
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            clearTimeout(timer);
            done(match);
            return;
          }
          waiters.push(check);
        };
        void exited.then((code) => {
          clearTimeout(timer);
          fail(new Error(`serve exited (${code}) before ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        });
        check();
      });
    },
  };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 200));
  }
}

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

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
    const api = serve(["--role", "api", "--port", "0"], env);
    started.push(api);
    const [, apiUrl] = await api.waitFor(/Console and API: (http:\/\/\S+?)\/\n/);
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

    const worker = serve(["--role", "worker", "--metrics-port", "0"], env);
    started.push(worker);
    const [, probesUrl] = await worker.waitFor(/Probes and metrics: (http:\/\/\S+?)\/healthz/);
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
      expect(messages.at(-1)).toBe("stopped");
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
