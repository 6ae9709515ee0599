/**
 * Ledger posting speed on PostgreSQL (issue: settlement). Run: `npm run bench:ledger [-- --clients 8 --seconds 10]`.
 *
 * 1. Creates a scratch database, migrates it, creates an organisation, then posts balanced two-line
 *    entries from C concurrent clients for S seconds, each with `postJournalEntry` in its own
 *    transaction with its audit-log entry, exactly as production posts: postings per second.
 * 2. In the same run, on another scratch database on the same server: `pgbench -i -s 1`, then
 *    pgbench's built-in TPC-B-like script (`-c C -j 2 -T S -b tpcb-like`), itself a balance-update
 *    benchmark; its tps excluding connection time is the reference. Prints the ratio (aim: ≥ 0.5).
 * 3. Where the time goes: the same postings without the audit-log entry (linked into the one chain
 *    of the whole database at commit, migration 0008), and the audit-log append alone.
 *
 * REFUND_DESK_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the
 * server; the scratch databases are dropped at the end.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendAuditEntry } from "../src/audit-log/append-audit-entry.js";
import { type JournalEntryInput, journalProblems, transfer } from "../src/ledger/journal.js";
import { insertJournalEntry, postJournalEntry } from "../src/ledger/post-journal-entry.js";
import { createOrganisation } from "../src/organisations/create-organisation.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { inTransaction, openStore, type Tx } from "../src/store/database.js";
import { migrateToLatest } from "../src/store/migrations/index.js";
import { arg, BENCH_POSTGRES_URL, benchConfig, benchPostgresAdmin, benchPostgresUrl } from "./support.js";

const CTX = { actor: "system:bench", requestId: null };

type Posting = (tx: Tx, services: Services, entry: JournalEntryInput) => Promise<unknown>;

const VARIANTS: Record<string, Posting> = {
  /** Production: `postJournalEntry`, with its audit-log entry. */
  production: (tx, services, entry) => postJournalEntry(tx, services, CTX, entry),
  /** The same ledger writes without the audit-log entry: what the head row's lock costs. */
  "without audit log": (tx, services, entry) =>
    insertJournalEntry(tx, CTX, entry, services.clock.now().toISOString(), services.store.capabilities),
  /** Only the audit-log entry (a posting's summary), no ledger rows. */
  "audit log alone": async (tx, services, entry) => {
    if (journalProblems(entry).length) throw new Error("unbalanced");
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: CTX.actor,
      action: "ledger.posted",
      subjectType: "journal_entry",
      subjectId: entry.postingKey,
      organisationId: entry.organisationId,
      summary: { kind: entry.kind, postingKey: entry.postingKey },
      requestId: null,
      at: services.clock.now().toISOString(),
    });
  },
};

/** Postings per second from `clients` concurrent clients, after a short warm-up. */
async function postings(
  dbName: string,
  variant: Posting,
  clients: number,
  seconds: number,
): Promise<{ perSecond: number; count: number; nodeCpu: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), "refund-desk-bench-ledger-"));
  const store = openStore(benchPostgresUrl(dbName), { poolSize: clients });
  try {
    await migrateToLatest(store);
    const config = benchConfig(dataDir);
    const services: Services = { store, config, clock: systemClock };
    const org = await createOrganisation(services, CTX, {
      kind: "customer",
      name: "Bench Ltd",
      billingAccount: { name: "Bench — billing", currency: "USD" },
      country: "GB",
    });
    let n = 0;
    const run = async (until: number): Promise<number> => {
      let done = 0;
      await Promise.all(
        Array.from({ length: clients }, async (_, client) => {
          while (performance.now() < until) {
            const i = n++;
            await inTransaction(store, (tx) =>
              variant(tx, services, {
                organisationId: org.id,
                kind: "refund_decided",
                description: "Refund decided (bench)",
                postingKey: `bench:${client}:${i}`,
                effectiveAt: new Date().toISOString(),
                // Two currencies and two pairs of codes, so the entries touch several ledger accounts.
                lines: transfer(
                  { code: i % 2 ? "refunds_contra_revenue" : "sla_credit_expense", accountId: null },
                  {
                    code: i % 3 ? "refunds_payable" : "customer_credit",
                    accountId: i % 3 ? null : org.billingAccountId,
                  },
                  i % 5 ? "USD" : "EUR",
                  BigInt(100 + (i % 9000)),
                ),
              }),
            );
            done += 1;
          }
        }),
      );
      return done;
    };
    await run(performance.now() + 1500);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const count = await run(t0 + seconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { perSecond: count / wall, count, nodeCpu: (cpu.user + cpu.system) / 1e6 / wall };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function pgbench(args: string[]): Promise<string> {
  const url = new URL(BENCH_POSTGRES_URL);
  return new Promise((done, fail) => {
    const child = spawn(
      "pgbench",
      [
        "-h",
        url.hostname,
        "-p",
        url.port || "5432",
        "-U",
        decodeURIComponent(url.username || "postgres"),
        ...args,
      ],
      {
        env: { ...process.env, ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? done(out) : fail(new Error(`pgbench ${args.join(" ")} failed (${code}): ${out}`)),
    );
  });
}

async function tpcbInit(dbName: string): Promise<void> {
  await pgbench(["-i", "-s", "1", "-q", dbName]);
}

async function tpcb(dbName: string, clients: number, seconds: number): Promise<number> {
  const out = await pgbench([
    "-c",
    String(clients),
    "-j",
    "2",
    "-T",
    String(seconds),
    "-b",
    "tpcb-like",
    dbName,
  ]);
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
  if (!m) throw new Error(`could not read pgbench's tps from:\n${out}`);
  return Number(m[1]);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const clients = Number(arg("clients", "8"));
  const seconds = Number(arg("seconds", "10"));
  const rounds = Number(arg("rounds", "3"));
  const suffix = randomBytes(4).toString("hex");
  const dbs = Object.fromEntries(Object.keys(VARIANTS).map((v, i) => [v, `rd_bench_ledger_${i}_${suffix}`]));
  const reference = `rd_bench_pgbench_${suffix}`;
  const all = [...Object.values(dbs), reference];
  for (const name of all) await benchPostgresAdmin(`create database ${name}`);
  try {
    await tpcbInit(reference);
    // Rounds alternate pgbench and each variant, so a slower moment of a shared server (another
    // process's fsyncs) does not land on one side only; the medians are compared.
    const tps: number[] = [];
    const measured = new Map<string, Array<{ perSecond: number; nodeCpu: number }>>();
    for (let r = 1; r <= rounds; r++) {
      process.stderr.write(`round ${r}/${rounds}: pgbench TPC-B-like…\n`);
      tps.push(await tpcb(reference, clients, seconds));
      for (const [name, variant] of Object.entries(VARIANTS)) {
        process.stderr.write(`round ${r}/${rounds}: ${name}…\n`);
        const m = await postings(dbs[name]!, variant, clients, seconds);
        measured.set(name, [...(measured.get(name) ?? []), m]);
      }
    }
    const ref = median(tps);
    const f = (x: number) => x.toFixed(0).padStart(5);
    const row = (name: string) => {
      const ms = measured.get(name)!;
      const perSecond = median(ms.map((m) => m.perSecond));
      const cpu = median(ms.map((m) => m.nodeCpu));
      return {
        perSecond,
        line: `${f(perSecond)} /s  ratio ${(perSecond / ref).toFixed(2)}  (this process busy ${(cpu * 100).toFixed(0)}% of a core)`,
      };
    };
    const production = row("production");
    process.stdout.write(
      `${[
        `${clients} clients, ${seconds} s each, median of ${rounds} interleaved rounds, same PostgreSQL server:`,
        `pgbench -b tpcb-like -c ${clients} -j 2 -T ${seconds} (scale 1):       ${f(ref)} tps  (rounds: ${tps.map((x) => x.toFixed(0)).join(", ")})`,
        `ledger postings (postJournalEntry + audit-log entry, a transaction each): ${production.line}`,
        `ratio (postings/s ÷ pgbench tps): ${(production.perSecond / ref).toFixed(2)}   (aim: at least 0.5)`,
        "where the time goes:",
        `  ledger writes without the audit-log entry:          ${row("without audit log").line}`,
        `  the audit-log entry alone, no ledger rows:          ${row("audit log alone").line}`,
      ].join("\n")}\n`,
    );
  } finally {
    for (const name of all)
      await benchPostgresAdmin(`drop database if exists ${name} with (force)`).catch(() => {});
  }
}

await main();
