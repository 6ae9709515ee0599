import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect, type Transaction } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";

export type Engine = "sqlite" | "postgres";

/**
 * What differs between the engines, in one place (as Kysely's own dialects do) instead
 * of `if (engine === …)` branches through the code.
 */
export interface DialectCapabilities {
  /** `SELECT … FOR UPDATE` row locks; SQLite serialises writers instead. */
  readonly rowLocks: boolean;
  /** Binary column type for migrations. */
  readonly blobType: "blob" | "bytea";
  /** 64-bit integer column type for migrations. */
  readonly bigintType: "integer" | "bigint";
  /**
   * Data-modifying `WITH` clauses and `sha256()`: a write of several rows in one round trip. Worth
   * it on a server; SQLite runs in-process, where a round trip costs nothing.
   */
  readonly writableCtes: boolean;
}

const CAPABILITIES: Record<Engine, DialectCapabilities> = {
  sqlite: { rowLocks: false, blobType: "blob", bigintType: "integer", writableCtes: false },
  postgres: { rowLocks: true, blobType: "bytea", bigintType: "bigint", writableCtes: true },
};

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

export interface Store {
  readonly db: Db;
  /** The better-sqlite3 handle behind `db` (SQLite only), for bulk inserts inside a transaction. */
  readonly sqlite?: SQLite.Database;
  readonly engine: Engine;
  readonly capabilities: DialectCapabilities;
  /** A redacted description for logs (`sqlite:./data/x.sqlite`, `postgres://host:5432/db`). */
  readonly description: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** PostgreSQL pool size per process. */
  poolSize?: number;
}

export function parseDatabaseUrl(url: string): { engine: Engine; target: string } {
  if (url.startsWith("sqlite:")) return { engine: "sqlite", target: url.slice("sqlite:".length) };
  if (url.startsWith("postgres://") || url.startsWith("postgresql://"))
    return { engine: "postgres", target: url };
  throw new Error(`REFUND_DESK_DATABASE_URL must start with sqlite: or postgres:// (got ${redactUrl(url)})`);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

export function openStore(url: string, options: StoreOptions = {}): Store {
  const { engine, target } = parseDatabaseUrl(url);
  if (engine === "sqlite") return openSqlite(target);
  return openPostgres(target, options);
}

function openSqlite(path: string): Store {
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new SQLite(path);
  // WAL lets readers (e.g. `backup`, a second CLI) proceed while the server writes.
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) });
  return {
    db,
    sqlite,
    engine: "sqlite",
    capabilities: CAPABILITIES.sqlite,
    description: `sqlite:${path}`,
    close: () => db.destroy(),
  };
}

/**
 * Kysely prepares every query afresh; compiling the statement cost SQLite more than running it. The
 * texts a process runs are few (values are parameters), so the most recent 500 are kept. A statement
 * still being iterated is busy and cannot run twice at once: that one call gets a fresh statement.
 */
function cachingStatements(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      const cached = cache.get(text);
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(text);
      if (!cached) {
        if (cache.size >= 500) cache.delete(cache.keys().next().value!);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

function openPostgres(url: string, options: StoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // A server that does not answer fails the request in seconds (503) instead of holding it.
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // int8 (counts, sequence numbers) as JS numbers: every int8 we store stays far below 2^53.
    types: {
      getTypeParser: (oid: number, format?: "text" | "binary") =>
        oid === 20 ? (v: string) => Number.parseInt(v, 10) : pg.types.getTypeParser(oid, format),
    },
  });
  // A dropped idle connection (server restart) must not crash the process.
  pool.on("error", () => {});
  // Nor a dropped connection that is checked out between two queries (a transaction's, when the
  // server is stopped): pg emits `error` on the client, with no listener of the pool's at that moment,
  // and an unhandled `error` event ends the process. Its queries fail instead (with the error, or
  // "not queryable"), and the pool discards the client when it is released.
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: "postgres",
    capabilities: CAPABILITIES.postgres,
    description: redactUrl(url),
    close: () => db.destroy(),
  };
}

const CONNECT_TIMEOUT_MS = 5_000;

/** SQLSTATEs that say the server cannot serve now: connection exceptions (class 08), shutdown and start-up (57P0x), too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
const UNAVAILABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** What pg and pg-pool throw, without a code, when a connection is lost or cannot be had in time. */
const UNAVAILABLE_MESSAGES =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)$/;

/**
 * Whether `error` (or an error it wraps as `cause`) says the database cannot be reached right now —
 * refused, reset, timed out, shutting down or starting up — rather than that the query was wrong.
 * The HTTP layer answers those 503 with Retry-After; the same request later may well succeed.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET_CODES.has(code)))
      return true;
    if (UNAVAILABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** Work that commits with every transaction begun in an async context (see `withCommitHook`). */
const commitHooks = new AsyncLocalStorage<(tx: Tx) => Promise<void>>();

/**
 * Runs `fn` so that every `inTransaction` begun inside it (in any of its async continuations) also
 * runs `hook` in that transaction, just before it commits. The HTTP layer marks a request's
 * Idempotency-Key this way: the key says "took effect" exactly when the effect committed.
 */
export function withCommitHook<T>(hook: (tx: Tx) => Promise<void>, fn: () => T): T {
  return commitHooks.run(hook, fn);
}

/** Runs `fn` in one transaction: every write path's change and its audit entry commit together. */
export function inTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const hook = commitHooks.getStore();
  if (!hook) return store.db.transaction().execute(fn);
  return store.db.transaction().execute(async (tx) => {
    const result = await fn(tx);
    await hook(tx);
    return result;
  });
}
