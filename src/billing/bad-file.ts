import { AppError } from "../shared/errors.js";
import type { RowProblem } from "./charge.js";

/** Longest part of a bad value quoted back to the user. */
export const MAX_QUOTED_CHARS = 80;

/**
 * A bad value as shown to a user: double-quoted, at most 80 characters (then `…`), with control
 * characters, quotes and backslashes escaped (JSON string syntax), so a hostile value cannot break
 * a terminal or a log line. `null` (no value at all) reads "an empty value".
 */
export function quoteValue(value: string | null): string {
  if (value === null || value === "") return "an empty value";
  const chars = Array.from(value);
  const shown = chars.length > MAX_QUOTED_CHARS ? `${chars.slice(0, MAX_QUOTED_CHARS).join("")}…` : value;
  // JSON.stringify escapes C0 controls, `"` and `\`; also escape DEL, C1 controls and line separators.
  return JSON.stringify(shown).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** `bills.csv:12: column BilledCost: expected a decimal number, found "12,50"`. */
export function describeProblem(problem: RowProblem): string {
  const position = problem.line ?? problem.row;
  const where = position === undefined ? problem.file : `${problem.file}:${position}`;
  const column = problem.column === undefined ? "" : `column ${problem.column}: `;
  return `${where}: ${column}expected ${problem.expected}, found ${problem.found}`;
}

/**
 * The error for a bad bill file: `validation_failed` (the CLI exits 2, the API answers 400) with the
 * problem's position as problem-details extensions (`file`, `line` or `row`, `column`, `expected`,
 * `found`).
 */
export function badFile(problem: RowProblem, cause?: unknown): AppError {
  const extensions: Record<string, unknown> = { file: problem.file };
  if (problem.line !== undefined) extensions.line = problem.line;
  if (problem.row !== undefined) extensions.row = problem.row;
  if (problem.column !== undefined) extensions.column = problem.column;
  extensions.expected = problem.expected;
  extensions.found = problem.found;
  return new AppError("validation_failed", describeProblem(problem), { extensions, cause });
}

/** PostgreSQL text cannot hold U+0000 (SQLite can): no field of a file has a use for it. */
export const NUL_FREE_TEXT = "text without the NUL character (U+0000)";

/** The value as a problem shows it: the NUL as ␀, so that the message itself can be stored. */
export const visibleNul = (text: string): string => text.replaceAll("\u0000", "\u2400");
