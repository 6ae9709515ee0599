import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { AppError } from "../shared/errors.js";
import type { Analytics } from "./analytics.js";
import { badFile, quoteValue } from "./bad-file.js";
import type { BillFormat, RowProblem } from "./charge.js";
import { CHARGES_TABLE, CREATE_CHARGES_TABLE, FOCUS_COLUMNS, type FocusColumn } from "./charges-table.js";
import { type CsvLineMap, lineAtByteOffset, scanCsvLines, writeWithUnixLineBreaks } from "./csv-lines.js";
import { detectBillFormat } from "./detect-format.js";
import { focusColumnOf } from "./formats/focus.js";
import { FORMAT_DEFINITIONS, type FormatDefinition, formatDefinition } from "./formats/index.js";
import type { FieldSpec, FormatOptions, MappingContext, RowMapping } from "./formats/types.js";
import { type FileKind, readCsvHeader, sniffFileKind } from "./source-file.js";
import { jsonObjectOfStrings, sqlIdent, sqlString } from "./sql.js";

export interface LoadChargeFileOptions {
  /** The file to read: CSV, gzip-compressed CSV or Parquet (told apart by content, not name). */
  path: string;
  /** The name charges cite (`NAME:LINE`) and errors name; default: `path` as given. */
  displayName?: string;
  /** Overrides the format detected from the header. */
  format?: BillFormat;
  /**
   * `fail` (default): the first bad row (lowest line, then leftmost column) throws
   * `validation_failed` and nothing is loaded. `collect`: bad rows are reported and left out; the good
   * ones load. Damage to the file's structure (unterminated quote, wrong field count, invalid UTF-8,
   * an over-long line) always throws: its records cannot be told apart reliably.
   */
  onInvalid?: "fail" | "collect";
  /** Currency of files without a currency column (FOCUS `BillingCurrency`); required for those. */
  defaultCurrency?: string;
  /** Billing account of files without one; default `unknown`. */
  defaultBillingAccountId?: string;
}

export interface LoadChargeFileResult {
  format: BillFormat;
  /** Rows appended to `charges` (GCP credits count as rows of their own). */
  loaded: number;
  /** One problem per bad row (its leftmost bad column), in file order; empty in `fail` mode. */
  invalid: RowProblem[];
}

/** DuckDB's limit on one CSV line (a record with its quoted line breaks). */
export const MAX_LINE_BYTES = 2_000_000;

const NULL_STRINGS = ["NULL", "null", "(null)", ""];

let loadCounter = 0;

/**
 * Reads one bill file into the DuckDB `charges` table (created when missing), appending to what is
 * there. Parsing, validation and normalisation run in DuckDB (vectorised SQL); JavaScript only reads
 * the header line and counts line breaks for exact line numbers. The append is one INSERT: a file
 * that fails loads nothing.
 */
export async function loadChargeFile(
  analytics: Analytics,
  options: LoadChargeFileOptions,
): Promise<LoadChargeFileResult> {
  const file = options.displayName ?? options.path;
  const mode = options.onInvalid ?? "fail";
  if (options.defaultCurrency !== undefined && !/^[A-Z]{3}$/.test(options.defaultCurrency)) {
    throw new AppError(
      "validation_failed",
      `defaultCurrency must be a three-letter currency code in capitals, got ${quoteValue(options.defaultCurrency)}`,
    );
  }
  const path = resolve(options.path);
  if (/[*?[]/.test(path)) {
    // DuckDB would read these as glob patterns.
    throw badFile({ file, expected: "a file path without *, ? or [", found: quoteValue(options.path) });
  }
  try {
    const info = await stat(path);
    if (!info.isFile()) throw badFile({ file, expected: "a file", found: "a directory or device" });
  } catch (error) {
    if (error instanceof AppError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? "an error";
    throw badFile({ file, expected: "a readable file", found: code === "ENOENT" ? "no such file" : code }, error);
  }

  const id = ++loadCounter;
  const T0 = performance.now();
  const tick = (l: string) => { if (process.env.RD_DEBUG) console.log(l, Math.round(performance.now() - T0)); };
  const connection = analytics.connection;
  const kind = await sniffFileKind(path);
  const parquet = kind === "parquet" ? await parquetColumns(connection, path, file) : null;
  const columns = parquet === null ? await csvColumns(path, kind, file) : parquet.map((c) => c.name);
  const position = (n: number) => (kind === "parquet" ? { row: n } : { line: n });

  const formatName = options.format ?? detectBillFormat(columns);
  if (formatName === null) {
    throw badFile({
      file,
      ...position(kind === "parquet" ? 0 : 1),
      expected: `the columns of a FOCUS export or of a native bill (${FORMAT_DEFINITIONS.filter((d) => d.format !== "focus")
        .map((d) => d.title)
        .join(", ")})`,
      found: quoteValue(columns.slice(0, 8).join(",")),
    });
  }
  const definition = formatDefinition(formatName);
  checkHeader(definition, columns, options, file, kind);

  const plan = buildPlan(definition, columns, {
    defaultCurrency: options.defaultCurrency,
    defaultBillingAccountId: options.defaultBillingAccountId ?? "unknown",
  });

  const stage = `_rd_stage_${id}`;
  const offsetsTable = `_rd_lines_${id}`;
  let tempDir: string | null = null;
  try {
    let lineMap: CsvLineMap | null = null;
    if (parquet !== null) {
      try {
        await connection.run(`CREATE TABLE ${stage} AS ${plan.stageSelect(parquetSource(path, parquet), true)}`);
      } catch (error) {
        throw parquetFailure(file, error);
      }
    } else {
      // Counting line breaks (JS) overlaps with DuckDB's parse (its own threads).
      const scan = scanCsvLines(path, kind);
      scan.catch(() => undefined);
      let source: { path: string; kind: FileKind } = { path, kind };
      let width = columns.length;
      let firstError: unknown = null;
      for (;;) {
        try {
          const select = plan.stageSelect(csvSource(source.path, source.kind, width, columns.length), false);
          await connection.run(`CREATE TABLE ${stage} AS ${select}`);
          break;
        } catch (error) {
          if (tempDir === null && isMixedLineBreakError(error)) {
            // DuckDB's strict reader wants one line-break style per file: retry on a normalised copy.
            tempDir = await mkdtemp(join(tmpdir(), "refund-desk-csv-"));
            source = { path: join(tempDir, "normalised.csv"), kind: "csv" };
            await writeWithUnixLineBreaks(path, kind, source.path);
            continue;
          }
          const fields = fieldsFoundInShortRow(error, columns.length);
          if (firstError === null && fields !== null && (await scan).records >= 2) {
            // Every row may be short of the header's trailing columns (real AWS CUR files are):
            // read them as absent. Any row of another width still fails, with the first error.
            firstError = error;
            width = fields;
            continue;
          }
          throw await csvFailure(connection, firstError ?? error, source.path, source.kind, columns, file, id);
        }
      }
      tick("staged");
      lineMap = await scan;
      tick("scanned");
      if (lineMap.offsets.length > 0) {
        await connection.run(`CREATE TABLE ${offsetsTable} (idx BIGINT, off BIGINT)`);
        const appender = await connection.createAppender(offsetsTable);
        for (const { index, offset } of lineMap.offsets) {
          appender.appendBigInt(BigInt(index));
          appender.appendBigInt(BigInt(offset));
          appender.endRow();
        }
        appender.closeSync();
      }
    }

    const lineOf = (index: number) => index + 2 + offsetAt(lineMap, index);
    const invalid = await findProblems(connection, stage, plan, kind, mode, (index) => ({
      file,
      ...(kind === "parquet" ? { row: index } : { line: lineOf(index) }),
    }));
    tick("validated");
    if (mode === "fail" && invalid.length > 0) throw badFile(invalid[0] as RowProblem);

    await connection.run(CREATE_CHARGES_TABLE);
    const positioned =
      kind === "parquet"
        ? `(SELECT *, _row AS _line FROM ${stage})`
        : lineMap !== null && lineMap.offsets.length > 0
          ? `(SELECT s.*, s._idx + 2 + coalesce(o.off, 0) AS _line FROM (SELECT rowid AS _idx, * FROM ${stage}) s ASOF LEFT JOIN ${offsetsTable} o ON s._idx >= o.idx)`
          : `(SELECT *, rowid + 2 AS _line FROM ${stage})`;
    const result = await connection.run(plan.insert(positioned, file, invalid.length > 0));
    tick("inserted");
    return { format: formatName, loaded: result.rowsChanged, invalid: mode === "collect" ? invalid : [] };
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${stage}`);
    await connection.run(`DROP TABLE IF EXISTS ${offsetsTable}`);
    if (tempDir !== null) await rm(tempDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Header

async function csvColumns(path: string, kind: FileKind, file: string): Promise<string[]> {
  const header = await readCsvHeader(path, kind);
  if (!header.ok) throw badFile({ file, line: 1, expected: header.expected, found: header.found });
  const columns = header.columns;
  if (columns.length === 1 && (columns[0] ?? "").trim() === "") {
    throw badFile({ file, line: 1, expected: "a header line naming the columns", found: "an empty line" });
  }
  return columns;
}

interface ParquetColumn {
  name: string;
  type: string;
}

async function parquetColumns(connection: DuckDBConnection, path: string, file: string): Promise<ParquetColumn[]> {
  try {
    const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`);
    return reader.getRows().map((r) => ({ name: String(r[0]), type: String(r[1]) }));
  } catch (error) {
    throw parquetFailure(file, error);
  }
}

function checkHeader(
  definition: FormatDefinition,
  columns: readonly string[],
  options: LoadChargeFileOptions,
  file: string,
  kind: FileKind,
): void {
  const at = kind === "parquet" ? { row: 0 } : { line: 1 };
  const seen = new Map<string, number>();
  const seenFocus = new Map<string, number>();
  columns.forEach((name, i) => {
    if (name.includes("\uFFFD")) {
      throw badFile({ file, ...at, column: name, expected: "a UTF-8 column name", found: quoteValue(name) });
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw badFile({
        file,
        ...at,
        column: name,
        expected: "unique column names",
        found: `${quoteValue(name)} twice (columns ${first + 1} and ${i + 1})`,
      });
    }
    seen.set(name, i);
    if (definition.format === "focus") {
      // `BilledCost` and `billedcost` would both feed BilledCost.
      const key = name.trim().toLowerCase();
      const target = focusColumnOf(name);
      const other = seenFocus.get(key);
      if (target !== undefined && other !== undefined) {
        throw badFile({
          file,
          ...at,
          column: name,
          expected: "unique column names",
          found: `${quoteValue(name)} and ${quoteValue(columns[other] ?? "")} (columns ${other + 1} and ${i + 1}), both ${target}`,
        });
      }
      seenFocus.set(key, i);
    }
  });
  const missing = definition.missingColumns(columns);
  if (missing.length > 0) {
    throw badFile({
      file,
      ...at,
      column: missing[0] as string,
      expected: `a ${missing[0]} column (a ${definition.title} file needs ${missing.join(", ")})`,
      found: "no such column",
    });
  }
  const currency = definition.currencyColumn;
  if (currency !== null && options.defaultCurrency === undefined && !hasColumn(definition, columns, currency)) {
    throw badFile({
      file,
      ...at,
      column: currency,
      expected: `a ${currency} column, or the default currency option`,
      found: "neither",
    });
  }
}

function hasColumn(definition: FormatDefinition, columns: readonly string[], name: string): boolean {
  if (definition.format !== "focus") return columns.includes(name);
  return columns.some((c) => focusColumnOf(c) === name);
}

// ---------------------------------------------------------------------------------------------
// Plan: staging SELECT (parse + check), then the INSERT into charges

interface StagedField {
  index: number;
  column: string;
  spec: FieldSpec;
  outputs: string[];
}

interface Plan {
  fields: StagedField[];
  /** SQL of the staging table over a source relation yielding `c0…cN` (and `_row` when `rowNumbers`). */
  stageSelect(source: string, rowNumbers: boolean): string;
  /** SQL of the INSERT from the positioned staging relation (`_line` added). */
  insert(positioned: string, file: string, skipBad: boolean): string;
}

function buildPlan(definition: FormatDefinition, columns: readonly string[], options: FormatOptions): Plan {
  const indexOf = new Map<string, number>();
  columns.forEach((c, i) => {
    if (!indexOf.has(c)) indexOf.set(c, i);
  });
  const specs = definition.fields(columns, options);
  const fields: StagedField[] = [];
  for (const [column, spec] of Object.entries(specs)) {
    const index = indexOf.get(column);
    if (index !== undefined) fields.push({ index, column, spec, outputs: Object.keys(spec.parser.outputs) });
  }
  fields.sort((a, b) => a.index - b.index);
  const fieldByColumn = new Map(fields.map((f) => [f.column, f]));
  const rawNeeded = new Set<number>();

  const ctx: MappingContext = {
    columns,
    options,
    has: (column) => indexOf.has(column),
    raw(column) {
      const index = indexOf.get(column);
      if (index === undefined) return "NULL";
      rawNeeded.add(index);
      return `c${index}`;
    },
    value(column, output = "value") {
      const field = fieldByColumn.get(column);
      if (field === undefined) return "NULL";
      if (!field.outputs.includes(output)) throw new Error(`${column} has no parsed output ${output}`);
      return `p${field.index}_${output}`;
    },
  };

  const main = definition.map(ctx);
  const extra = definition.extraRows;
  const extraList = extra?.list(ctx);
  const extraMapping = extra?.map(ctx, "_item");
  const mainExtensions = extensionsOf(main, columns, ctx);
  const extraExtensions = extraMapping === undefined ? undefined : extensionsOf(extraMapping, columns, ctx);

  const badCondition = fields.map((f) => `e${f.index} IS NOT NULL`).join(" OR ");

  return {
    fields,
    stageSelect(source, rowNumbers) {
      const inner: string[] = [];
      const outer: string[] = [];
      if (rowNumbers) {
        inner.push("_row");
        outer.push("_row");
      }
      const typed = new Set(fields.map((f) => f.index));
      for (const i of new Set([...rawNeeded, ...typed])) inner.push(`c${i}`);
      for (const i of rawNeeded) outer.push(`c${i}`);
      for (const f of fields) {
        const raw = `c${f.index}`;
        for (const out of f.outputs) {
          const parse = f.spec.parser.outputs[out];
          if (parse === undefined) continue;
          inner.push(`${parse(raw)} AS p${f.index}_${out}`);
          outer.push(`p${f.index}_${out}`);
        }
        const failed = f.outputs.map((o) => `p${f.index}_${o} IS NULL`).join(" OR ");
        const missing = f.spec.required ? ` WHEN ${raw} IS NULL THEN ''` : "";
        outer.push(`CASE WHEN ${raw} IS NOT NULL AND (${failed}) THEN ${raw}${missing} END AS e${f.index}`);
      }
      if (outer.length === 0) outer.push("NULL AS _none");
      if (inner.length === 0) inner.push("NULL AS _none");
      return `SELECT ${outer.join(", ")} FROM (SELECT ${inner.join(", ")} FROM ${source})`;
    },
    insert(positioned, file, skipBad) {
      const where = skipBad && badCondition !== "" ? `WHERE NOT (${badCondition})` : "";
      const target = `${CHARGES_TABLE} (${[...FOCUS_COLUMNS.map((c) => c.name), "x_SourceFile", "x_SourceLine", "x_SourceRef", "x_Extensions"].map(sqlIdent).join(", ")})`;
      const source = (mapping: RowMapping, extensions: string) => [
        ...FOCUS_COLUMNS.map((c) => `${mapping.columns[c.name as FocusColumn] ?? "NULL"} AS ${sqlIdent(c.name)}`),
        `${sqlString(file)} AS x_SourceFile`,
        "_line AS x_SourceLine",
        `${sqlString(`${file}:`)} || CAST(_line AS VARCHAR) AS x_SourceRef`,
        `${extensions} AS x_Extensions`,
      ];
      const mainSelect = `SELECT ${source(main, mainExtensions).join(", ")} FROM ${positioned} ${where}`;
      if (extraMapping === undefined || extraList === undefined || extraExtensions === undefined) {
        return `INSERT INTO ${target} ${mainSelect}`;
      }
      const names = [...FOCUS_COLUMNS.map((c) => c.name), "x_SourceFile", "x_SourceLine", "x_SourceRef", "x_Extensions"]
        .map(sqlIdent)
        .join(", ");
      const extraSelect = `SELECT ${source(extraMapping, extraExtensions).join(", ")}, _sub FROM (SELECT *, unnest(${extraList}) AS _item, unnest(range(1, len(${extraList}) + 1)) AS _sub FROM ${positioned} ${where === "" ? "WHERE" : `${where} AND`} len(${extraList}) > 0)`;
      return `INSERT INTO ${target} SELECT ${names} FROM (SELECT *, 0 AS _sub FROM (${mainSelect}) UNION ALL BY NAME ${extraSelect}) ORDER BY x_SourceLine, _sub`;
    },
  };
}

/** Every column the mapping did not consume, verbatim, then the mapping's own `x_…` entries. */
function extensionsOf(mapping: RowMapping, columns: readonly string[], ctx: MappingContext): string {
  const consumed = new Set(mapping.consumed);
  const entries: Array<readonly [string, string]> = [];
  const keys = new Set<string>();
  for (const column of columns) {
    if (consumed.has(column) || keys.has(column)) continue;
    keys.add(column);
    entries.push([column, ctx.raw(column)]);
  }
  for (const [key, sql] of mapping.extensions ?? []) {
    if (!keys.has(key)) entries.push([key, sql]);
    keys.add(key);
  }
  return jsonObjectOfStrings(entries);
}

// ---------------------------------------------------------------------------------------------
// Sources

/**
 * DuckDB's strict CSV reader over `c0…c{width-1}`, all VARCHAR; header columns past `width` (absent
 * from every row) are NULL. `extra` adds read_csv options.
 */
function csvSource(path: string, kind: FileKind, width: number, total: number, extra = ""): string {
  const columns = Array.from({ length: width }, (_, i) => `'c${i}': 'VARCHAR'`).join(", ");
  const read = `read_csv(${sqlString(path)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${columns}}, nullstr = [${NULL_STRINGS.map(sqlString).join(", ")}], compression = '${kind === "csv-gzip" ? "gzip" : "none"}', strict_mode = true, max_line_size = ${MAX_LINE_BYTES}, encoding = 'utf-8'${extra})`;
  if (width >= total) return read;
  const absent = Array.from({ length: total - width }, (_, k) => `CAST(NULL AS VARCHAR) AS c${width + k}`);
  return `(SELECT *, ${absent.join(", ")} FROM ${read})`;
}

/** The field count of a row DuckDB found short of the header's, if that is the error. */
function fieldsFoundInShortRow(error: unknown, total: number): number | null {
  const match = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(messageOf(error));
  if (match === null || Number(match[1]) !== total) return null;
  const found = Number(match[2]);
  return found > 0 && found < total ? found : null;
}

function parquetSource(path: string, columns: readonly ParquetColumn[]): string {
  // Every column as text, like a CSV: the same parsers then check and type it. Nested values
  // (structs, maps, lists: e.g. Tags as a MAP) become JSON text.
  const select = columns.map(({ name, type }, i) => {
    const col = sqlIdent(name);
    if (/^(STRUCT|MAP|UNION)\b|\]$|^JSON$/.test(type)) return `CAST(to_json(${col}) AS VARCHAR) AS c${i}`;
    const text = `CAST(${col} AS VARCHAR)`;
    return `CASE WHEN ${text} IN (${NULL_STRINGS.map(sqlString).join(", ")}) THEN NULL ELSE ${text} END AS c${i}`;
  });
  return `(SELECT file_row_number AS _row, ${select.join(", ")} FROM read_parquet(${sqlString(path)}, file_row_number = true))`;
}

// ---------------------------------------------------------------------------------------------
// Validation

async function findProblems(
  connection: DuckDBConnection,
  stage: string,
  plan: Plan,
  kind: FileKind,
  mode: "fail" | "collect",
  at: (index: number) => Pick<RowProblem, "file" | "line" | "row">,
): Promise<RowProblem[]> {
  if (plan.fields.length === 0) return [];
  const index = kind === "parquet" ? "_row" : "rowid";
  const errors = plan.fields.map((f) => `e${f.index}`);
  const sql = `SELECT ${index} AS _idx, ${errors.join(", ")} FROM ${stage} WHERE ${errors.map((e) => `${e} IS NOT NULL`).join(" OR ")} ORDER BY _idx${mode === "fail" ? " LIMIT 1" : ""}`;
  const result = await connection.stream(sql);
  const problems: RowProblem[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    for (const row of chunk.getRows()) {
      const idx = Number(row[0]);
      for (let k = 0; k < plan.fields.length; k++) {
        const value = row[k + 1];
        if (value === null || value === undefined) continue;
        const field = plan.fields[k] as StagedField;
        const text = String(value);
        problems.push({
          ...at(idx),
          column: field.column,
          expected: field.spec.parser.expected,
          found: quoteValue(text === "" ? null : text),
        });
        break;
      }
    }
  }
  return problems;
}

function offsetAt(map: CsvLineMap | null, index: number): number {
  if (map === null || map.offsets.length === 0) return 0;
  let lo = 0;
  let hi = map.offsets.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const entry = map.offsets[mid] as { index: number; offset: number };
    if (entry.index <= index) {
      found = entry.offset;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// DuckDB read errors → our errors

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").slice(0, 300);
}

function isMixedLineBreakError(error: unknown): boolean {
  return /state machine reached an invalid state/i.test(messageOf(error));
}

function parquetFailure(file: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  return badFile({ file, expected: "a readable Parquet file", found: quoteValue(firstLine(messageOf(error))) }, error);
}

/**
 * A CSV DuckDB could not parse. DuckDB's message numbers lines loosely (not counting blank lines or
 * line breaks inside quotes), so the file is read again with DuckDB's reject store, which gives the
 * byte position of the first error; the line is counted from that. When that fails too, the line in
 * DuckDB's message is used, or the error says the line is unknown.
 */
async function csvFailure(
  connection: DuckDBConnection,
  error: unknown,
  path: string,
  kind: FileKind,
  columns: readonly string[],
  file: string,
  id: number,
): Promise<AppError> {
  const message = messageOf(error);
  if (!/CSV|Invalid Input|Invalid unicode|line size|Could not convert/i.test(message)) {
    return error instanceof AppError ? error : new AppError("internal", `reading ${file}: ${firstLine(message)}`, { cause: error });
  }
  const rejects = `_rd_rejects_${id}`;
  const scans = `_rd_reject_scans_${id}`;
  try {
    const source = csvSource(
      path,
      kind,
      columns.length,
      columns.length,
      `, store_rejects = true, rejects_table = ${sqlString(rejects)}, rejects_scan = ${sqlString(scans)}`,
    );
    await connection.run(`SELECT count(*) FROM ${source}`);
    const reader = await connection.runAndReadAll(
      `SELECT byte_position, line_byte_position, column_name, error_type, csv_line, error_message FROM ${rejects} ORDER BY coalesce(byte_position, line_byte_position), line LIMIT 1`,
    );
    const row = reader.getRows()[0];
    if (row !== undefined) {
      const cell = (k: number): string | null => {
        const v = row[k];
        return v === null || v === undefined ? null : String(v);
      };
      const [bytePos, lineBytePos, columnName, errorType, csvLine, errorMessage] = [0, 1, 2, 3, 4, 5].map(cell) as [
        string | null,
        string | null,
        string | null,
        string | null,
        string | null,
        string | null,
      ];
      const offset = Number(bytePos ?? lineBytePos ?? 0);
      const line = await lineAtByteOffset(path, kind, offset);
      const column = columnName !== null && /^c\d+$/.test(columnName) ? columns[Number(columnName.slice(1))] : undefined;
      const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(errorMessage ?? "");
      const base = { file, line, ...(column === undefined ? {} : { column }) };
      switch (errorType) {
        case "MISSING COLUMNS":
        case "TOO MANY COLUMNS":
          return badFile(
            {
              file,
              line,
              ...(errorType === "MISSING COLUMNS" && column !== undefined ? { column } : {}),
              expected: `${counts?.[1] ?? columns.length} fields, as in the header`,
              found: `${counts?.[2] ?? (errorType === "MISSING COLUMNS" ? "fewer" : "more")} fields`,
            },
            error,
          );
        case "UNQUOTED VALUE":
          return badFile({ ...base, expected: 'a closing quote (")', found: quoteValue(csvLine) }, error);
        case "INVALID ENCODING":
          return badFile({ ...base, expected: "UTF-8 text", found: "bytes that are not valid UTF-8" }, error);
        case "LINE SIZE OVER MAXIMUM": {
          const size = /Actual Size:\s*(\d+)/.exec(errorMessage ?? "")?.[1];
          return badFile(
            {
              file,
              line,
              expected: `a line of at most ${MAX_LINE_BYTES} bytes`,
              found: size === undefined ? "a longer line" : `a line of ${size} bytes`,
            },
            error,
          );
        }
        default:
          return badFile({ ...base, expected: "a well-formed CSV record", found: quoteValue(firstLine(errorMessage ?? "")) }, error);
      }
    }
  } catch {
    // Fall through to DuckDB's own message.
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${rejects}`).catch(() => undefined);
    await connection.run(`DROP TABLE IF EXISTS ${scans}`).catch(() => undefined);
  }
  const lineMatch = /on Line: (\d+)/i.exec(message) ?? /\bLine: (\d+)/.exec(message);
  const reason = firstLine(message.replace(/^[^\n]*\n(Original Line:[^\n]*\n)?/, "")) || firstLine(message);
  if (lineMatch?.[1] !== undefined) {
    return badFile(
      { file, line: Number(lineMatch[1]), expected: "a well-formed CSV record", found: quoteValue(reason) },
      error,
    );
  }
  return badFile(
    { file, expected: "a well-formed CSV file", found: `${quoteValue(firstLine(message))} (line unknown)` },
    error,
  );
}
