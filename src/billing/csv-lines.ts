import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { type FileKind, openBytes } from "./source-file.js";

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/**
 * Where each CSV record starts, for exact `FILE:LINE` references. DuckDB numbers records, not lines:
 * a record's line is `index + 2` (header on line 1) plus every line break before it that is not a
 * record separator — newlines inside quoted fields and blank lines (which DuckDB skips). Those are
 * rare, so the map is sparse: from data record `index` on (0-based), `line = index + 2 + offset`.
 */
export interface CsvLineMap {
  /** Data records (the header excluded). */
  records: number;
  /** Changes of the offset, by ascending record index. Empty for a plain file. */
  offsets: Array<{ index: number; offset: number }>;
  /** Line on which a quote opened that the file never closes, if any. */
  unclosedQuoteLine: number | null;
  /** Record separators of more than one style (`\n`, `\r\n`, `\r`): DuckDB's strict reader rejects that. */
  mixedLineBreaks: boolean;
}

const BREAK_LF = 1;
const BREAK_CRLF = 2;
const BREAK_CR = 4;

/**
 * One pass over the file's bytes (decompressed), following RFC 4180 quoting: a line break inside a
 * quoted field belongs to the field; `\r\n`, `\n` and a lone `\r` each end one line; a line holding
 * nothing is blank and starts no record.
 */
export async function scanCsvLines(path: string, kind: FileKind, chunkBytes?: number): Promise<CsvLineMap> {
  const offsets: Array<{ index: number; offset: number }> = [];
  let inQuote = false;
  let inRecord = false;
  let afterCr = false;
  let line = 1;
  let quoteLine = 0;
  let index = -2; // the header will be record -1
  let offset = 0;
  /** Styles of the line breaks seen outside quotes; `crOutside`: a `\r` outside quotes, style pending. */
  let styles = 0;
  let crOutside = false;

  const startRecord = () => {
    inRecord = true;
    index++;
    if (index >= 0) {
      const o = line - (index + 2);
      if (o !== offset) {
        offsets.push({ index, offset: o });
        offset = o;
      }
    }
  };

  for await (const chunk of openBytes(path, kind, chunkBytes)) {
    const bytes = chunk as Buffer;
    const n = bytes.length;
    const find = (byte: number, from: number) => {
      const k = bytes.indexOf(byte, from);
      return k === -1 ? n : k;
    };
    let i = 0;
    if (!afterCr && !crOutside && bytes.indexOf(CR) === -1) {
      // Fast path (no `\r` in this chunk): jump between quotes and line feeds with indexOf.
      let nextQuote = -1;
      let nextLf = -1;
      while (i < n) {
        if (nextQuote < i) nextQuote = find(QUOTE, i);
        if (inQuote) {
          for (;;) {
            if (nextLf < i) nextLf = find(LF, i);
            if (nextLf >= nextQuote) break;
            line++;
            i = nextLf + 1;
          }
          if (nextQuote === n) {
            i = n;
            break;
          }
          inQuote = false;
          i = nextQuote + 1;
          continue;
        }
        if (nextLf < i) nextLf = find(LF, i);
        if (nextLf === i) {
          inRecord = false;
          styles |= BREAK_LF;
          line++;
          i++;
          continue;
        }
        if (!inRecord) startRecord();
        if (nextQuote < nextLf) {
          inQuote = true;
          quoteLine = line;
          i = nextQuote + 1;
        } else {
          i = nextLf;
        }
      }
      continue;
    }
    while (i < n) {
      const b = bytes[i] as number;
      if (crOutside) {
        crOutside = false;
        styles |= b === LF ? BREAK_CRLF : BREAK_CR;
      }
      if (afterCr) {
        afterCr = false;
        if (b === LF) {
          i++;
          continue;
        }
      }
      if (inQuote) {
        if (b === QUOTE) inQuote = false;
        else if (b === LF) line++;
        else if (b === CR) {
          line++;
          afterCr = true;
        }
        i++;
        continue;
      }
      if (b === LF || b === CR) {
        inRecord = false;
        line++;
        afterCr = b === CR;
        if (b === CR) crOutside = true;
        else styles |= BREAK_LF;
        i++;
        continue;
      }
      if (!inRecord) startRecord();
      if (b === QUOTE) {
        inQuote = true;
        quoteLine = line;
      }
      i++;
    }
  }
  if (crOutside) styles |= BREAK_CR;
  return {
    records: Math.max(0, index + 1),
    offsets,
    unclosedQuoteLine: inQuote ? quoteLine : null,
    mixedLineBreaks: styles !== 0 && (styles & (styles - 1)) !== 0,
  };
}

/**
 * The 1-based line of the record starting at or after byte `offset` of the (decompressed) file: line
 * breaks from `offset` on (blank lines DuckDB reports as part of the record) are skipped.
 */
export async function recordLineAt(path: string, kind: FileKind, offset: number): Promise<number> {
  let line = 1;
  let position = 0;
  let afterCr = false;
  for await (const chunk of openBytes(path, kind)) {
    const bytes = chunk as Buffer;
    for (let i = 0; i < bytes.length; i++, position++) {
      const b = bytes[i];
      if (b === LF) {
        if (!afterCr) line++;
        afterCr = false;
      } else if (b === CR) {
        line++;
        afterCr = true;
      } else {
        if (position >= offset) return line;
        afterCr = false;
      }
    }
  }
  return line;
}

/**
 * A copy of the file with every line break as `\n` (`\r\n` and a lone `\r` replaced), decompressed.
 * DuckDB's strict CSV reader takes one line-break style per file; this is the fallback for files that
 * mix them. Line numbers are unchanged.
 */
export async function writeWithUnixLineBreaks(path: string, kind: FileKind, target: string): Promise<void> {
  let afterCr = false;
  async function* normalise(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const bytes of source) {
      const out = Buffer.allocUnsafe(bytes.length);
      let k = 0;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i] as number;
        if (afterCr && b === LF) {
          afterCr = false;
          continue;
        }
        afterCr = b === CR;
        out[k++] = b === CR ? LF : b;
      }
      yield out.subarray(0, k);
    }
  }
  await pipeline(openBytes(path, kind), normalise, createWriteStream(target));
}
