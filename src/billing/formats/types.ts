import type { BillFormat } from "../charge.js";
import type { FocusColumn } from "../charges-table.js";
import type { ValueParser } from "../values.js";

/** How one source column is checked and typed. */
export interface FieldSpec {
  parser: ValueParser;
  /** A row without a value here is bad. */
  required?: boolean;
}

export interface FormatOptions {
  /** Used when the file has no currency column (or, for a row, no value in it). */
  defaultCurrency: string | undefined;
  /** Used when the file has no billing-account column (or, for a row, no value in it). */
  defaultBillingAccountId: string;
}

/**
 * What a format's mapping reads: SQL expressions over one staging row. Every accessor returns the
 * SQL `NULL` for a column the file does not have, so a mapping can name optional columns freely.
 */
export interface MappingContext {
  readonly columns: readonly string[];
  readonly options: FormatOptions;
  has(column: string): boolean;
  /** The column's text (NULL-normalised: `NULL`, `null`, `(null)` and empty are NULL). */
  raw(column: string): string;
  /** An output of the column's parser (see `fields`). */
  value(column: string, output?: string): string;
}

/** One charges row, as SQL: FOCUS column → expression (absent: NULL), and the extensions. */
export interface RowMapping {
  columns: Partial<Record<FocusColumn, string>>;
  /** Source columns mapped onto FOCUS columns: left out of `x_Extensions`. Others are kept verbatim. */
  consumed: readonly string[];
  /** Extra `x_…` extensions (key → SQL VARCHAR expression), after the verbatim ones. */
  extensions?: ReadonlyArray<readonly [string, string]>;
}

/**
 * Additional rows emitted per source row (GCP credits): `list` is a SQL list expression over the
 * staging row; `map` maps one element (`item`, a SQL expression) to a row. They keep the source
 * row's line and follow it.
 */
export interface ExtraRows {
  list(ctx: MappingContext): string;
  map(ctx: MappingContext, item: string): RowMapping;
}

export interface FormatDefinition {
  format: BillFormat;
  /** A human name for messages. */
  title: string;
  /** All of these columns present (exact names) → this format. */
  signature: readonly string[];
  /** Required columns the file lacks (by their documented names); empty when all are there. */
  missingColumns(columns: readonly string[]): readonly string[];
  /** Column holding the currency, if the format has one; when absent `defaultCurrency` is needed. */
  currencyColumn: string | null;
  /** Parsers of the typed source columns present in the file (by exact header name). */
  fields(columns: readonly string[], options: FormatOptions): Readonly<Record<string, FieldSpec>>;
  map(ctx: MappingContext): RowMapping;
  extraRows?: ExtraRows;
}
