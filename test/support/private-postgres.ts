import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./processes.js";

/**
 * A PostgreSQL cluster of a test's own — its own directory, port and socket — for tests that stop,
 * crash and restart the server (test/fault-postgres-restart.test.ts). The shared server on 5432 is
 * never touched: other suites use it at the same time.
 *
 * The binaries are REFUND_DESK_TEST_POSTGRES_BIN, else the newest /usr/lib/postgresql/N/bin. As
 * root (initdb refuses to run as root) every command runs as the `postgres` user with `runuser`.
 * Outside CI, missing binaries skip the suite with a loud line; with CI=true they fail it.
 */

const run = promisify(execFile);

export interface PrivatePostgres {
  readonly port: number;
  /** The cluster's directory (data in `data/`, the socket and the server log beside it). */
  readonly dir: string;
  /** `postgres://postgres@127.0.0.1:PORT/NAME`. */
  urlFor(database: string): string;
  /** `pg_ctl stop -m MODE`: `fast` rolls back and disconnects; `immediate` is a crash (recovery at start). */
  stop(mode: "smart" | "fast" | "immediate"): Promise<void>;
  /** `pg_ctl start -w`: resolves when the server accepts connections. */
  start(): Promise<void>;
  /** Stops the server if it runs (immediately) and deletes the directory. Safe to call twice. */
  remove(): Promise<void>;
  /** The end of the server's log, for a failure message. */
  logTail(): string;
}

function binDir(): string | null {
  const configured = process.env.REFUND_DESK_TEST_POSTGRES_BIN;
  if (configured) return existsSync(join(configured, "initdb")) ? configured : null;
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], "bin") : null;
}

/**
 * The directory holding initdb and pg_ctl, or null when the suite should skip (not in CI). With
 * CI=true a missing binary throws, so the run fails instead of passing without the test.
 */
export function privatePostgresBinaries(): string | null {
  const dir = binDir();
  if (dir) return dir;
  const why =
    "no PostgreSQL server binaries (initdb, pg_ctl) in REFUND_DESK_TEST_POSTGRES_BIN or /usr/lib/postgresql/N/bin";
  if (process.env.CI === "true") throw new Error(`${why}, and CI=true`);
  console.warn(`\n*** SKIPPED: private PostgreSQL suites — ${why} ***\n`);
  return null;
}

const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Runs a server binary as the cluster's owner: `postgres` under root, else the current user. */
function command(bin: string, tool: string, args: string[]): [string, string[]] {
  return asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]] : [join(bin, tool), args];
}

/** initdb a fresh cluster in a temporary directory and start it on a free port. */
export async function startPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), "rd-pg-"));
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  const port = await freePort();
  const exec = async (tool: string, args: string[], timeout = 90_000) => {
    const [file, argv] = command(bin, tool, args);
    await run(file, argv, { timeout });
  };
  let removed = false;
  let running = false;
  await exec("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  // NOTE: fsync=off only risks data on an operating-system crash; the test crashes the server
  // process (pg_ctl stop -m immediate), whose writes the kernel still holds, so recovery is real.
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c max_connections=60",
    "-c shared_buffers=32MB",
  ].join(" ");
  const pgStart = async () => {
    await exec("pg_ctl", ["-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"]);
    running = true;
  };
  await pgStart();
  // A failed test must not leave a server behind when the test process exits without afterAll.
  const onExit = () => {
    if (!running || removed) return;
    try {
      const [file, argv] = command(bin, "pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      execFileSync(file, argv, { stdio: "ignore", timeout: 20_000 });
    } catch {}
  };
  process.once("exit", onExit);
  return {
    port,
    dir,
    urlFor: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop(mode) {
      await exec("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]);
      running = false;
    },
    start: pgStart,
    async remove() {
      if (removed) return;
      if (running) await exec("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      running = false;
      removed = true;
      process.removeListener("exit", onExit);
      rmSync(dir, { recursive: true, force: true });
    },
    logTail() {
      try {
        return execFileSync("tail", ["-n", "40", log]).toString();
      } catch {
        return "";
      }
    },
  };
}

/** Creates a database on the cluster (as its superuser). */
export async function createDatabase(server: PrivatePostgres, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: server.urlFor("postgres") });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return server.urlFor(name);
}
