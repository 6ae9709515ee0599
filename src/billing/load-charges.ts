import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { AppError } from "../shared/errors.js";
import type { Analytics } from "./analytics.js";
import { badFile, quoteValue } from "./bad-file.js";
import type { BillFormat, RowProblem } from "./charge.js";
import {
  CHARGES_TABLE,
  CREATE_CHARGES_TABLE,
  FOCUS_COLUMNS,
  type FocusColumn,
  INSERTED_COLUMNS,
} from "./charges-table.js";
import { type CsvLineMap, recordLineAt, scanCsvLines, writeWithUnixLineBreaks } from "./csv-lines.js";
import { detectBillFormat } from "./detect-format.js";
import { focusColumnOf } from "./formats/focus.js";
import { FORMAT_DEFINITIONS, type FormatDefinition, formatDefinition } from "./formats/index.js";
import type { FieldSpec, FormatOptions, MappingContext, RowMapping } from "./formats/types.js";
import { type FileKind, readCsvHeader, sniffFileKind } from "./source-file.js";
import { jsonObjectOfStrings, sqlIdent, sqlString } from "./sql.js";
import { decimalTextSql, timestampTextSql } from "./text-sql.js";

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

/** Where DuckDB reads the rows from, once the file has been looked at. */
type Source =
  | { kind: "parquet"; path: string; columns: readonly ParquetColumn[] }
  | { kind: "csv" | "csv-gzip"; path: string; width: number };

/** A bill file whose header has been read and checked, and the plan to read its rows. */
export interface PreparedChargeFile {
  /** The name errors and source references use. */
  file: string;
  mode: "fail" | "collect";
  /** Absolute path of the bytes. */
  path: string;
  kind: FileKind;
  /** Parquet schema (null for a CSV). */
  parquet: readonly ParquetColumn[] | null;
  columns: readonly string[];
  formatName: BillFormat;
  plan: Plan;
  /** Unique per load: names scratch tables. */
  id: number;
}

/** Everything before the rows: the options, the file, its header and format, the plan. */
export async function prepareChargeFile(
  analytics: Analytics,
  options: LoadChargeFileOptions,
): Promise<PreparedChargeFile> {
  const file = options.displayName ?? options.path;
  const mode = options.onInvalid ?? "fail";
  if (file.includes("\u0000")) {
    throw new AppError("validation_failed", "the file's display name must not contain NUL characters");
  }
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
    throw badFile(
      { file, expected: "a readable file", found: code === "ENOENT" ? "no such file" : code },
      error,
    );
  }

  const id = ++loadCounter;
  const connection = analytics.connection;
  const kind = await sniffFileKind(path);
  const parquet = kind === "parquet" ? await parquetColumns(connection, path, file) : null;
  const columns =
    kind === "parquet" ? (parquet ?? []).map((c) => c.name) : await csvColumns(path, kind, file);
  // Header problems: line 1 of a CSV; a Parquet schema has no row.
  const headerAt: { line: number } | Record<string, never> = parquet === null ? { line: 1 } : {};

  const formatName = options.format ?? detectBillFormat(columns);
  if (formatName === null) {
    throw badFile({
      file,
      ...headerAt,
      expected: `the columns of a FOCUS export or of a native bill (${FORMAT_DEFINITIONS.filter(
        (d) => d.format !== "focus",
      )
        .map((d) => d.title)
        .join(", ")})`,
      found: quoteValue(columns.slice(0, 8).join(",")),
    });
  }
  const definition = formatDefinition(formatName);
  checkHeader(definition, columns, options, file, headerAt);

  const plan = buildPlan(definition, columns, {
    defaultCurrency: options.defaultCurrency,
    defaultBillingAccountId: options.defaultBillingAccountId ?? "unknown",
  });

  return { file, mode, path, kind, parquet, columns, formatName, plan, id };
}

/**
 * Reads one bill file into the DuckDB `charges` table (created when missing), appending to what is
 * there. Parsing, validation and normalisation run in DuckDB: one INSERT … SELECT over the file that
 * types and checks every value as it goes (vectorised SQL); JavaScript reads only the header line and
 * counts line breaks for exact line numbers. The append is one transaction (this function opens it:
 * do not call it inside one), so a file that fails loads nothing. A bad file costs a second pass, to
 * find and describe its bad rows.
 */
export async function loadChargeFile(
  analytics: Analytics,
  options: LoadChargeFileOptions,
): Promise<LoadChargeFileResult> {
  const { file, mode, path, kind, parquet, columns, formatName, plan, id } = await prepareChargeFile(
    analytics,
    options,
  );
  const connection = analytics.connection;

  const offsetsTable = `_rd_line_offsets_${id}`;
  // x_SourceLine of the rows being inserted, until they are numbered: good rows, bad rows.
  const marker = -2 * id;
  const badMarker = -2 * id - 1;
  const lineOnInsert = (line: string) =>
    plan.badCondition === "" ? line : `CASE WHEN ${plan.badCondition} THEN ${badMarker} ELSE ${line} END`;
  let tempDir: string | null = null;
  let open = false;
  const begin = async () => {
    await connection.run("BEGIN TRANSACTION");
    open = true;
  };
  const rollback = async () => {
    if (open) await connection.run("ROLLBACK").catch(() => undefined);
    open = false;
  };
  try {
    await connection.run(CREATE_CHARGES_TABLE);
    // One pass over the file: the INSERT checks every value as it goes (bad rows get `badMarker`),
    // inside a transaction that is rolled back if the file turns out bad.
    let source: Source;
    let lineMap: CsvLineMap | null = null;
    let loaded: number;
    if (kind === "parquet") {
      source = { kind: "parquet", path, columns: parquet ?? [] };
      await begin();
      try {
        loaded = await runCount(
          connection,
          plan.insertMain(relation(plan, source), file, lineOnInsert("_row")),
        );
      } catch (error) {
        await rollback();
        throw parquetFailure(file, error);
      }
    } else {
      // Counting line breaks (JS) overlaps with DuckDB's parse (its own threads).
      const scan = scanCsvLines(path, kind);
      scan.catch(() => undefined);
      let csv: Source & { kind: "csv" | "csv-gzip" } = { kind, path, width: columns.length };
      let firstError: unknown = null;
      for (;;) {
        await begin();
        try {
          loaded = await runCount(
            connection,
            plan.insertMain(relation(plan, csv), file, lineOnInsert(String(marker))),
          );
          break;
        } catch (error) {
          await rollback();
          if (tempDir === null && (isMixedLineBreakError(error) || (await scan).mixedLineBreaks)) {
            // DuckDB's strict reader wants one line-break style per file: retry on a normalised copy.
            tempDir = await mkdtemp(join(tmpdir(), "refund-desk-csv-"));
            csv = { kind: "csv", path: join(tempDir, "normalised.csv"), width: csv.width };
            await writeWithUnixLineBreaks(path, kind, csv.path);
            continue;
          }
          const fields = fieldsFoundInShortRow(error, columns.length);
          if (firstError === null && fields !== null && (await scan).records >= 2) {
            // Every row may lack the header's trailing columns (real AWS CUR files do): read those
            // as absent. A row of any other width still fails, reported as the first error was.
            firstError = error;
            csv = { ...csv, width: fields };
            continue;
          }
          throw await csvFailure(connection, firstError ?? error, csv.path, csv.kind, columns, file, id);
        }
      }
      source = csv;
      lineMap = await scan;
      if (lineMap.offsets.length > 0) await writeOffsets(connection, offsetsTable, lineMap);
    }

    const badRows = await countRows(connection, `x_SourceLine = ${badMarker}`);
    let invalid: RowProblem[] = [];
    if (badRows > 0) {
      if (mode === "fail") await rollback();
      invalid = await findProblems(connection, plan, source, mode, (index) => ({
        file,
        ...(source.kind === "parquet" ? { row: index } : { line: index + 2 + offsetAt(lineMap, index) }),
      }));
      if (mode === "fail") throw badFile(invalid[0] as RowProblem);
    }
    const hasOffsets = lineMap !== null && lineMap.offsets.length > 0;
    if (source.kind !== "parquet") {
      // Rows keep file order, so their row ids are consecutive: line = row id − first row id + 2,
      // plus the offset of quoted line breaks and blank lines before the row.
      await numberLines(connection, marker, badMarker, hasOffsets ? offsetsTable : null);
    }
    if (badRows > 0) {
      await connection.run(`DELETE FROM ${CHARGES_TABLE} WHERE x_SourceLine = ${badMarker}`);
      loaded -= badRows;
    }
    if (plan.hasExtraRows) {
      const rel = positioned(plan, source, hasOffsets ? offsetsTable : null);
      try {
        loaded += await runCount(connection, plan.insertExtra(rel, file, badRows > 0));
      } catch (error) {
        await rollback();
        throw source.kind === "parquet" ? parquetFailure(file, error) : error;
      }
    }
    await connection.run("COMMIT");
    open = false;
    return { format: formatName, loaded, invalid: mode === "collect" ? invalid : [] };
  } finally {
    await rollback();
    await connection.run(`DROP TABLE IF EXISTS ${offsetsTable}`);
    if (tempDir !== null) await rm(tempDir, { recursive: true, force: true });
  }
}

async function countRows(connection: DuckDBConnection, where: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM ${CHARGES_TABLE} WHERE ${where}`);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

async function runCount(connection: DuckDBConnection, sql: string): Promise<number> {
  const result = await connection.run(sql);
  return result.rowsChanged;
}

async function writeOffsets(connection: DuckDBConnection, table: string, map: CsvLineMap): Promise<void> {
  await connection.run(`CREATE TABLE ${table} (idx BIGINT, off BIGINT)`);
  const appender = await connection.createAppender(table);
  if ((map.offsets[0]?.index ?? 0) > 0) {
    // Rows before the first change have offset 0: every row then finds its entry (ASOF JOIN).
    appender.appendBigInt(0n);
    appender.appendBigInt(0n);
    appender.endRow();
  }
  for (const { index, offset } of map.offsets) {
    appender.appendBigInt(BigInt(index));
    appender.appendBigInt(BigInt(offset));
    appender.endRow();
  }
  appender.closeSync();
}

/**
 * Numbers the rows just inserted (`x_SourceLine` = `marker`; bad ones, deleted next, `badMarker`):
 * their row ids are consecutive and in file order, so line = row id − first row id + 2, plus the
 * offset of quoted line breaks and blank lines before the row.
 */
async function numberLines(
  connection: DuckDBConnection,
  marker: number,
  badMarker: number,
  offsetsTable: string | null,
): Promise<void> {
  const first = `(SELECT min(rowid) FROM ${CHARGES_TABLE} WHERE x_SourceLine IN (${marker}, ${badMarker}))`;
  if (offsetsTable === null) {
    await connection.run(
      `UPDATE ${CHARGES_TABLE} SET x_SourceLine = rowid - ${first} + 2 WHERE x_SourceLine = ${marker}`,
    );
    return;
  }
  await connection.run(
    `UPDATE ${CHARGES_TABLE} SET x_SourceLine = c._idx + 2 + o.off FROM (SELECT rowid AS _rid, rowid - ${first} AS _idx FROM ${CHARGES_TABLE} WHERE x_SourceLine = ${marker}) c ASOF JOIN ${offsetsTable} o ON c._idx >= o.idx WHERE ${CHARGES_TABLE}.rowid = c._rid`,
  );
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

export interface ParquetColumn {
  name: string;
  type: string;
}

async function parquetColumns(
  connection: DuckDBConnection,
  path: string,
  file: string,
): Promise<ParquetColumn[]> {
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
  at: { line: number } | Record<string, never>,
): void {
  const seen = new Map<string, number>();
  const seenFocus = new Map<string, number>();
  columns.forEach((name, i) => {
    if (name.includes("\u0000")) {
      throw badFile({
        file,
        ...at,
        expected: "column names without NUL characters",
        found: quoteValue(name),
      });
    }
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
  if (
    currency !== null &&
    options.defaultCurrency === undefined &&
    !hasColumn(definition, columns, currency)
  ) {
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
// Plan: the parsed relation (values typed and checked), then the rows of charges

export interface StagedField {
  index: number;
  column: string;
  spec: FieldSpec;
  outputs: string[];
}

export interface Plan {
  fields: StagedField[];
  /** Columns in the header. */
  columnCount: number;
  /** SQL: true for a row with a bad value; "" when the format types no column. */
  badCondition: string;
  /**
   * A relation over `source` (which yields `c0…cN`, and `_row` when `rowNumbers`) with the raw
   * columns the mapping reads, the parsed values `p{i}_{output}` and per typed column `e{i}`: the bad
   * text (`''` for a missing required value), NULL when the value is good.
   */
  parsed(source: string, rowNumbers: boolean): string;
  /** INSERT of the main rows (all of them) from a relation over `parsed` (`line`: SQL of x_SourceLine). */
  insertMain(relation: string, file: string, line: string): string;
  hasExtraRows: boolean;
  /** INSERT of the extra rows (GCP credits) from a positioned relation (`_line`). */
  insertExtra(relation: string, file: string, skipBad: boolean): string;
  /**
   * SELECT of every row as the store keeps it, in file order (a source row, then its extra rows):
   * `_text` a JSON array of the FOCUS columns as text (`Charge` conventions) then `x_Extensions`;
   * `_errors` NULL for a good row, else a JSON array of the `e{i}` (one per field, in `fields`
   * order); `_src` the Parquet row (NULL for a CSV); `_k` 1 for a source row, 2… for its extra rows.
   * Extra rows of a bad row are left out.
   */
  streamSelect(source: string, rowNumbers: boolean): string;
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
  /** Raw columns the stream reads besides the mapping's: canonical texts passed through. */
  const streamRaw = new Set<number>();

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
  const mainExtensions = extensionsOf(main, columns, ctx);
  const extra = definition.extraRows;
  const extraList = extra?.list(ctx) ?? "NULL";
  const extraMapping = extra?.map(ctx, "_item");
  const extraExtensions = extraMapping === undefined ? "NULL" : extensionsOf(extraMapping, columns, ctx);
  const badCondition = fields.map((f) => `e${f.index} IS NOT NULL`).join(" OR ");
  const target = `${CHARGES_TABLE} (${INSERTED_COLUMNS.map(sqlIdent).join(", ")})`;
  const selectList = (mapping: RowMapping, file: string, line: string, extensions: string) =>
    [
      ...FOCUS_COLUMNS.map((c) => `CAST(${mapping.columns[c.name as FocusColumn] ?? "NULL"} AS ${c.type})`),
      sqlString(file),
      line,
      extensions,
    ].join(",\n  ");

  /** A FOCUS column as text: passed through when the source text is canonical, else formatted. */
  const textOf = (mapping: RowMapping, column: (typeof FOCUS_COLUMNS)[number]): string => {
    const expr = mapping.columns[column.name as FocusColumn] ?? "NULL";
    const typed = `CAST(${expr} AS ${column.type})`;
    if (column.type === "VARCHAR") return typed;
    const formatted = column.type === "TIMESTAMP" ? timestampTextSql(typed) : decimalTextSql(typed);
    const direct = /^p(\d+)_value$/.exec(expr);
    const field = direct ? fields.find((f) => f.index === Number(direct[1])) : undefined;
    const canonical = field?.spec.parser.canonical;
    if (field === undefined || canonical === undefined) return formatted;
    streamRaw.add(field.index);
    return `CASE WHEN regexp_full_match(c${field.index}, ${sqlString(canonical)}) THEN c${field.index} ELSE ${formatted} END`;
  };
  const textJson = (mapping: RowMapping, extensions: string) =>
    `CAST(to_json(list_value(${[...FOCUS_COLUMNS.map((c) => textOf(mapping, c)), extensions].join(", ")})) AS VARCHAR)`;

  const parsed = (source: string, rowNumbers: boolean): string => {
    const inner: string[] = rowNumbers ? ["_row"] : [];
    const outer: string[] = rowNumbers ? ["_row"] : [];
    const typed = new Set(fields.map((f) => f.index));
    const raw = new Set([...rawNeeded, ...streamRaw]);
    for (const i of new Set([...raw, ...typed])) inner.push(`c${i}`);
    for (const i of raw) outer.push(`c${i}`);
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
    if (inner.length === 0) inner.push("NULL AS _none");
    if (outer.length === 0) outer.push("NULL AS _none");
    return `(SELECT ${outer.join(", ")} FROM (SELECT ${inner.join(", ")} FROM ${source}))`;
  };

  return {
    fields,
    columnCount: columns.length,
    badCondition,
    parsed,
    insertMain(relation, file, line) {
      return `INSERT INTO ${target}\nSELECT\n  ${selectList(main, file, line, mainExtensions)}\nFROM ${relation}`;
    },
    hasExtraRows: extraMapping !== undefined,
    insertExtra(relation, file, skipBad) {
      if (extraMapping === undefined) throw new Error("this format has no extra rows");
      const good = skipBad && badCondition !== "" ? `NOT (${badCondition}) AND ` : "";
      return `INSERT INTO ${target}\nSELECT\n  ${selectList(extraMapping, file, "_line", extraExtensions)}\nFROM (SELECT *, unnest(${extraList}) AS _item FROM ${relation} WHERE ${good}len(${extraList}) > 0)`;
    },
    streamSelect(source, rowNumbers) {
      // Built first: they name the raw columns `parsed` must carry.
      const mainText = textJson(main, mainExtensions);
      const extraText = extraMapping === undefined ? "NULL" : textJson(extraMapping, extraExtensions);
      const relation = parsed(source, rowNumbers);
      const errors =
        fields.length === 0
          ? "CAST(NULL AS VARCHAR)"
          : `CASE WHEN ${badCondition} THEN CAST(to_json(list_value(${fields.map((f) => `e${f.index}`).join(", ")})) AS VARCHAR) END`;
      const src = rowNumbers ? "_row" : "CAST(NULL AS BIGINT)";
      if (extraMapping === undefined) {
        return `SELECT ${mainText} AS _text, ${errors} AS _errors, ${src} AS _src, 1 AS _k FROM ${relation}`;
      }
      // A source row's extra rows follow it: unnest [NULL, item…], where the NULL stands for the row itself.
      const items = `list_concat([NULL], ${badCondition === "" ? extraList : `CASE WHEN ${badCondition} THEN NULL ELSE ${extraList} END`})`;
      const expanded = `(SELECT *, unnest(_items) AS _item, generate_subscripts(_items, 1) AS _k FROM (SELECT *, ${items} AS _items FROM ${relation}))`;
      return `SELECT CASE WHEN _k = 1 THEN ${mainText} ELSE ${extraText} END AS _text, CASE WHEN _k = 1 THEN ${errors} END AS _errors, ${src} AS _src, CAST(_k AS INTEGER) AS _k FROM ${expanded}`;
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

/** The parsed relation of a source, without row numbers. */
function relation(plan: Plan, source: Source): string {
  if (source.kind === "parquet") return plan.parsed(parquetSource(source.path, source.columns), true);
  return plan.parsed(csvSource(source.path, source.kind, source.width, plan.columnCount), false);
}

/**
 * The parsed relation with `_idx` (0-based data row) and `_line` (CSV line or Parquet row). CSV rows
 * are numbered with `row_number() OVER ()`, which follows file order (insertion order is preserved).
 */
function positioned(plan: Plan, source: Source, offsetsTable: string | null): string {
  const parsed = relation(plan, source);
  if (source.kind === "parquet") return `(SELECT *, _row AS _idx, _row AS _line FROM ${parsed})`;
  const numbered = `(SELECT row_number() OVER () - 1 AS _idx, * FROM ${parsed})`;
  if (offsetsTable === null) return `(SELECT *, _idx + 2 AS _line FROM ${numbered})`;
  return `(SELECT s.*, s._idx + 2 + o.off AS _line FROM ${numbered} s ASOF JOIN ${offsetsTable} o ON s._idx >= o.idx)`;
}

// ---------------------------------------------------------------------------------------------
// Sources

/**
 * DuckDB's strict CSV reader over `c0…c{width-1}`, all VARCHAR; header columns past `width` (absent
 * from every row) are NULL. `extra` adds read_csv options.
 */
export function csvSource(path: string, kind: FileKind, width: number, total: number, extra = ""): string {
  const columns = Array.from({ length: width }, (_, i) => `'c${i}': 'VARCHAR'`).join(", ");
  const read = `read_csv(${sqlString(path)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${columns}}, nullstr = [${NULL_STRINGS.map(sqlString).join(", ")}], compression = '${kind === "csv-gzip" ? "gzip" : "none"}', strict_mode = true, max_line_size = ${MAX_LINE_BYTES}, encoding = 'utf-8'${extra})`;
  if (width >= total) return read;
  const absent = Array.from({ length: total - width }, (_, k) => `CAST(NULL AS VARCHAR) AS c${width + k}`);
  return `(SELECT *, ${absent.join(", ")} FROM ${read})`;
}

/** The field count of a row DuckDB found short of the header's, if that is the error. */
export function fieldsFoundInShortRow(error: unknown, total: number): number | null {
  const match = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(messageOf(error));
  if (match === null || Number(match[1]) !== total) return null;
  const found = Number(match[2]);
  return found > 0 && found < total ? found : null;
}

export function parquetSource(path: string, columns: readonly ParquetColumn[]): string {
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

/** The bad rows in file order (only the first in `fail` mode), one problem each: its leftmost bad column. */
async function findProblems(
  connection: DuckDBConnection,
  plan: Plan,
  source: Source,
  mode: "fail" | "collect",
  at: (index: number) => Pick<RowProblem, "file" | "line" | "row">,
): Promise<RowProblem[]> {
  const errors = plan.fields.map((f) => `e${f.index}`);
  const parsed = relation(plan, source);
  const numbered =
    source.kind === "parquet"
      ? `(SELECT _row AS _idx, * FROM ${parsed})`
      : `(SELECT row_number() OVER () - 1 AS _idx, * FROM ${parsed})`;
  const sql = `SELECT _idx, ${errors.join(", ")} FROM ${numbered} WHERE ${plan.badCondition} ORDER BY _idx${mode === "fail" ? " LIMIT 1" : ""}`;
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

export function isMixedLineBreakError(error: unknown): boolean {
  return /state machine reached an invalid state/i.test(messageOf(error));
}

export function parquetFailure(file: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = messageOf(error);
  if (!/Parquet|IO Error|Invalid Input|Invalid Error|magic|footer|Conversion/i.test(message)) {
    return new AppError("internal", `reading ${file}: ${firstLine(message)}`, { cause: error });
  }
  return badFile({ file, expected: "a readable Parquet file", found: quoteValue(firstLine(message)) }, error);
}

/**
 * A CSV DuckDB could not parse. DuckDB's message numbers lines loosely (not counting blank lines or
 * line breaks inside quotes), so the file is read again with DuckDB's reject store, which gives the
 * byte position of the first error; the line is counted from that. When that fails too, the line in
 * DuckDB's message is used, or the error says the line is unknown.
 */
export async function csvFailure(
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
    return error instanceof AppError
      ? error
      : new AppError("internal", `reading ${file}: ${firstLine(message)}`, { cause: error });
  }
  const rejects = `_rd_rejects_${id}`;
  const scans = `_rd_reject_scans_${id}`;
  const scratch = `_rd_reject_rows_${id}`;
  try {
    const source = csvSource(
      path,
      kind,
      columns.length,
      columns.length,
      `, store_rejects = true, rejects_table = ${sqlString(rejects)}, rejects_scan = ${sqlString(scans)}`,
    );
    // Every column must be read (a bare count(*) skips unreferenced columns, and with rejects on it
    // trips an internal DuckDB assertion): copy the rows into a throwaway table.
    await connection.run(`CREATE TEMP TABLE ${scratch} AS SELECT * FROM ${source}`);
    const reader = await connection.runAndReadAll(
      `SELECT byte_position, line_byte_position, column_name, error_type, csv_line, error_message FROM ${rejects} ORDER BY coalesce(byte_position, line_byte_position), line LIMIT 1`,
    );
    const row = reader.getRows()[0];
    if (row !== undefined) {
      const cell = (k: number): string | null => {
        const v = row[k];
        return v === null || v === undefined ? null : String(v);
      };
      const [bytePos, lineBytePos, columnName, errorType, csvLine, errorMessage] = [0, 1, 2, 3, 4, 5].map(
        cell,
      ) as [string | null, string | null, string | null, string | null, string | null, string | null];
      const line = await recordLineAt(path, kind, Number(lineBytePos ?? bytePos ?? 0));
      const column =
        columnName !== null && /^c\d+$/.test(columnName) ? columns[Number(columnName.slice(1))] : undefined;
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
        case "UNQUOTED VALUE": {
          // From the quote that never closes (byte positions: DuckDB counts bytes, not characters).
          const from = Number(bytePos ?? lineBytePos ?? 0) - Number(lineBytePos ?? 0);
          const value = Buffer.from(csvLine ?? "")
            .subarray(Math.max(0, from))
            .toString();
          return badFile({ ...base, expected: 'a closing quote (")', found: quoteValue(value) }, error);
        }
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
          return badFile(
            {
              ...base,
              expected: "a well-formed CSV record",
              found: quoteValue(firstLine(errorMessage ?? "")),
            },
            error,
          );
      }
    }
  } catch {
    // Fall through to DuckDB's own message.
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${scratch}`).catch(() => undefined);
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
