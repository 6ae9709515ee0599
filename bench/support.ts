import { spawn } from "node:child_process";
import pg from "pg";
import { type Config, loadConfig } from "../src/config.js";

/** Wall-clock seconds of an async step, measured in this process. */
export async function timed<T>(step: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await step();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

/** Runs a bench script in a fresh process and returns its peak resident set size (MiB). */
export function peakRssOfChild(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ peakMiB: number; stdout: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.on("error", fail);
    child.on("close", (code) => {
      const m = /peak-rss-kib=(\d+)/.exec(stdout);
      if (code !== 0 || !m) return fail(new Error(`child failed (${code}): ${stdout}`));
      done({ peakMiB: Number(m[1]) / 1024, stdout });
    });
  });
}

/** Printed by a child at its end so the parent can read its own peak RSS. */
export function reportPeakRss(): void {
  process.stdout.write(`peak-rss-kib=${process.resourceUsage().maxRSS}\n`);
}

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** The PostgreSQL server the benchmarks use (REFUND_DESK_BENCH_POSTGRES_URL); scratch databases go there. */
export const BENCH_POSTGRES_URL =
  process.env.REFUND_DESK_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The URL of database `name` on the bench server. */
export const benchPostgresUrl = (name: string) => BENCH_POSTGRES_URL.replace(/\/[^/]*$/, `/${name}`);

/** One statement on the bench server's maintenance database (create or drop a scratch database). */
export async function benchPostgresAdmin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/** A bench process's configuration: its own data folder, a fixed key, no logs. */
export function benchConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig(
    {
      REFUND_DESK_DATA_DIR: dataDir,
      REFUND_DESK_SECRET_KEY: "33".repeat(32),
      REFUND_DESK_LOG_LEVEL: "silent",
      ...env,
    },
    { warn: () => {} },
  );
}
