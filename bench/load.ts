/**
 * Case intake and the reviewers' queue under load (issue: production readiness).
 * Run: `npm run bench:load [-- --connections 200 --seconds 10 --rounds 2 --engines sqlite,postgres]`.
 *
 * For each engine: a fresh database with the demo organisations and a bill of `--charges` charges;
 * the product's API in its own process (bench/load-server.ts), and in another process the reference:
 * a bare Fastify route that inserts one row into the same store. From this process, a closed loop
 * keeps `--connections` keep-alive connections busy on loopback against each in turn (each
 * connection sends its next request when the answer to the last has arrived), in interleaved rounds:
 * - the reference: `POST /bare` (one insert);
 * - intake: `POST /cases` as the customer's owner (session cookie + CSRF header), one case of 0.01
 *   per request, charges taken in turn (each case locks its charge, takes a ticket number, records
 *   its event, its audit-log entry and its review job, in one transaction);
 * - the queue: `GET /cases?limit=20` as a reviewer (overdue first, then by expected decision).
 * Prints requests per second, p50 and p99 latency and the ratio to the reference (aims: ≥ 0.5,
 * p99 < 50 ms). Every answer must be 2xx; anything else is counted and printed.
 *
 * The connections are all open before a run is timed, as a load balancer's are. A load generator that
 * connects as it starts (autocannon did here) measures something else on a saturated server: new
 * connections are taken up a few a second, so half of them sat unconnected for seconds and the p99
 * was the connection delay (a bare Node server that burns 2 ms per request shows the same).
 * In a closed loop the mean latency is connections ÷ throughput (Little's law): at 200 connections,
 * a p99 under 50 ms needs more than 4,000 requests a second.
 *
 * REFUND_DESK_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the
 * PostgreSQL server; the scratch database is dropped at the end. `--profile DIR` writes a CPU
 * profile of each server process there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { seedDemo } from "../src/demo/seed-demo.js";
import { importFile } from "../src/imports/import-file.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { openStore } from "../src/store/database.js";
import { migrateToLatest } from "../src/store/migrations/index.js";
import { arg, benchConfig, benchPostgresAdmin, benchPostgresUrl } from "./support.js";

/** A month of `n` distinct charges for Acme's production account (ids as in the demo world). */
function billCsv(n: number): string {
  const now = new Date();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const iso = (d: Date) => d.toISOString().replace(".000Z", "Z");
  const rows = [
    "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,RegionId,ResourceId,SkuId,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,BilledCost,BillingCurrency,InvoiceId",
  ];
  for (let i = 0; i < n; i++)
    rows.push(
      `100000000001,100000000002,Acme — production,AWS,Amazon Elastic Compute Cloud,us-east-1,i-${i.toString(16).padStart(8, "0")},BoxUsage:m5.large,Usage,Usage-Based,${iso(start)},${iso(end)},720,Hours,72.00,USD,INV-BENCH`,
    );
  return `${rows.join("\n")}\n`;
}

interface Prepared {
  url: string;
  dataDir: string;
  accountId: string;
  chargeIds: string[];
  drop: () => Promise<void>;
}

async function prepare(engine: string, charges: number): Promise<Prepared> {
  const dataDir = mkdtempSync(join(tmpdir(), `refund-desk-bench-load-${engine}-`));
  let url = `sqlite:${join(dataDir, "refund-desk.sqlite")}`;
  let drop = async () => {};
  if (engine === "postgres") {
    const name = `rd_bench_load_${randomBytes(4).toString("hex")}`;
    await benchPostgresAdmin(`create database ${name}`);
    url = benchPostgresUrl(name);
    drop = () => benchPostgresAdmin(`drop database if exists ${name} with (force)`);
  }
  const store = openStore(url);
  try {
    await migrateToLatest(store);
    const config = benchConfig(dataDir);
    const services: Services = { store, config, clock: systemClock };
    const world = await seedDemo(services);
    if (!world) throw new Error("the scratch database already had data");
    const file = join(dataDir, "bill.csv");
    writeFileSync(file, billCsv(charges));
    await importFile(
      services,
      { actor: "system:bench", requestId: null },
      {
        organisationId: world.customers.acme.organisationId,
        kind: "charges",
        path: file,
        fileName: "bill.csv",
        onInvalid: "fail",
      },
    );
    const rows = await store.db
      .selectFrom("charges")
      .select(["id", "account_id"])
      .where("organisation_id", "=", world.customers.acme.organisationId)
      .where("invoice_id", "=", "INV-BENCH")
      .execute();
    if (rows.length !== charges) throw new Error(`expected ${charges} charges, found ${rows.length}`);
    return { url, dataDir, accountId: rows[0]!.account_id!, chargeIds: rows.map((r) => r.id), drop };
  } finally {
    await store.close();
  }
}

interface Server {
  baseUrl: string;
  child: ChildProcess;
}

function startServer(mode: "app" | "bare", p: Prepared): Promise<Server> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        // `--profile DIR` writes a V8 CPU profile of each server (open it in Chrome's DevTools).
        ...(arg("profile", "") ? ["--cpu-prof", `--cpu-prof-dir=${arg("profile", "")}`] : []),
        "--import",
        "tsx",
        "bench/load-server.ts",
        ...["--mode", mode, "--db", p.url, "--data", p.dataDir],
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) done({ baseUrl: `http://127.0.0.1:${m[1]}`, child });
    });
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`${mode} server exited (${code}) before listening`)));
  });
}

async function login(baseUrl: string, email: string): Promise<Record<string, string>> {
  const res = await fetch(`${baseUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "demo" }),
  });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0]!, "x-csrf-token": csrfToken };
}

interface Measured {
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

interface LoadRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: () => string;
}

/**
 * `connections` keep-alive connections, opened before the clock starts, each sending its next request
 * as soon as the last is answered; latencies from the request's start to its last byte.
 */
async function load(
  baseUrl: string,
  connections: number,
  seconds: number,
  r: LoadRequest,
): Promise<Measured> {
  const pool = new Pool(baseUrl, { connections, pipelining: 1 });
  try {
    // A cheap request on every connection at once opens them all while the server is idle.
    await Promise.all(
      Array.from({ length: connections }, () =>
        pool.request({ method: "GET", path: "/healthz" }).then((res) => res.body.dump()),
      ),
    );
    if (pool.stats.connected !== connections)
      throw new Error(`${pool.stats.connected} of ${connections} connections open`);
    const latencies: number[] = [];
    let failures = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < until) {
          const t = performance.now();
          const res = await pool.request({
            method: r.method,
            path: r.path,
            headers: r.headers,
            body: r.body?.(),
          });
          await res.body.dump();
          latencies.push(performance.now() - t);
          if (res.statusCode < 200 || res.statusCode >= 300) failures++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
    return { perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), failures };
  } finally {
    await pool.close();
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function benchEngine(engine: string, connections: number, seconds: number, rounds: number) {
  const charges = Number(arg("charges", "2000"));
  const p = await prepare(engine, charges);
  const servers: Server[] = [];
  try {
    const app = await startServer("app", p);
    servers.push(app);
    const bare = await startServer("bare", p);
    servers.push(bare);
    const customer = await login(app.baseUrl, "owner@acme.example");
    const reviewer = await login(app.baseUrl, "reviewer@nimbus.example");
    let next = 0;
    const caseBody = () =>
      JSON.stringify({
        accountId: p.accountId,
        items: [{ chargeId: p.chargeIds[next++ % p.chargeIds.length], amount: "0.01" }],
        reason: "billing_error",
        desiredOutcome: "account_credit",
        summary: "Instance billed for hours after it was stopped",
        description: "The instance was stopped on the 3rd at 14:00 UTC but billed for the whole month.",
        impactStatement: "Budget overrun for the team.",
      });
    const json = { "content-type": "application/json" };
    const requests: Record<"reference" | "intake" | "queue", [string, LoadRequest]> = {
      reference: [bare.baseUrl, { method: "POST", path: "/bare", headers: json, body: caseBody }],
      intake: [
        app.baseUrl,
        { method: "POST", path: "/cases", headers: { ...customer, ...json }, body: caseBody },
      ],
      queue: [app.baseUrl, { method: "GET", path: "/cases?limit=20", headers: reviewer }],
    };
    const kinds = Object.fromEntries(
      Object.entries(requests).map(([name, [baseUrl, request]]) => [
        name,
        (duration: number) => load(baseUrl, connections, duration, request),
      ]),
    ) as Record<keyof typeof requests, (duration: number) => Promise<Measured>>;
    const results: Record<keyof typeof kinds, Measured[]> = { reference: [], intake: [], queue: [] };
    // Warm-up: JIT, pools and caches, and cases already in the queue when it is measured.
    // `--kinds intake,queue` measures a subset (with --profile, to see one route's costs).
    const wanted = arg("kinds", "reference,intake,queue").split(",");
    const chosen = (
      Object.entries(kinds) as Array<[keyof typeof kinds, (d: number) => Promise<Measured>]>
    ).filter(([name]) => wanted.includes(name));
    for (const [, run] of chosen) await run(2);
    for (let r = 1; r <= rounds; r++)
      for (const [name, run] of chosen) {
        process.stderr.write(`${engine} round ${r}/${rounds}: ${name}…\n`);
        results[name].push(await run(seconds));
      }
    return results;
  } finally {
    for (const s of servers) s.child.kill("SIGTERM");
    await p.drop();
    rmSync(p.dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const connections = Number(arg("connections", "200"));
  const seconds = Number(arg("seconds", "10"));
  const rounds = Number(arg("rounds", "2"));
  const engines = arg("engines", "sqlite,postgres").split(",");
  const lines = [
    `${connections} connections on loopback, ${seconds} s per run, median of ${rounds} interleaved rounds:`,
  ];
  for (const engine of engines) {
    const r = await benchEngine(engine, connections, seconds, rounds);
    const ref = r.reference.length ? median(r.reference.map((m) => m.perSecond)) : Number.NaN;
    const row = (label: string, ms: Measured[], reference = false) => {
      if (ms.length === 0) return `  ${label.padEnd(44)} (not measured)`;
      const perSecond = median(ms.map((m) => m.perSecond));
      const p50 = median(ms.map((m) => m.p50));
      const p99 = median(ms.map((m) => m.p99));
      const failures = ms.reduce((n, m) => n + m.failures, 0);
      const ratio = reference ? "" : `  ratio ${(perSecond / ref).toFixed(2)} (aim ≥ 0.5)`;
      return `  ${label.padEnd(44)} ${perSecond.toFixed(0).padStart(6)} req/s  p50 ${p50.toFixed(0).padStart(4)} ms  p99 ${p99.toFixed(0).padStart(4)} ms (aim < 50)${ratio}${failures ? `  NON-2XX/ERRORS: ${failures}` : ""}`;
    };
    lines.push(
      `${engine}:`,
      row("reference: bare Fastify route, one insert", r.reference, true),
      row("intake: POST /cases (one case per request)", r.intake),
      row("reviewers' queue: GET /cases?limit=20", r.queue),
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
