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
}

/**
 * One pass over the file's bytes (decompressed), following RFC 4180 quoting: a line break inside a
 * quoted field belongs to the field; `\r\n`, `\n` and a lone `\r` each end one line; a line holding
 * nothing is blank and starts no record.
 */
export async function scanCsvLines(path: string, kind: FileKind): Promise<CsvLineMap> {
  const offsets: Array<{ index: number; offset: number }> = [];
  let inQuote = false;
  let inRecord = false;
  let afterCr = false;
  let line = 1;
  let quoteLine = 0;
  let index = -2; // the header will be record -1
  let offset = 0;

  for await (const chunk of openBytes(path, kind)) {
    const bytes = chunk as Buffer;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      const b = bytes[i] as number;
      if (afterCr) {
        afterCr = false;
        if (b === LF) {
          i++;
          continue;
        }
      }
      if (inQuote) {
        // Jump to the next quote, counting the line breaks on the way.
        const q = bytes.indexOf(QUOTE, i);
        const end = q === -1 ? n : q;
        for (let j = i; j < end; j++) {
          const c = bytes[j];
          if (c === LF) {
            if (!(j > i && bytes[j - 1] === CR)) line++;
          } else if (c === CR) {
            line++;
          }
        }
        // A `\r` at the chunk end may pair with a `\n` at the next chunk's start.
        if (q === -1) {
          afterCr = n > i && bytes[n - 1] === CR;
          i = n;
        } else {
          inQuote = false;
          i = q + 1;
        }
        continue;
      }
      if (b === LF || b === CR) {
        inRecord = false;
        line++;
        afterCr = b === CR;
        i++;
        continue;
      }
      if (!inRecord) {
        inRecord = true;
        index++;
        if (index >= 0) {
          const o = line - (index + 2);
          if (o !== offset) {
            offsets.push({ index, offset: o });
            offset = o;
          }
        }
      }
      if (b === QUOTE) {
        inQuote = true;
        quoteLine = line;
        i++;
        continue;
      }
      // Skip the rest of an unquoted stretch: up to the next quote or line break.
      let j = i + 1;
      while (j < n) {
        const c = bytes[j];
        if (c === QUOTE || c === LF || c === CR) break;
        j++;
      }
      i = j;
    }
  }
  // A `\r\n` split across chunks inside quotes was counted as two breaks only if the `\n` was seen
  // as a fresh break: `afterCr` above swallows it, so counts stay exact.
  return { records: Math.max(0, index + 1), offsets, unclosedQuoteLine: inQuote ? quoteLine : null };
}

/** The 1-based line holding byte `offset` of the (decompressed) file. */
export async function lineAtByteOffset(path: string, kind: FileKind, offset: number): Promise<number> {
  let line = 1;
  let seen = 0;
  let afterCr = false;
  for await (const chunk of openBytes(path, kind)) {
    const bytes = chunk as Buffer;
    const end = Math.min(bytes.length, offset - seen);
    for (let i = 0; i < end; i++) {
      const b = bytes[i];
      if (b === LF) {
        if (!afterCr) line++;
        afterCr = false;
      } else if (b === CR) {
        line++;
        afterCr = true;
      } else {
        afterCr = false;
      }
    }
    seen += bytes.length;
    if (seen >= offset) break;
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
