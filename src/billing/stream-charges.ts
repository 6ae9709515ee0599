import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection, DuckDBDataChunk } from "@duckdb/node-api";
import { AppError } from "../shared/errors.js";
import type { Analytics } from "./analytics.js";
import { badFile, NUL_FREE_TEXT, quoteValue, visibleNul } from "./bad-file.js";
import type { BillFormat, RowProblem } from "./charge.js";
import { FOCUS_COLUMNS, type FocusColumn } from "./charges-table.js";
import { type CsvLineMap, scanCsvLines, writeWithUnixLineBreaks } from "./csv-lines.js";
import {
  csvFailure,
  csvSource,
  fieldsFoundInShortRow,
  isMixedLineBreakError,
  type LoadChargeFileOptions,
  type LoadChargeFileResult,
  type PreparedChargeFile,
  parquetFailure,
  parquetSource,
  prepareChargeFile,
} from "./load-charges.js";
import { parseStringMap } from "./read-charge-rows.js";
import { sqlString } from "./sql.js";

/**
 * One charge as the store keeps it: the FOCUS columns as text, in `FOCUS_COLUMNS` order, with the
 * conventions of `Charge` (ISO UTC timestamps, plain decimal text, `Tags` as a JSON object of strings),
 * then `x_Extensions` (JSON object of strings; null when there are none).
 */
export type ChargeText = (string | null)[];

/** Position of a column in a `ChargeText`. */
export const CHARGE_TEXT_AT = Object.fromEntries([
  ...FOCUS_COLUMNS.map((c, i) => [c.name, i]),
  ["x_Extensions", FOCUS_COLUMNS.length],
]) as Record<FocusColumn | "x_Extensions", number>;

export interface ChargeTextBatch {
  rows: ChargeText[];
  /** Per row: `FILE:LINE` (CSV) or `FILE:ROW` (Parquet). */
  sourceRefs: string[];
}

/** Where a `ChargeFileReader` puts the rows, batch by batch, in file order. */
export interface ChargeSink {
  /** The batch's arrays are the sink's to keep or change. */
  write(batch: ChargeTextBatch): void | Promise<void>;
  /**
   * Forget every row written so far: the file is read again from its start. Rare: only when DuckDB
   * has to read a CSV a second way (line breaks of mixed styles, every row short of the header).
   */
  restart(): void | Promise<void>;
}

/** A bill file, checked up to its rows, ready to be read once. */
export interface ChargeFileReader {
  format: BillFormat;
  /** CSV records or Parquet rows (GCP credits add rows of their own), when known. */
  sourceRows: number | null;
  /**
   * Streams every good row to `sink`, in file order, and returns what `loadChargeFile` would.
   * Validation runs as the rows stream: the first bad row (`fail`) or damage to the file's structure
   * throws, possibly after rows were written, so a caller writes them in a transaction of its own
   * and rolls it back on error. Nothing is kept in DuckDB: its memory does not grow with the file.
   */
  read(sink: ChargeSink): Promise<LoadChargeFileResult>;
}

/**
 * Opens a bill file for streaming (the importer's path; `loadChargeFile` loads into DuckDB instead,
 * for the audit): the header is read and checked and, for a CSV, its line breaks counted (for exact
 * line numbers) before any row is read.
 */
export async function openChargeFile(
  analytics: Analytics,
  options: LoadChargeFileOptions,
): Promise<ChargeFileReader> {
  const prepared = await prepareChargeFile(analytics, options);
  const connection = analytics.connection;
  if (prepared.kind === "parquet") {
    const source = parquetSource(prepared.path, prepared.parquet ?? []);
    let sourceRows: number | null = null;
    try {
      const count = await connection.runAndReadAll(
        `SELECT count(*) FROM read_parquet(${sqlString(prepared.path)})`,
      );
      sourceRows = Number(count.getRows()[0]?.[0] ?? 0);
    } catch (error) {
      throw parquetFailure(prepared.file, error);
    }
    return {
      format: prepared.formatName,
      sourceRows,
      async read(sink) {
        try {
          return await readRows(connection, prepared, prepared.plan.streamSelect(source, true), null, sink);
        } catch (error) {
          if (error instanceof SinkFailure) throw error.cause;
          throw parquetFailure(prepared.file, error);
        }
      },
    };
  }

  const kind = prepared.kind;
  let lineMap: CsvLineMap | null = null;
  let scanError: unknown = null;
  try {
    lineMap = await scanCsvLines(prepared.path, kind);
  } catch (error) {
    // DuckDB's read will fail on the same bytes, and say more precisely why.
    scanError = error;
  }
  const columns = prepared.columns;
  return {
    format: prepared.formatName,
    sourceRows: lineMap?.records ?? null,
    async read(sink) {
      let tempDir: string | null = null;
      let csv: { kind: "csv" | "csv-gzip"; path: string; width: number } = {
        kind,
        path: prepared.path,
        width: columns.length,
      };
      const normalise = async () => {
        // DuckDB's strict reader wants one line-break style per file: read a normalised copy.
        tempDir = await mkdtemp(join(tmpdir(), "refund-desk-csv-"));
        csv = { kind: "csv", path: join(tempDir, "normalised.csv"), width: csv.width };
        await writeWithUnixLineBreaks(prepared.path, kind, csv.path);
      };
      try {
        if (lineMap?.mixedLineBreaks) await normalise();
        let firstError: unknown = null;
        let again = false;
        for (;;) {
          if (again) await sink.restart();
          again = true;
          const sql = prepared.plan.streamSelect(
            csvSource(csv.path, csv.kind, csv.width, columns.length),
            false,
          );
          try {
            const result = await readRows(connection, prepared, sql, lineMap, sink);
            if (scanError !== null) throw scanError;
            return result;
          } catch (error) {
            if (error instanceof SinkFailure) throw error.cause;
            if (error instanceof AppError || error === scanError) throw error;
            if (tempDir === null && isMixedLineBreakError(error)) {
              await normalise();
              continue;
            }
            const fields = fieldsFoundInShortRow(error, columns.length);
            if (firstError === null && fields !== null && (lineMap?.records ?? 0) >= 2) {
              // Every row may lack the header's trailing columns (real AWS CUR files do): read those
              // as absent. A row of any other width still fails, reported as the first error was.
              firstError = error;
              csv = { ...csv, width: fields };
              continue;
            }
            throw await csvFailure(
              connection,
              firstError ?? error,
              csv.path,
              csv.kind,
              columns,
              prepared.file,
              prepared.id,
            );
          }
        }
      } finally {
        if (tempDir !== null) await rm(tempDir, { recursive: true, force: true });
      }
    },
  };
}

/** An error of the sink's own (the store's), passed through untouched. */
class SinkFailure extends Error {
  constructor(override readonly cause: unknown) {
    super("the charge sink failed");
  }
}

/**
 * Runs the stream query and hands the good rows to `sink` chunk by chunk. DuckDB reads the next chunk
 * (on its own threads) while JavaScript converts and writes this one.
 */
async function readRows(
  connection: DuckDBConnection,
  prepared: PreparedChargeFile,
  sql: string,
  lineMap: CsvLineMap | null,
  sink: ChargeSink,
): Promise<LoadChargeFileResult> {
  const { file, mode, plan } = prepared;
  const parquet = prepared.kind === "parquet";
  const checks = plan.badCondition !== "";
  const extras = plan.hasExtraRows;
  const offsets = lineMap?.offsets ?? [];
  let nextOffset = 0;
  let offset = 0;
  /** Source row (0-based data record), and where it is: CSV line or Parquet row. */
  let index = -1;
  let position = 0;
  let loaded = 0;
  const invalid: RowProblem[] = [];
  let firstBad: RowProblem | null = null;
  const texts = new TextNormaliser();

  /** The good rows of one chunk, as text; bad rows described. */
  const convert = (chunk: DuckDBDataChunk): ChargeTextBatch => {
    const n = chunk.rowCount;
    const text = chunk.getColumnVector(0);
    const errors = checks ? chunk.getColumnVector(1) : null;
    const src = parquet ? chunk.getColumnVector(2) : null;
    const k = extras ? chunk.getColumnVector(3) : null;
    const rows: ChargeText[] = [];
    const sourceRefs: string[] = [];
    for (let i = 0; i < n; i++) {
      if (k === null || k.getItem(i) === 1) {
        index++;
        if (src !== null) position = Number(src.getItem(i));
        else {
          while (nextOffset < offsets.length && (offsets[nextOffset]?.index ?? 0) <= index) {
            offset = offsets[nextOffset]?.offset ?? 0;
            nextOffset++;
          }
          position = index + 2 + offset;
        }
      }
      const bad = errors?.getItem(i) ?? null;
      if (bad !== null) {
        const problem = describe(
          prepared,
          String(bad),
          parquet ? { file, row: position } : { file, line: position },
        );
        if (mode === "fail") firstBad ??= problem;
        else invalid.push(problem);
        continue;
      }
      // After the first bad row in `fail` mode, the rest is read only for damage that would fail the file first.
      if (firstBad !== null) continue;
      const json = String(text.getItem(i));
      const row = texts.row(json);
      // DuckDB's JSON escapes a NUL character: only a row whose text mentions one is searched.
      const nul = json.includes("\\u0000")
        ? nulProblem(row, parquet ? { file, row: position } : { file, line: position })
        : null;
      if (nul !== null) {
        if (mode === "fail") firstBad ??= nul;
        else invalid.push(nul);
        continue;
      }
      rows.push(row);
      sourceRefs.push(`${file}:${position}`);
    }
    return { rows, sourceRefs };
  };

  const result = await connection.stream(sql);
  let pending: Promise<DuckDBDataChunk | null> | null = result.fetchChunk();
  try {
    for (;;) {
      let chunk: DuckDBDataChunk | null = await pending;
      pending = null;
      if (chunk === null || chunk.rowCount === 0) break;
      pending = result.fetchChunk();
      const batch = convert(chunk);
      // A chunk's rows live in DuckDB's memory until the chunk is garbage-collected, and the
      // collector cannot see that size: drop it before the store's work, so it dies young.
      chunk = null;
      if (batch.rows.length > 0) {
        loaded += batch.rows.length;
        try {
          await sink.write(batch);
        } catch (error) {
          throw new SinkFailure(error);
        }
      }
    }
  } finally {
    // The connection runs one query at a time: let a fetch in flight finish before anything else.
    await pending?.catch(() => undefined);
  }
  if (firstBad !== null) throw badFile(firstBad);
  return { format: prepared.formatName, loaded, invalid: mode === "collect" ? invalid : [] };
}

/** A value holding U+0000, which PostgreSQL text cannot store: the leftmost such column. */
function nulProblem(row: ChargeText, at: Pick<RowProblem, "file" | "line" | "row">): RowProblem | null {
  const k = row.findIndex((value) => value?.includes("\u0000"));
  if (k < 0) return null;
  return {
    ...at,
    column: FOCUS_COLUMNS[k]?.name ?? "x_Extensions",
    expected: NUL_FREE_TEXT,
    found: quoteValue(visibleNul(row[k] ?? "")),
  };
}

/** A bad row's problem: its leftmost bad column. `errors` is the JSON array of `e{i}`. */
function describe(
  prepared: PreparedChargeFile,
  errors: string,
  at: Pick<RowProblem, "file" | "line" | "row">,
): RowProblem {
  const list = JSON.parse(errors) as Array<string | null>;
  const fields = prepared.plan.fields;
  for (let k = 0; k < fields.length; k++) {
    const text = list[k];
    const field = fields[k];
    if (text === null || text === undefined || field === undefined) continue;
    return {
      ...at,
      column: field.column,
      expected: field.spec.parser.expected,
      found: quoteValue(text === "" ? null : text),
    };
  }
  throw new Error("a row marked bad has no bad value");
}

const TAGS = CHARGE_TEXT_AT.Tags;
const EXTENSIONS = CHARGE_TEXT_AT.x_Extensions;

/**
 * Parses a row's JSON array and gives `Tags` and `x_Extensions` the text `Charge` gives them
 * (`JSON.stringify` of the string map). DuckDB built `x_Extensions` from JSON strings, so without an
 * escape and without a numeric key (which JavaScript would move first) its text already is that.
 */
class TextNormaliser {
  private tags = new Map<string, string>();

  row(json: string): ChargeText {
    const row = JSON.parse(json) as ChargeText;
    const tags = row[TAGS];
    if (tags !== null && tags !== undefined) row[TAGS] = this.tagsText(tags);
    const extensions = row[EXTENSIONS];
    if (extensions === "{}") row[EXTENSIONS] = null;
    else if (
      extensions !== null &&
      extensions !== undefined &&
      (extensions.includes("\\") || /"\d+":/.test(extensions))
    ) {
      row[EXTENSIONS] = JSON.stringify(parseStringMap(extensions));
    }
    return row;
  }

  /** Tags repeat from row to row (a resource's tags): normalised once each. */
  private tagsText(json: string): string {
    let text = this.tags.get(json);
    if (text === undefined) {
      text = JSON.stringify(parseStringMap(json));
      if (this.tags.size >= 10_000) this.tags.clear();
      this.tags.set(json, text);
    }
    return text;
  }
}
