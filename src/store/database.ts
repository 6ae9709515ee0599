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
    // int8 (counts, sequence numbers) as JS numbers: every int8 we store stays far below 2^53.
    types: {
      getTypeParser: (oid: number, format?: "text" | "binary") =>
        oid === 20 ? (v: string) => Number.parseInt(v, 10) : pg.types.getTypeParser(oid, format),
    },
  });
  // A dropped idle connection (server restart) must not crash the process.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    engine: "postgres",
    capabilities: CAPABILITIES.postgres,
    description: redactUrl(url),
    close: () => db.destroy(),
  };
}

/** Runs `fn` in one transaction: every write path's change and its audit entry commit together. */
export function inTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(fn);
}
