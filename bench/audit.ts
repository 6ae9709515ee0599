/**
 * Audit speed and memory (issue: audit engine). Run: `npm run bench:audit [-- --rows 1000000 --memory-rows 10000000]`.
 *
 * 1. Generates a dataset (FOCUS charges and every evidence file) with the project's generator.
 * 2. Runs the whole audit — loading the charges and evidence into DuckDB, every detector, the
 *    settlement of amounts — and, in the same run, DuckDB's bare scan of the same charges file
 *    (`SELECT count(*) FROM read_csv(...)`): prints both and the ratio.
 * 3. Audits a larger dataset in a child process and prints its peak resident memory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadAuditInputs } from "../src/audit/load-inputs.js";
import { runAudit } from "../src/audit/run-audit.js";
import { openAnalytics } from "../src/billing/analytics.js";
import { generateDataset } from "../src/generator/generate-dataset.js";
import { DEFAULT_POLICY } from "../src/policy/default-policy.js";
import { arg, peakRssOfChild, reportPeakRss, timed } from "./support.js";

const EVIDENCE = ["usage", "subscriptions", "incidents", "promotions", "payments"] as const;

interface AuditTiming {
  findings: number;
  /** Reading, validating and loading the charges and evidence files into DuckDB. */
  loadSeconds: number;
  /** The detectors and the settlement of amounts (`runAudit`). */
  detectSeconds: number;
}

async function audit(dir: string, asOf: string): Promise<AuditTiming> {
  // The same bound the product uses by default (REFUND_DESK_ANALYTICS_MEMORY).
  const analytics = await openAnalytics({ memoryLimit: "512MB", tempDirectory: tmpdir() });
  try {
    const files = Object.fromEntries(
      EVIDENCE.map((k) => [k, [{ path: join(dir, `${k}.jsonl`), displayName: `${k}.jsonl` }]]),
    );
    const load = await timed(() =>
      loadAuditInputs(analytics, {
        charges: [{ path: join(dir, "charges.csv"), displayName: "charges.csv" }],
        ...files,
      }),
    );
    const detect = await timed(() => runAudit(analytics, { policy: DEFAULT_POLICY, asOf }));
    return {
      findings: detect.value.summary.findings,
      loadSeconds: load.seconds,
      detectSeconds: detect.seconds,
    };
  } finally {
    analytics.close();
  }
}

async function bareScan(file: string): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.runAndReadAll(`select count(*) from read_csv('${file.replaceAll("'", "''")}')`);
  connection.closeSync();
  instance.closeSync();
}

async function child(): Promise<void> {
  const { findings } = await audit(arg("dir", ""), arg("as-of", "2026-04-01"));
  process.stdout.write(`findings=${findings}\n`);
  reportPeakRss();
}

async function main(): Promise<void> {
  const rows = Number(arg("rows", "1000000"));
  const memoryRows = Number(arg("memory-rows", "10000000"));
  const work = mkdtempSync(join(tmpdir(), "refund-desk-bench-audit-"));
  try {
    process.stderr.write(`generating ${rows} rows…\n`);
    const data = await generateDataset({
      outDir: join(work, "data"),
      seed: 1,
      rows,
      accounts: 40,
      months: 1,
      currency: "USD",
      clean: false,
    });
    const file = join(work, "data", "charges.csv");
    await bareScan(file);
    await audit(join(work, "data"), data.asOf);
    const scan = await timed(() => bareScan(file));
    const ours = await timed(() => audit(join(work, "data"), data.asOf));
    process.stdout.write(
      `${[
        `full audit of ${rows} charges with all evidence: ${ours.seconds.toFixed(2)} s, ${ours.value.findings} findings (truth: ${data.findings.length})`,
        `  of which reading and validating the files into DuckDB: ${ours.value.loadSeconds.toFixed(2)} s, detectors: ${ours.value.detectSeconds.toFixed(2)} s`,
        `DuckDB bare scan, SELECT count(*) FROM read_csv, same file, same run: ${scan.seconds.toFixed(2)} s`,
        `ratio (full audit / scan): ${(ours.seconds / scan.seconds).toFixed(2)}x   (aim: within 3x)`,
        `ratio (detectors alone / scan): ${(ours.value.detectSeconds / scan.seconds).toFixed(2)}x`,
      ].join("\n")}\n`,
    );
    if (memoryRows > 0) {
      process.stderr.write(`generating ${memoryRows} rows for the memory check…\n`);
      const big = await generateDataset({
        outDir: join(work, "big"),
        seed: 2,
        rows: memoryRows,
        accounts: 40,
        months: 1,
        currency: "USD",
        clean: false,
      });
      const { peakMiB } = await peakRssOfChild([
        resolve(import.meta.dirname, "audit.ts"),
        "--child",
        "--dir",
        join(work, "big"),
        "--as-of",
        big.asOf,
      ]);
      process.stdout.write(
        `peak resident memory auditing ${memoryRows} rows: ${peakMiB.toFixed(0)} MiB   (aim: under 1 GiB)\n`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes("--child")) await child();
else await main();
