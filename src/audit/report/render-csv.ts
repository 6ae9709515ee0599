import type { AuditReport, Finding } from "../finding.js";

export const CSV_COLUMNS = [
  "id",
  "kind",
  "claimable",
  "accountId",
  "serviceName",
  "regionId",
  "resourceId",
  "month",
  "amount",
  "currency",
  "outcome",
  "charges",
  "clauses",
  "explanation",
] as const;

export interface CsvOptions {
  /** Start with a UTF-8 byte-order mark, which some spreadsheets need to read non-ASCII text (default false). */
  bom?: boolean;
}

/**
 * `--format csv`: one row per finding for spreadsheets, RFC 4180 (CRLF line ends, fields quoted when they
 * hold a comma, quote, CR or LF). Amounts are the exact decimal strings of the report. Lists (charges,
 * clauses) are space-separated. A cell a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
 * `@`, tab or CR) gets a leading `'`, unless it is a plain number such as `-12.50`.
 */
export function renderCsv(report: AuditReport, options: CsvOptions = {}): string {
  const lines = [CSV_COLUMNS.join(","), ...report.findings.map((f) => row(f).map(cell).join(","))];
  return `${options.bom === true ? "\uFEFF" : ""}${lines.join("\r\n")}\r\n`;
}

function row(f: Finding): string[] {
  return [
    f.id,
    f.kind,
    f.claimable ? "true" : "false",
    f.accountId,
    f.details?.serviceName ?? "",
    f.details?.regionId ?? "",
    f.details?.resourceId ?? "",
    f.details?.month ?? "",
    f.amount,
    f.currency,
    f.outcome,
    f.charges.join(" "),
    f.clauses.join(" "),
    f.explanation,
  ];
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** Neutralises formula injection, then quotes per RFC 4180 when needed. */
export function cell(value: string): string {
  const text = FORMULA_START.test(value) && !NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
