import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type BuildOptions, build } from "esbuild";
import type { Caller } from "./client.js";

/**
 * Real `refund-desk` processes for the tests that start, kill and restart them (serve-roles,
 * fault-processes, fault-postgres-restart, payouts-crash): spawning `serve` from the sources with
 * tsx or from a bundle, waiting for what it prints, a registry of every child so `afterAll` leaves
 * no orphan even when a test failed half-way, and an HTTP exchange for load generators that never
 * throws.
 */
export const ROOT = resolve(import.meta.dirname, "..", "..");

/** Every child a suite started, so `killAll` in `afterAll` can reap them whatever happened. */
export class ChildRegistry {
  private readonly children = new Set<ChildProcess>();
  /** Should the test process end without `afterAll` (a crash, a killed fork), its children go too. */
  private readonly onExit = () => {
    for (const child of this.children) child.kill("SIGKILL");
  };

  track(child: ChildProcess): void {
    if (this.children.size === 0) process.once("exit", this.onExit);
    this.children.add(child);
    child.once("exit", () => {
      this.children.delete(child);
      if (this.children.size === 0) process.removeListener("exit", this.onExit);
    });
  }

  /** SIGKILLs every tracked child still alive, by its pid, and waits for each exit. */
  async killAll(): Promise<void> {
    await Promise.all([...this.children].map((child) => killAndWait(child, "SIGKILL")));
  }
}

/** Sends `signal` to one child (by its pid) and resolves once it has exited; at once if it had. */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill(signal);
  return exited;
}

export interface Served {
  child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout so far (the banner, then JSON log lines), up to the last 8 MiB. */
  output(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit code, null when a signal ended it. */
  exited: Promise<number | null>;
}

const OUTPUT_LIMIT = 8 * 1024 * 1024;

export interface SpawnOptions {
  /** Tracks the child for `afterAll`. */
  registry?: ChildRegistry;
  /** A bundle of the CLI (`bundleCli`) to run instead of the sources through tsx. */
  bundle?: string;
}

/** `refund-desk serve …args`, with `env` over this process's environment (see `spawnCli`). */
export function spawnServe(args: string[], env: Record<string, string>, options: SpawnOptions = {}): Served {
  return spawnCli(["serve", ...args], env, options);
}

/**
 * Any `refund-desk` command as a long-running child: from the sources with tsx, or from a bundle
 * (`bundleCli`), which starts in about half the time — most of a killed and restarted process's
 * downtime on a loaded machine.
 */
export function spawnCli(args: string[], env: Record<string, string>, options: SpawnOptions = {}): Served {
  const entry = options.bundle
    ? [options.bundle]
    : ["--import", import.meta.resolve("tsx"), resolve(ROOT, "src/cli/main.ts")];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  options.registry?.track(child);
  let stdout = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  child.stdout!.on("data", (d) => {
    stdout += d;
    if (stdout.length > OUTPUT_LIMIT) stdout = stdout.slice(-OUTPUT_LIMIT / 2);
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on("data", (d) => {
    stderr = (stderr + d).slice(-64 * 1024);
  });
  // "close", not "exit": by then stdout has been read to its end (the last log line included).
  const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
  return {
    child,
    pid: child.pid ?? -1,
    output: () => stdout,
    stderr: () => stderr,
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
          fail(
            new Error(`process exited (${code}) before ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`),
          );
        });
        check();
      });
    },
  };
}

/** The API's base URL from `serve`'s banner (`--role all` or `api`). */
export const API_BANNER = /Console and API: (http:\/\/\S+?)\/\n/;
/** A worker's probe base URL from `serve --role worker --metrics-port N`'s banner. */
export const PROBES_BANNER = /Probes and metrics: (http:\/\/\S+?)\/healthz/;

/** Polls `probe` until it returns something other than undefined; throws after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 200,
  what = "a condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The JSON lines of a pino log stream (the banner's plain lines are skipped). */
export const jsonLines = (text: string): Array<Record<string, unknown>> =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A TCP port free on 127.0.0.1 right now (bound, read and released), for a process restarted on it. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** One HTTP exchange as a load generator sees it: an answer, or the error that stood for one. */
export interface Exchange<T = unknown> {
  status: number | null;
  headers: Headers | null;
  body: T;
  text: string;
  /** A connection error or the timeout (then `status` is null). */
  error: string | null;
  startedAt: number;
  ms: number;
}

/**
 * `call` (test/support/client.ts) for load generators: never throws — a refused or reset
 * connection and a request over `timeoutMs` come back as `error` — and times the exchange.
 */
export async function exchange<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: { as?: Caller; body?: unknown; idempotencyKey?: string; timeoutMs?: number } = {},
): Promise<Exchange<T>> {
  const headers: Record<string, string> = {};
  if (options.as?.cookie) headers.cookie = options.as.cookie;
  if (options.as?.csrfToken && method !== "GET") headers["x-csrf-token"] = options.as.csrfToken;
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const startedAt = Date.now();
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    let body: unknown = text;
    if ((res.headers.get("content-type") ?? "").includes("json") && text) {
      try {
        body = JSON.parse(text);
      } catch {}
    }
    return {
      status: res.status,
      headers: res.headers,
      body: body as T,
      text,
      error: null,
      startedAt,
      ms: Date.now() - startedAt,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      status: null,
      headers: null,
      body: undefined as T,
      text: "",
      error: cause?.code ? `${cause.code} (${message})` : message,
      startedAt,
      ms: Date.now() - startedAt,
    };
  }
}

/**
 * Bundles a script with esbuild into one file inside the repository (so that the packages it leaves
 * as imports resolve), so a process starts without compiling every source file. By default every
 * package stays an import (native modules and packages that read their own files stay where they
 * are); `options` may bundle them instead. Call `remove` in `afterAll`.
 */
export async function bundleScript(
  entry: string,
  name: string,
  options: Pick<BuildOptions, "packages" | "external" | "banner"> = { packages: "external" },
): Promise<{ file: string; remove(): void }> {
  const dir = join(ROOT, "node_modules", ".cache", "refund-desk-tests");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${process.pid}-${Date.now()}.mjs`);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    ...options,
  });
  return { file, remove: () => rmSync(file, { force: true }) };
}

/** The CLI (src/cli/main.ts), bundled. */
export const bundleCli = () => bundleScript(resolve(ROOT, "src/cli/main.ts"), "cli");
