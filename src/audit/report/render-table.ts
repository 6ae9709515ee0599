import type { AuditReport, Finding } from "../finding.js";
import {
  compareKinds,
  currenciesOf,
  firstSentence,
  type GroupTotal,
  groupTotals,
  kindLabel,
  serviceOf,
} from "./aggregate.js";

export interface TableOptions {
  /** ANSI colours and bold; false for pipes, files and NO_COLOR. */
  color: boolean;
  /** Terminal width in columns (default 120, at least 60); the findings table is fitted to it. */
  width?: number;
}

const DEFAULT_WIDTH = 120;
const MIN_WIDTH = 60;
const GAP = "  ";

/**
 * `--format table`: a terminal summary. Totals by kind, by account and by service (per currency,
 * claimable and not), then one line per finding. Text from the customer's files (ids, names,
 * explanations) is stripped of control and bidi characters, so it cannot move the cursor or recolour
 * the terminal.
 */
export function renderTable(report: AuditReport, options: TableOptions): string {
  const width = Math.max(MIN_WIDTH, Math.floor(options.width ?? DEFAULT_WIDTH));
  const style = styler(options.color);
  const findings = report.findings;
  const out: string[] = [];

  const claimableCount = findings.filter((f) => f.claimable).length;
  out.push(
    style.bold(
      `Refund Desk audit · as of ${clean(report.meta.asOf)} · policy ${clean(report.meta.policyVersion)}`,
    ),
  );
  out.push(
    `${report.summary.charges} charges checked · ${report.summary.findings} findings` +
      ` (${claimableCount} claimable, ${findings.length - claimableCount} past their claim window)`,
  );
  const refundable = currenciesOf([], report.summary.refundable).map(
    (c) => `${clean(report.summary.refundable[c] ?? "0")} ${clean(c)}`,
  );
  out.push(`Refundable: ${refundable.length > 0 ? style.green(refundable.join(" · ")) : "nothing"}`);

  if (findings.length === 0) {
    out.push("", "No findings: nothing in these bills needs a refund.");
    return `${out.join("\n")}\n`;
  }

  const totals = (title: string, header: string, groups: GroupTotal[], label: (k: string) => string) => {
    out.push("", style.bold(title));
    out.push(
      ...table(
        [
          { header, align: "left", shrink: true, max: 40 },
          { header: "Findings", align: "right" },
          { header: "Currency", align: "left" },
          { header: "Claimable", align: "right", colour: style.green },
          { header: "Not claimable", align: "right", colour: style.dim },
        ],
        groups.map((g) => [label(g.key), String(g.findings), g.currency, g.claimable, g.notClaimable]),
        width,
        style,
      ),
    );
  };
  totals(
    "By kind",
    "Kind",
    groupTotals(findings, (f) => f.kind, compareKinds),
    kindLabel,
  );
  totals(
    "By account",
    "Account",
    groupTotals(findings, (f) => f.accountId),
    (k) => k,
  );
  totals("By service", "Service", groupTotals(findings, serviceOf), (k) => k);

  out.push("", style.bold("Findings"));
  out.push(...findingsTable(findings, width, style));
  return `${out.join("\n")}\n`;
}

const FINDING_COLUMNS: Column[] = [
  { header: "ID", align: "left" },
  { header: "Kind", align: "left", shrink: true, floor: 19 },
  { header: "Account", align: "left", shrink: true, dropOrder: 2, max: 24 },
  { header: "Service", align: "left", shrink: true, dropOrder: 3, max: 32 },
  { header: "Month", align: "left" },
  { header: "Amount", align: "right" },
  { header: "Claim", align: "left" },
  { header: "First charge", align: "left", shrink: true, dropOrder: 1, max: 28 },
];
const REASON_COLUMN: Column = { header: "Reason", align: "left", flex: true };
/** The reason stays on the finding's line when it gets at least this many columns there. */
const MIN_INLINE_REASON = 40;
const REASON_INDENT = "    ";

/**
 * One line per finding with its one-line reason at the end when the width allows; otherwise the reason
 * goes on an indented line of its own under the finding.
 */
function findingsTable(findings: readonly Finding[], width: number, style: Style): string[] {
  const rows = findings.map(findingRow);
  const reasons = findings.map((f) => clean(firstSentence(f.explanation)));
  const rowStyles = findings.map((f) => (f.claimable ? null : style.dim));
  const natural = naturalWidths(FINDING_COLUMNS, rows);
  const fixed = natural.reduce((s, w) => s + w, 0) + GAP.length * natural.length;
  if (fixed + MIN_INLINE_REASON <= width) {
    return table(
      [...FINDING_COLUMNS, REASON_COLUMN],
      rows.map((r, i) => [...r, reasons[i]!]),
      width,
      style,
      rowStyles,
    );
  }
  const lines = table(FINDING_COLUMNS, rows, width, style, rowStyles);
  const out = [lines[0]!];
  rows.forEach((_, i) => {
    out.push(lines[i + 1]!);
    const reason = truncate(reasons[i]!, width - REASON_INDENT.length);
    out.push(rowStyles[i] ? rowStyles[i]!(REASON_INDENT + reason) : REASON_INDENT + reason);
  });
  return out;
}

function findingRow(f: Finding): string[] {
  return [
    f.id,
    f.kind,
    f.accountId,
    serviceOf(f),
    f.details?.month ?? "",
    `${f.amount} ${f.currency}`,
    f.claimable ? "yes" : "closed",
    f.charges[0] ?? "",
  ];
}

interface Column {
  header: string;
  align: "left" | "right";
  /** May be cut (with …) to fit the width, down to a few characters. */
  shrink?: boolean;
  /** Takes what is left of the width; cut first. */
  flex?: boolean;
  /** Left out when the table cannot fit the width otherwise, lowest first. */
  dropOrder?: number;
  /** Never wider than this (longer text is cut), whatever the width. */
  max?: number;
  /** A shrinkable column is not cut below this (default 10, or its header). */
  floor?: number;
  colour?: (s: string) => string;
}

interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
}

function styler(color: boolean): Style {
  const wrap = (code: string) => (s: string) => (color && s.length > 0 ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap("1"), dim: wrap("2"), green: wrap("32") };
}

function table(
  allColumns: Column[],
  rawRows: string[][],
  width: number,
  style: Style,
  rowStyles: (((s: string) => string) | null)[] = [],
): string[] {
  const allRows = rawRows.map((r) => r.map(clean));
  const natural = naturalWidths(allColumns, allRows);
  const { keep, widths } = fitWidths(allColumns, natural, width);
  const columns = keep.map((i) => allColumns[i]!);
  const line = (cells: string[], header: boolean, rowStyle: ((s: string) => string) | null) =>
    keep
      .map((from, i) => {
        const column = columns[i]!;
        const w = widths[i]!;
        const text = pad(truncate(cells[from] ?? "", w), w, column.align);
        if (header) return style.bold(text);
        if (rowStyle !== null) return rowStyle(text);
        return column.colour ? column.colour(text) : text;
      })
      .join(GAP)
      .trimEnd();
  return [
    line(
      allColumns.map((c) => c.header),
      true,
      null,
    ),
    ...allRows.map((r, i) => line(r, false, rowStyles[i] ?? null)),
  ];
}

function naturalWidths(columns: Column[], rows: string[][]): number[] {
  return columns.map((c, i) =>
    Math.min(
      c.max ?? Number.POSITIVE_INFINITY,
      rows.reduce((w, r) => Math.max(w, displayWidth(clean(r[i] ?? ""))), displayWidth(c.header)),
    ),
  );
}

const MIN_FLEX = 16;
const MIN_SHRUNK = 10;

/**
 * Which columns to show and how wide, within `width`: the flex column gives way first (down to a few
 * words), then the shrinkable ones, widest first; when even that is too wide, droppable columns are left
 * out, lowest `dropOrder` first.
 */
function fitWidths(
  columns: Column[],
  natural: number[],
  width: number,
): { keep: number[]; widths: number[] } {
  let keep = columns.map((_, i) => i);
  for (;;) {
    const widths = keep.map((i) => natural[i]!);
    const total = () => widths.reduce((s, w) => s + w, 0) + GAP.length * (widths.length - 1);
    const flex = keep.findIndex((i) => columns[i]!.flex === true);
    if (flex >= 0 && total() > width) {
      widths[flex] = Math.max(Math.min(MIN_FLEX, widths[flex]!), widths[flex]! - (total() - width));
    }
    while (total() > width) {
      let widest = -1;
      keep.forEach((c, k) => {
        const floor = Math.max(columns[c]!.floor ?? MIN_SHRUNK, displayWidth(columns[c]!.header));
        if (
          columns[c]!.shrink === true &&
          widths[k]! > floor &&
          (widest < 0 || widths[k]! > widths[widest]!)
        ) {
          widest = k;
        }
      });
      if (widest < 0) break;
      widths[widest]! -= 1;
    }
    if (total() <= width) return { keep, widths };
    const droppable = keep
      .filter((i) => columns[i]!.dropOrder !== undefined)
      .sort((a, b) => columns[a]!.dropOrder! - columns[b]!.dropOrder!);
    if (droppable.length === 0) return { keep, widths };
    keep = keep.filter((i) => i !== droppable[0]);
  }
}

// C0 and C1 controls (ESC, CR, BEL, …), DEL, and the bidi embedding/override/isolate characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what must be removed.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text safe to print on a terminal: controls become spaces, runs of whitespace collapse. */
function clean(s: string): string {
  return String(s).replace(UNSAFE, " ").replace(/\s+/g, " ").trim();
}

/** Terminal columns a string takes: East Asian wide and fullwidth characters count 2, combining marks 0. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

function charWidth(cp: number): number {
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200d) || cp === 0xfe0f) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = "";
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

function pad(s: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - displayWidth(s)));
  return align === "right" ? fill + s : s + fill;
}
