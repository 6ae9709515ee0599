import type SQLite from "better-sqlite3";
import { sql } from "kysely";
import type { Store, Tx } from "./database.js";

const statements = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();

export type BulkValue = string | number | null;

/**
 * Inserts many rows into one table inside the caller's transaction, fast on both engines:
 * SQLite runs one prepared statement per row on the transaction's own connection
 * (better-sqlite3 is synchronous, so nothing else can interleave); PostgreSQL sends one
 * statement per batch with a column array each, expanded by `unnest`.
 *
 * Table and column names come from code, never from input.
 */
export async function bulkInsert(
  store: Store,
  tx: Tx,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly BulkValue[])[],
  pgTypes?: Readonly<Record<string, "text" | "integer">>,
): Promise<void> {
  if (rows.length === 0) return;
  if (store.sqlite) {
    const text = `insert into ${table} (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})`;
    const cache = statements.get(store.sqlite) ?? new Map<string, SQLite.Statement>();
    statements.set(store.sqlite, cache);
    const stmt = cache.get(text) ?? store.sqlite.prepare(text);
    cache.set(text, stmt);
    for (const row of rows) stmt.run(...row);
    return;
  }
  const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
  const unnestArgs = columns.map((c, i) => sql`${arrays[i]}::${sql.raw(pgTypes?.[c] ?? "text")}[]`);
  await sql`insert into ${sql.raw(table)} (${sql.raw(columns.join(", "))}) select * from unnest(${sql.join(unnestArgs)})`.execute(
    tx,
  );
}
