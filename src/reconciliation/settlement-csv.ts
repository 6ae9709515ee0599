import { CsvError, parse } from "csv-parse/sync";
import { describeProblem, quoteValue } from "../billing/bad-file.js";
import type { RowProblem } from "../billing/charge.js";
import { isCurrencyCode } from "../money/index.js";
import { AppError } from "../shared/errors.js";

/**
 * The payment gateway's daily settlement file (docs/gateway-simulator.md): one line per refund that
 * reached a final state that UTC day. The header names these columns (in any order; further
 * columns are ignored). Amounts are positive integers in the currency's minor unit.
 */
export const SETTLEMENT_COLUMNS = [
  "settlement_date",
  "gateway_refund_id",
  "idempotency_key",
  "payment_id",
  "type",
  "amount_minor",
  "currency",
  "status",
  "fee_minor",
] as const;
type Column = (typeof SETTLEMENT_COLUMNS)[number];

export const SETTLEMENT_STATUSES = ["succeeded", "failed"] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];

export interface SettlementLine {
  /** The line the record starts on; the header is line 1. */
  line: number;
  settlementDate: string;
  gatewayRefundId: string | null;
  idempotencyKey: string | null;
  paymentId: string | null;
  /** `refund` for every line Refund Desk can have caused; other types are reported as unknown. */
  type: string;
  amountMinor: bigint;
  currency: string;
  status: SettlementStatus;
  feeMinor: bigint;
}

export interface SettlementFile {
  fileName: string;
  /** The one day every line settles on; null for a file with a header only. */
  settlementDate: string | null;
  lines: SettlementLine[];
}

/** Problems reported at once before the rest are summarised as a count. */
export const MAX_REPORTED_PROBLEMS = 20;
const MAX_ID_CHARS = 255;
/** A bigint column holds at most 2^63 − 1; larger amounts are not real and would not store. */
const MAX_MINOR = 2n ** 63n - 1n;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PRINTABLE_ID = /^[\x21-\x7e]+$/;
const TYPE = /^[a-z][a-z0-9_]{0,63}$/;

/** A real calendar day as `YYYY-MM-DD` (`2026-02-30` is refused, not rolled over). */
export function isCalendarDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * The error for a bad settlement file: `validation_failed` (the CLI exits 2, the API answers 400).
 * The message and the problem-details extensions (`file`, `line`, `column`, `expected`, `found`)
 * describe the first problem, as a bad bill's do; `errors` lists up to 20 of them, each with its
 * position as `field` (`FILE:LINE:COLUMN`).
 */
export function badSettlementFile(problems: readonly RowProblem[], more = 0): AppError {
  const first = problems[0]!;
  const rest = problems.length - 1 + more;
  const extensions: Record<string, unknown> = { file: first.file };
  if (first.line !== undefined) extensions.line = first.line;
  if (first.column !== undefined) extensions.column = first.column;
  extensions.expected = first.expected;
  extensions.found = first.found;
  return new AppError(
    "validation_failed",
    `${describeProblem(first)}${rest > 0 ? ` (and ${rest} more problem${rest === 1 ? "" : "s"})` : ""}; nothing was imported`,
    {
      extensions,
      fieldErrors: problems.map((p) => ({
        field: [p.file, p.line, p.column].filter((x) => x !== undefined).join(":"),
        code: "invalid_value",
        message: `expected ${p.expected}, found ${p.found}`,
      })),
    },
  );
}

/** The line a csv-parse record starts on: its end line less the line breaks inside it. */
function startLine(endLine: number, raw: string): number {
  const body = raw.replace(/^(?:\r?\n)+/, "").replace(/\r?\n$/, "");
  return endLine - (body.match(/\n/g)?.length ?? 0);
}

interface ParsedRecord {
  line: number;
  fields: string[];
}

function readRecords(text: string, file: string): ParsedRecord[] {
  try {
    const records = parse(text, {
      bom: true,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ["\r\n", "\n"],
    }) as unknown as Array<{ record: string[]; info: { lines: number }; raw: string }>;
    return records.map((r) => ({ line: startLine(r.info.lines, r.raw), fields: r.record }));
  } catch (error) {
    if (error instanceof CsvError) {
      const at = error as CsvError & { lines?: number; column?: number | string };
      const expected =
        error.code === "CSV_QUOTE_NOT_CLOSED"
          ? 'a closing quote (")'
          : error.code === "CSV_INVALID_CLOSING_QUOTE"
            ? "a comma or the end of the line after a closing quote"
            : "well-formed CSV (RFC 4180)";
      throw badSettlementFile([
        { file, line: at.lines, expected, found: quoteValue(error.message.slice(0, 120)) },
      ]);
    }
    throw error;
  }
}

/**
 * Reads a settlement file completely before anything is stored: every problem found (up to 20) is
 * reported with its file, line and column, and a file with any problem is refused whole.
 */
export function parseSettlementCsv(content: Buffer | string, fileName: string): SettlementFile {
  const file = fileName;
  let text: string;
  try {
    text = typeof content === "string" ? content : new TextDecoder("utf-8", { fatal: true }).decode(content);
  } catch {
    throw badSettlementFile([{ file, expected: "UTF-8 text", found: "bytes that are not valid UTF-8" }]);
  }
  const records = readRecords(text, file);
  const header = records[0];
  if (!header)
    throw badSettlementFile([
      { file, line: 1, expected: `a header naming ${SETTLEMENT_COLUMNS.join(", ")}`, found: "an empty file" },
    ]);

  const problems: RowProblem[] = [];
  let more = 0;
  const report = (p: RowProblem) => {
    if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(p);
    else more += 1;
  };

  // Column names are matched without regard to case or surrounding spaces; a repeated one is ambiguous.
  const index = new Map<Column, number>();
  header.fields.forEach((name, i) => {
    const key = name.trim().toLowerCase() as Column;
    if (!(SETTLEMENT_COLUMNS as readonly string[]).includes(key)) return;
    if (index.has(key))
      report({ file, line: header.line, column: key, expected: "each column once", found: "it twice" });
    else index.set(key, i);
  });
  for (const column of SETTLEMENT_COLUMNS)
    if (!index.has(column))
      report({
        file,
        line: header.line,
        column,
        expected: `a column named ${column}`,
        found: `a header without it (${quoteValue(header.fields.join(","))})`,
      });
  if (problems.length) throw badSettlementFile(problems, more);

  const lines: SettlementLine[] = [];
  let settlementDate: string | null = null;
  let dateLine = 0;
  for (const record of records.slice(1)) {
    const { line } = record;
    if (record.fields.length !== header.fields.length) {
      report({
        file,
        line,
        expected: `${header.fields.length} fields, as the header has`,
        found: `${record.fields.length}`,
      });
      continue;
    }
    const value = (c: Column) => (record.fields[index.get(c)!] ?? "").trim();
    const bad = (column: Column, expected: string) =>
      report({ file, line, column, expected, found: quoteValue(value(column)) });
    const before = problems.length + more;

    const date = value("settlement_date");
    if (!isCalendarDate(date)) bad("settlement_date", "a date such as 2026-05-04");
    else if (settlementDate === null) {
      settlementDate = date;
      dateLine = line;
    } else if (date !== settlementDate)
      bad("settlement_date", `${settlementDate}, the date of line ${dateLine} (a file settles one day)`);

    const optionalId = (column: Column): string | null => {
      const v = value(column);
      if (v === "") return null;
      if (v.length > MAX_ID_CHARS || !PRINTABLE_ID.test(v))
        bad(column, `an id of at most ${MAX_ID_CHARS} printable characters without spaces`);
      return v;
    };
    const gatewayRefundId = optionalId("gateway_refund_id");
    const idempotencyKey = optionalId("idempotency_key");
    const paymentId = optionalId("payment_id");
    if (gatewayRefundId === null && idempotencyKey === null)
      bad("gateway_refund_id", "a gateway refund id (or at least an idempotency key)");

    const type = value("type").toLowerCase();
    if (!TYPE.test(type)) bad("type", "a line type such as refund");

    const minor = (column: Column, positive: boolean): bigint => {
      const v = value(column);
      const ok = /^\d{1,19}$/.test(v) && BigInt(v) <= MAX_MINOR && (!positive || BigInt(v) > 0n);
      if (!ok) {
        bad(
          column,
          `a ${positive ? "positive " : ""}whole number of minor units (no decimal point), such as 1250`,
        );
        return 0n;
      }
      return BigInt(v);
    };
    const amountMinor = minor("amount_minor", true);
    const feeMinor = minor("fee_minor", false);

    const currency = value("currency").toUpperCase();
    if (!isCurrencyCode(currency)) bad("currency", "an ISO 4217 currency code such as USD");

    const status = value("status").toLowerCase();
    if (!(SETTLEMENT_STATUSES as readonly string[]).includes(status))
      bad("status", `one of ${SETTLEMENT_STATUSES.join(", ")}`);

    if (problems.length + more > before) continue;
    lines.push({
      line,
      settlementDate: date,
      gatewayRefundId,
      idempotencyKey,
      paymentId,
      type,
      amountMinor,
      currency,
      status: status as SettlementStatus,
      feeMinor,
    });
  }
  if (problems.length) throw badSettlementFile(problems, more);
  return { fileName, settlementDate, lines };
}
