import type SQLite from "better-sqlite3";
import { sql } from "kysely";
import type { Store, Tx } from "./database.js";

const statements = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();

export type BulkValue = string | number | null;

type PgTypes = Readonly<Record<string, "text" | "integer">>;

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
  pgTypes?: PgTypes,
): Promise<void> {
  if (rows.length === 0) return;
  if (store.sqlite) {
    const text = insertText(table, columns, {});
    const cache = statements.get(store.sqlite) ?? new Map<string, SQLite.Statement>();
    statements.set(store.sqlite, cache);
    const stmt = cache.get(text) ?? store.sqlite.prepare(text);
    cache.set(text, stmt);
    for (const row of rows) stmt.run(row);
    return;
  }
  await pgInsert(tx, table, columns, rows, {}, pgTypes);
}

export interface BulkWriter {
  /** Rows of the writer's `columns`, in order; the constants are added. */
  write(rows: readonly (readonly BulkValue[])[]): Promise<void>;
}

/**
 * `bulkInsert` for many batches into one table: the statement is prepared once, and `constants`
 * (columns with one value for every row, such as the import's id) travel once, not per row.
 */
export function bulkWriter(
  store: Store,
  tx: Tx,
  table: string,
  columns: readonly string[],
  constants: Readonly<Record<string, string>> = {},
  pgTypes?: PgTypes,
): BulkWriter {
  const sqlite = store.sqlite;
  if (sqlite) {
    const stmt = sqlite.prepare(insertText(table, columns, constants));
    return {
      async write(rows) {
        for (const row of rows) stmt.run(row);
      },
    };
  }
  return {
    async write(rows) {
      if (rows.length > 0) await pgInsert(tx, table, columns, rows, constants, pgTypes);
    },
  };
}

function insertText(table: string, columns: readonly string[], constants: Readonly<Record<string, string>>) {
  const names = [...columns, ...Object.keys(constants)];
  const values = [...columns.map(() => "?"), ...Object.values(constants).map(literal)];
  return `insert into ${table} (${names.join(", ")}) values (${values.join(", ")})`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

async function pgInsert(
  tx: Tx,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly BulkValue[])[],
  constants: Readonly<Record<string, string>>,
  pgTypes?: PgTypes,
): Promise<void> {
  const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
  const unnestArgs = columns.map((c, i) => sql`${arrays[i]}::${sql.raw(pgTypes?.[c] ?? "text")}[]`);
  const names = [...columns, ...Object.keys(constants)];
  const extra = Object.values(constants).map((v) => sql`, ${v}::text`);
  await sql`insert into ${sql.raw(table)} (${sql.raw(names.join(", "))}) select *${sql.join(extra, sql``)} from unnest(${sql.join(unnestArgs)})`.execute(
    tx,
  );
}
