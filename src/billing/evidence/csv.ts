import type { Line } from "./lines.js";
import { quote } from "./problems.js";

/**
 * RFC 4180 records over the strict line reader: `,` separates fields, `"` quotes a field (which may then hold
 * commas, `""` for a quote and line breaks), spaces around a quoted field are allowed. Every record knows
 * the line it starts on, and a malformed record is reported on its own while reading goes on at the next
 * line — which csv-parse 7 does not do reliably (after a skipped record it loses the following ones, and it
 * stops after a max_record_size error), hence this small parser.
 */

/** Longest record accepted, in characters (a quoted field can span lines). */
export const MAX_RECORD_CHARS = 1_048_576;

export type CsvRecord =
  | { line: number; fields: string[] }
  | { line: number; problem: { expected: string; found: string } };

interface Pending {
  line: number;
  fields: string[];
  field: string;
  chars: number;
  tooBig: boolean;
}

type LineResult = { done: true } | { done: false } | { error: { expected: string; found: string } };

const isBlank = (c: string | undefined): boolean => c === " " || c === "\t";

/** Continues `rec` with one line of text; `inQuotes` says whether the line starts inside a quoted field. */
function parseLine(rec: Pending, text: string, startInQuotes: boolean): LineResult & { inQuotes?: boolean } {
  let i = 0;
  const n = text.length;
  let inQuotes = startInQuotes;
  let atFieldStart = !startInQuotes;
  const push = (): void => {
    rec.chars += rec.field.length;
    if (rec.chars > MAX_RECORD_CHARS) rec.tooBig = true;
    if (!rec.tooBig) rec.fields.push(rec.field);
    rec.field = "";
  };
  for (;;) {
    if (inQuotes) {
      const q = text.indexOf('"', i);
      if (q === -1) {
        rec.field += `${text.slice(i)}\n`;
        if (rec.chars + rec.field.length > MAX_RECORD_CHARS) {
          rec.tooBig = true;
          rec.field = "";
        }
        return { done: false, inQuotes: true };
      }
      rec.field += text.slice(i, q);
      if (text[q + 1] === '"') {
        rec.field += '"';
        i = q + 2;
        continue;
      }
      inQuotes = false;
      i = q + 1;
      while (isBlank(text[i])) i += 1;
      if (i >= n) {
        push();
        return { done: true };
      }
      if (text[i] !== ",") {
        return {
          error: {
            expected: "a comma or the end of the line after a closing quote",
            found: `${quote(text.slice(q, q + 12))} at character ${q + 1}`,
          },
        };
      }
      push();
      i += 1;
      atFieldStart = true;
      continue;
    }
    if (atFieldStart) {
      let j = i;
      while (isBlank(text[j])) j += 1;
      if (text[j] === '"') {
        inQuotes = true;
        atFieldStart = false;
        i = j + 1;
        continue;
      }
    }
    const comma = text.indexOf(",", i);
    if (comma === -1) {
      rec.field += text.slice(i);
      push();
      return { done: true };
    }
    rec.field += text.slice(i, comma);
    push();
    i = comma + 1;
    atFieldStart = true;
  }
}

function tooBig(line: number): CsvRecord {
  return {
    line,
    problem: { expected: `a record of at most ${MAX_RECORD_CHARS} characters`, found: "a longer record" },
  };
}

/** CSV records (header included) with their first line; blank lines are skipped but counted. */
export async function* readCsvRecords(lines: AsyncIterable<Line>): AsyncGenerator<CsvRecord> {
  let rec: Pending | undefined; // a record continued from an earlier line (inside a quoted field)
  for await (const l of lines) {
    if ("problem" in l) {
      // A broken line breaks the record it is part of; reading starts afresh on the next line.
      rec = undefined;
      yield { line: l.line, problem: l.problem };
      continue;
    }
    const continuing = rec !== undefined;
    if (rec === undefined) {
      if (l.text.trim() === "") continue;
      if (!l.text.includes('"')) {
        if (l.text.length > MAX_RECORD_CHARS) yield tooBig(l.line);
        else yield { line: l.line, fields: l.text.split(",") };
        continue;
      }
      rec = { line: l.line, fields: [], field: "", chars: 0, tooBig: false };
    }
    const result = parseLine(rec, l.text, continuing);
    if ("error" in result) {
      yield { line: l.line, problem: result.error };
      rec = undefined;
    } else if (result.done) {
      yield rec.tooBig ? tooBig(rec.line) : { line: rec.line, fields: rec.fields };
      rec = undefined;
    }
  }
  if (rec !== undefined) {
    yield {
      line: rec.line,
      problem: {
        expected: `a closing quote for the field opened on line ${rec.line}`,
        found: "the end of the file",
      },
    };
  }
}
