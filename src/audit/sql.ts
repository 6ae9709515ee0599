/**
 * How detectors talk to the analytical engine. Queries are standard SQL over the FOCUS `charges`
 * table and the evidence tables; DuckDB-only functions appear only where noted. Every exact value
 * (amounts, quantities, timestamps) crosses into JavaScript as text (`CAST(… AS VARCHAR)`), so no
 * digit is ever lost to a float.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../billing/sql.js";
import { AppError } from "../shared/errors.js";
import { formatIso } from "./time.js";

export { sqlString };

/** A value as the result reader gives it after every exact column was cast to VARCHAR. */
export type SqlValue = string | boolean | number | null | SqlValue[] | { [key: string]: SqlValue };
export type SqlRow = Record<string, SqlValue>;

export async function readRows(connection: DuckDBConnection, sql: string): Promise<SqlRow[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as SqlRow[];
}

function unexpected(key: string, value: SqlValue | undefined, expected: string): AppError {
  return new AppError(
    "internal",
    `audit query: column ${key} is ${JSON.stringify(value)}, expected ${expected}`,
  );
}

export function str(row: SqlRow, key: string): string {
  const v = row[key];
  if (typeof v !== "string") throw unexpected(key, v, "text");
  return v;
}

export function optStr(row: SqlRow, key: string): string | null {
  const v = row[key];
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") throw unexpected(key, v, "text or NULL");
  return v;
}

export function bool(row: SqlRow, key: string): boolean {
  const v = row[key];
  if (typeof v !== "boolean") throw unexpected(key, v, "a boolean");
  return v;
}

export function strList(row: SqlRow, key: string): string[] {
  const v = row[key];
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw unexpected(key, v, "a list of text");
  return v as string[];
}

/** Names of the tables in the main schema (evidence tables are optional). */
export async function existingTables(connection: DuckDBConnection): Promise<Set<string>> {
  const rows = await readRows(
    connection,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'",
  );
  return new Set(rows.map((r) => str(r, "table_name")));
}

/** A quoted identifier (evidence columns are camelCase and include the keyword `end`). */
export function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** SQL TIMESTAMP literal (UTC) of an instant in microseconds. */
export function timestampLiteral(us: bigint): string {
  return `TIMESTAMP ${sqlString(formatIso(us).replace("T", " ").replace(/Z$/, ""))}`;
}

/** The account a charge belongs to (docs/audit-rules.md): `SubAccountId`, else `BillingAccountId`. */
export const accountOf = (a: string): string => `COALESCE(${a}.SubAccountId, ${a}.BillingAccountId)`;

/** Charges a finding may claim: not corrections, and a positive billed cost. */
export const claimable = (a: string): string => `${a}.ChargeClass IS NULL AND ${a}.BilledCost > 0`;

/** Pricing units read as hours (docs/audit-rules.md §2), compared in lower case. */
export const HOUR_UNITS = ["hour", "hours", "hrs", "hr", "h"] as const;
export const hourUnit = (a: string): string =>
  `lower(${a}.PricingUnit) IN (${HOUR_UNITS.map((u) => sqlString(u)).join(", ")})`;
