/**
 * Import speed and memory (issue: billing data). Run: `npm run bench:import [-- --rows 1000000 --memory-rows 5000000]`.
 *
 * 1. Generates a FOCUS CSV with the project's generator.
 * 2. Imports it into a fresh SQLite store with `importFile` (the `refund-desk import` path),
 *    and, in the same run, loads the same file into a DuckDB table
 *    (`CREATE TABLE t AS SELECT * FROM read_csv(...)`): prints rows/s and the ratio.
 * 3. Imports a larger file in a child process and prints its peak resident memory (the import
 *    streams: memory does not grow with the file). `--memory-rows 0` skips it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadConfig } from "../src/config.js";
import { seedDemo } from "../src/demo/seed-demo.js";
import { generateDataset } from "../src/generator/generate-dataset.js";
import { importFile } from "../src/imports/import-file.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { openStore } from "../src/store/database.js";
import { migrateToLatest } from "../src/store/migrations/index.js";
import { arg, peakRssOfChild, reportPeakRss, timed } from "./support.js";

interface ImportRun {
  rows: number;
  /** Seconds before the store's transaction opens: header checks, counting the CSV's line breaks. */
  readingSeconds: number;
}

async function importInto(dir: string, file: string): Promise<ImportRun> {
  const config = loadConfig(
    // REFUND_DESK_ANALYTICS_MEMORY and the like pass through, to measure other bounds.
    { ...process.env, REFUND_DESK_DATA_DIR: dir, REFUND_DESK_SECRET_KEY: "22".repeat(32) },
    { warn: () => {} },
  );
  const store = openStore(`sqlite:${join(dir, "bench.sqlite")}`);
  await migrateToLatest(store);
  const services: Services = {
    store,
    config: { ...config, passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
    clock: systemClock,
  };
  const world = await seedDemo(services);
  const t0 = process.hrtime.bigint();
  let readingSeconds = 0;
  const outcome = await importFile(
    services,
    { actor: "system:bench", requestId: null },
    {
      organisationId: world!.customers.acme.organisationId,
      kind: "charges",
      path: file,
      fileName: "charges.csv",
      onInvalid: "fail",
      onProgress: (p) => {
        if (p.phase === "storing" && p.done === 0)
          readingSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      },
    },
  );
  await store.close();
  return { rows: outcome.rowsImported, readingSeconds };
}

async function duckdbLoad(file: string): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(`create table t as select * from read_csv('${file.replaceAll("'", "''")}')`);
  connection.closeSync();
  instance.closeSync();
}

async function child(): Promise<void> {
  const file = arg("file", "");
  const dir = arg("dir", "");
  const { rows } = await importInto(dir, file);
  process.stdout.write(`imported=${rows}\n`);
  reportPeakRss();
}

async function main(): Promise<void> {
  const rows = Number(arg("rows", "1000000"));
  const memoryRows = Number(arg("memory-rows", "5000000"));
  const work = mkdtempSync(join(tmpdir(), "refund-desk-bench-"));
  try {
    process.stderr.write(`generating ${rows} rows…\n`);
    await generateDataset({
      outDir: join(work, "data"),
      seed: 1,
      rows,
      accounts: 40,
      months: 3,
      currency: "USD",
      clean: false,
    });
    const file = join(work, "data", "charges.csv");

    // Warm the file cache and both code paths once on a copy of the store.
    await duckdbLoad(file);
    const duck = await timed(() => duckdbLoad(file));
    const ours = await timed(() => importInto(join(work, "store"), file));
    const ratio = ours.seconds / duck.seconds;
    process.stdout.write(
      `${[
        `import of ${ours.value.rows} FOCUS rows into SQLite: ${ours.seconds.toFixed(2)} s (${Math.round(ours.value.rows / ours.seconds)} rows/s)`,
        `  of which checking the header and counting line breaks, before the store's transaction: ${ours.value.readingSeconds.toFixed(2)} s`,
        `DuckDB read_csv into a table, same file, same run: ${duck.seconds.toFixed(2)} s (${Math.round(rows / duck.seconds)} rows/s)`,
        `ratio (ours / DuckDB): ${ratio.toFixed(2)}x   (aim: within 5x)`,
      ].join("\n")}\n`,
    );

    if (memoryRows > 0) {
      process.stderr.write(`generating ${memoryRows} rows for the memory check…\n`);
      await generateDataset({
        outDir: join(work, "big"),
        seed: 2,
        rows: memoryRows,
        accounts: 40,
        months: 3,
        currency: "USD",
        clean: false,
      });
      const { peakMiB } = await peakRssOfChild([
        resolve(import.meta.dirname, "import.ts"),
        "--child",
        "--file",
        join(work, "big", "charges.csv"),
        "--dir",
        join(work, "big-store"),
      ]);
      process.stdout.write(
        `peak resident memory importing ${memoryRows} rows: ${peakMiB.toFixed(0)} MiB   (limit: 512 MiB, ${peakMiB < 512 ? "within" : "OVER"})\n`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes("--child")) await child();
else await main();
