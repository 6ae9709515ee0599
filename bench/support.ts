import { spawn } from "node:child_process";

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
