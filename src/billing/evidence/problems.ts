import { AppError } from "../../shared/errors.js";
import type { RowProblem } from "../charge.js";

/** Longest part of a bad value quoted in a message. */
export const MAX_SHOWN_CHARS = 80;

// C0, DEL, C1, and the invisible format characters that could disguise a message (bidi overrides, line and
// paragraph separators, zero-width characters, BOM).
// biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeChar(c: string): string {
  switch (c) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  }
}

/** A string quoted for a message: control characters escaped, cut to MAX_SHOWN_CHARS with its length. */
export function quote(value: string): string {
  const long = value.length > MAX_SHOWN_CHARS;
  let end = long ? MAX_SHOWN_CHARS : value.length;
  // Never split a surrogate pair.
  const last = value.charCodeAt(end - 1);
  if (long && last >= 0xd800 && last <= 0xdbff) end -= 1;
  const shown = value
    .slice(0, end)
    .replace(/["\\]/g, (c) => `\\${c}`)
    .replace(UNSAFE, escapeChar);
  return long ? `"${shown}…" (${value.length} characters)` : `"${shown}"`;
}

/** How a found value is shown: strings quoted, JSON numbers and booleans as written, nothing when absent. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return quote(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return "an object";
}

/** Where a problem is: a 1-based line (JSONL, CSV) or a 0-based position in a JSON array (the GCP feed). */
export type Position = { line: number } | { row: number };

export function problem(
  file: string,
  at: Position,
  column: string | undefined,
  expected: string,
  found: string,
): RowProblem {
  const p: RowProblem = { file, ...at, expected, found };
  if (column !== undefined) p.column = column;
  return p;
}

/** `<file>:<line>: <field>: expected <what>, found <value>` (no field part for whole-line problems). */
export function describeProblem(p: RowProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}` : `${p.file}:${p.row ?? 0}`;
  const field = p.column === undefined ? "" : ` ${p.column}:`;
  return `${where}:${field} expected ${p.expected}, found ${p.found}`;
}

/** The `validation_failed` error for a problem; the CLI turns it into exit status 2. */
export function problemError(p: RowProblem, cause?: unknown): AppError {
  const extensions: Record<string, unknown> = { file: p.file };
  if (p.line !== undefined) extensions.line = p.line;
  if (p.row !== undefined) extensions.row = p.row;
  if (p.column !== undefined) extensions.column = p.column;
  extensions.expected = p.expected;
  extensions.found = p.found;
  return new AppError("validation_failed", describeProblem(p), { extensions, cause });
}

/** A problem with the file as a whole (unreadable, unsupported type, not gzip): always thrown. */
export function fileError(file: string, message: string, cause?: unknown): AppError {
  return new AppError("validation_failed", `${file}: ${message}`, { extensions: { file }, cause });
}
