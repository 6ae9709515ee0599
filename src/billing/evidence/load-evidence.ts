import {
  type DuckDBAppender,
  type DuckDBConnection,
  decimalValue,
  LIST,
  listValue,
  timestampValue,
  VARCHAR,
} from "@duckdb/node-api";
import { parseDecimal } from "../../money/index.js";
import { AppError } from "../../shared/errors.js";
import type { EvidenceKind } from "../evidence.js";
import { DECIMAL_INTEGER_DIGITS, DECIMAL_SCALE, EVIDENCE_FIELDS, type EvidenceRecord } from "./fields.js";
import { parseTimestamp } from "./timestamps.js";

type ColumnType = "VARCHAR" | "TIMESTAMP" | "DECIMAL" | "VARCHAR[]" | "BOOLEAN";

interface Column {
  name: string;
  type: ColumnType;
  required: boolean;
}

const DECIMAL_SQL = `DECIMAL(${DECIMAL_INTEGER_DIGITS + DECIMAL_SCALE},${DECIMAL_SCALE})`;
const DECIMAL_WIDTH = DECIMAL_INTEGER_DIGITS + DECIMAL_SCALE;
const SQL_TYPE: Record<ColumnType, string> = {
  VARCHAR: "VARCHAR",
  TIMESTAMP: "TIMESTAMP",
  DECIMAL: DECIMAL_SQL,
  "VARCHAR[]": "VARCHAR[]",
  BOOLEAN: "BOOLEAN",
};

const TIMESTAMPS = new Set([
  "start",
  "end",
  "startedAt",
  "renewsAt",
  "cancelledAt",
  "validFrom",
  "validTo",
  "paidAt",
]);
const DECIMALS = new Set(["quantity", "discountPercent", "creditAmount", "amount"]);
const LISTS = new Set(["resourceIds", "serviceNames", "regionIds"]);
const BOOLEANS = new Set(["autoRenew"]);
const OPTIONAL = new Set([
  "quantity",
  "unit",
  "resourceId:subscriptions",
  "renewsAt",
  "cancelledAt",
  "statusPageUrl",
  "code",
  "discountPercent",
  "creditAmount",
  "currency:promotions",
  "invoiceId",
  "instrumentFingerprint",
]);

/** DuckDB table of each evidence kind. */
export const EVIDENCE_TABLES: { readonly [K in EvidenceKind]: K } = {
  usage: "usage",
  subscriptions: "subscriptions",
  incidents: "incidents",
  promotions: "promotions",
  payments: "payments",
};

/** The source reference column, named like a FOCUS extension column. */
export const SOURCE_REF_COLUMN = "x_SourceRef";

/** Columns of an evidence table: the record's fields (camelCase, record order), then `x_SourceRef`. */
export function evidenceColumns(kind: EvidenceKind): Column[] {
  const fields: readonly string[] = EVIDENCE_FIELDS[kind];
  return fields.map((name) => ({
    name,
    type: TIMESTAMPS.has(name)
      ? "TIMESTAMP"
      : DECIMALS.has(name)
        ? "DECIMAL"
        : LISTS.has(name)
          ? "VARCHAR[]"
          : BOOLEANS.has(name)
            ? "BOOLEAN"
            : "VARCHAR",
    required: !OPTIONAL.has(name) && !OPTIONAL.has(`${name}:${kind}`),
  }));
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** `CREATE TABLE IF NOT EXISTS` for one kind; TIMESTAMP columns hold UTC. */
export function evidenceTableSql(kind: EvidenceKind): string {
  const columns = evidenceColumns(kind).map(
    (c) => `${ident(c.name)} ${SQL_TYPE[c.type]}${c.required || c.type === "VARCHAR[]" ? " NOT NULL" : ""}`,
  );
  columns.push(`${ident(SOURCE_REF_COLUMN)} VARCHAR NOT NULL`);
  return `CREATE TABLE IF NOT EXISTS ${ident(EVIDENCE_TABLES[kind])} (\n  ${columns.join(",\n  ")}\n)`;
}

const LIST_OF_VARCHAR = LIST(VARCHAR);

function invalidValue(sourceRef: string, column: string, expected: string): AppError {
  return new AppError("validation_failed", `${sourceRef}: ${column}: expected ${expected}`, {
    extensions: { sourceRef, column, expected },
  });
}

function appendValue(appender: DuckDBAppender, column: Column, value: unknown, sourceRef: string): void {
  if (value === null || value === undefined) {
    if (column.required) throw invalidValue(sourceRef, column.name, "a value");
    appender.appendNull();
    return;
  }
  switch (column.type) {
    case "VARCHAR":
      if (typeof value !== "string") throw invalidValue(sourceRef, column.name, "a string");
      appender.appendVarchar(value);
      return;
    case "BOOLEAN":
      if (typeof value !== "boolean") throw invalidValue(sourceRef, column.name, "a boolean");
      appender.appendBoolean(value);
      return;
    case "VARCHAR[]":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw invalidValue(sourceRef, column.name, "a list of strings");
      }
      appender.appendList(listValue(value), LIST_OF_VARCHAR);
      return;
    case "TIMESTAMP": {
      const parsed = typeof value === "string" ? parseTimestamp(value) : undefined;
      if (parsed === undefined || !parsed.ok)
        throw invalidValue(sourceRef, column.name, "an ISO 8601 timestamp");
      appender.appendTimestamp(timestampValue(BigInt(parsed.ms) * 1000n));
      return;
    }
    case "DECIMAL": {
      if (typeof value !== "string") throw invalidValue(sourceRef, column.name, "a decimal string");
      const d = parseDecimal(value, column.name);
      if (d.decimalPlaces() > DECIMAL_SCALE || (!d.isZero() && d.e >= DECIMAL_INTEGER_DIGITS)) {
        throw invalidValue(sourceRef, column.name, `a decimal that fits ${DECIMAL_SQL}`);
      }
      // Exact: scaled to 18 places with no digit dropped (checked above).
      const scaled = BigInt(d.times(`1e${DECIMAL_SCALE}`).toFixed(0));
      appender.appendDecimal(decimalValue(scaled, DECIMAL_WIDTH, DECIMAL_SCALE));
      return;
    }
  }
}

export interface LoadEvidenceOptions {
  /**
   * Run the load in its own transaction (default true), so that a failure leaves the table as it was. Pass
   * false when the caller has already begun a transaction on this connection.
   */
  ownTransaction?: boolean;
}

/**
 * Creates the kind's table if absent (`usage`, `subscriptions`, `incidents`, `promotions`, `payments`; columns
 * as `evidenceColumns`) and appends the records with the DuckDB appender. Returns the number of rows added.
 * All or nothing: a record that does not fit its column throws `validation_failed` and nothing is appended.
 */
export async function loadEvidence<K extends EvidenceKind>(
  connection: DuckDBConnection,
  kind: K,
  records: readonly EvidenceRecord<K>[],
  options: LoadEvidenceOptions = {},
): Promise<number> {
  await connection.run(evidenceTableSql(kind));
  const columns = evidenceColumns(kind);
  const own = options.ownTransaction ?? true;
  if (own) await connection.run("BEGIN TRANSACTION");
  try {
    const appender = await connection.createAppender(EVIDENCE_TABLES[kind]);
    try {
      if (appender.columnCount !== columns.length + 1) {
        throw new AppError(
          "internal",
          `DuckDB table ${EVIDENCE_TABLES[kind]} has ${appender.columnCount} columns, expected ${columns.length + 1}`,
        );
      }
      for (const record of records) {
        const row = record as unknown as Record<string, unknown>;
        const sourceRef = typeof row.sourceRef === "string" ? row.sourceRef : "(no sourceRef)";
        for (const column of columns) appendValue(appender, column, row[column.name], sourceRef);
        appender.appendVarchar(sourceRef);
        appender.endRow();
      }
      appender.flushSync();
    } catch (error) {
      appender.clear();
      throw error;
    } finally {
      appender.closeSync();
    }
    if (own) await connection.run("COMMIT");
  } catch (error) {
    if (own) await connection.run("ROLLBACK");
    throw error;
  }
  return records.length;
}
