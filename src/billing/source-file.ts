import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { CsvError, parse } from "csv-parse";
import { quoteValue } from "./bad-file.js";

/** How a bill file is stored, from its first bytes (not its name). */
export type FileKind = "csv" | "csv-gzip" | "parquet";

export async function sniffFileKind(path: string): Promise<FileKind> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "csv-gzip";
    if (bytesRead === 4 && head.toString("latin1") === "PAR1") return "parquet";
    return "csv";
  } finally {
    await handle.close();
  }
}

/** The file's bytes, decompressed when gzip, in chunks of about `chunkBytes` (default 1 MiB). */
export function openBytes(path: string, kind: FileKind, chunkBytes = 1 << 20): Readable {
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  if (kind !== "csv-gzip") return file;
  const gunzip = createGunzip({ chunkSize: Math.max(64, chunkBytes) });
  file.on("error", (e) => gunzip.destroy(e));
  return file.pipe(gunzip);
}

/** Longest header record read (a CUR header is ~5 kB). */
export const MAX_HEADER_BYTES = 1 << 20;

export type HeaderResult = { ok: true; columns: string[] } | { ok: false; expected: string; found: string };

/**
 * The first CSV record (the header), parsed with csv-parse, a UTF-8 BOM stripped. Reads only as far
 * as the end of that record.
 */
export async function readCsvHeader(path: string, kind: FileKind): Promise<HeaderResult> {
  const source = openBytes(path, kind);
  const parser = parse({ bom: true, to: 1, relax_column_count: true, max_record_size: MAX_HEADER_BYTES });
  try {
    const result = await new Promise<HeaderResult>((resolve, reject) => {
      let record: string[] | null = null;
      parser.on("readable", () => {
        let next: unknown = parser.read();
        while (next !== null) {
          if (record === null && Array.isArray(next)) record = next.map((v) => String(v));
          next = parser.read();
        }
      });
      parser.on("error", (error: Error & { code?: string }) => {
        if (record !== null) return resolve({ ok: true, columns: record });
        if (error.code === "CSV_QUOTE_NOT_CLOSED") {
          return resolve({
            ok: false,
            expected: 'a closing quote (") in the header',
            found: "the end of the file",
          });
        }
        if (error.code === "CSV_MAX_RECORD_SIZE") {
          return resolve({
            ok: false,
            expected: `a header line of at most ${MAX_HEADER_BYTES} bytes`,
            found: "a longer one",
          });
        }
        if (error instanceof CsvError) {
          return resolve({
            ok: false,
            expected: "a well-formed CSV header line",
            found: quoteValue(error.message),
          });
        }
        reject(error);
      });
      parser.on("end", () => {
        if (record === null)
          resolve({ ok: false, expected: "a header line naming the columns", found: "an empty file" });
        else resolve({ ok: true, columns: record });
      });
      source.on("error", (error: Error & { code?: string }) => {
        if (record !== null) return resolve({ ok: true, columns: record });
        if (error.code === "Z_DATA_ERROR" || error.code === "Z_BUF_ERROR") {
          return resolve({
            ok: false,
            expected: "a gzip-compressed CSV file",
            found: "a damaged gzip stream",
          });
        }
        reject(error);
      });
      source.pipe(parser);
    });
    return result;
  } finally {
    source.unpipe(parser);
    source.destroy();
    parser.destroy();
  }
}
