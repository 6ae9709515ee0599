import { sqlString } from "./sql.js";

/**
 * How one source column's text becomes a typed value, in SQL. Every output is NULL when the text
 * is not valid, which is how the importer finds bad values (`raw IS NOT NULL AND output IS NULL`).
 * Parsers are vectorised SQL expressions, evaluated by DuckDB over the whole staging table.
 */
export interface ValueParser {
  /** What a valid value looks like, for error messages ("expected …"). */
  expected: string;
  /** Output name → SQL expression over `raw` (a VARCHAR SQL expression, never NULL when evaluated). */
  outputs: Readonly<Record<string, (raw: string) => string>>;
  /**
   * A regular expression (SQL text) matching the source texts that already are the `value` output's
   * canonical text (`values-text.ts`): the importer passes such a text through instead of formatting
   * the parsed value again. Most texts in real bills are canonical, and formatting costs.
   */
  canonical?: string;
}

/** Amounts, prices and quantities: exact, 18 decimal places (more are rounded half up by DuckDB). */
export const DECIMAL_TYPE = "DECIMAL(38,18)";

const DECIMAL_PATTERN = String.raw`\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*`;

/** `[T or space]HH:MM[:SS[.fraction]][Z|±HH[:MM]]`, only after a date. */
const TIMESTAMP_PATTERN = String.raw`\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?`;
const HAS_OFFSET_PATTERN = String.raw`[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$`;

/** At most 9 integer and 9 decimal digits: fits DECIMAL(18,9) exactly. */
const SHORT_DECIMAL_PATTERN = String.raw`\s*[+-]?\d{1,9}(\.\d{0,9})?\s*`;

/**
 * Decimal text as `scaledToText` writes it: no sign on zero, no leading or trailing zeros, at most 20
 * integer and 18 decimal places (so DECIMAL(38,18) holds it exactly).
 */
const CANONICAL_DECIMAL_PATTERN = String.raw`0|-?(0\.[0-9]{0,17}[1-9]|[1-9][0-9]{0,19}(\.[0-9]{0,17}[1-9])?)`;

export const decimalParser: ValueParser = {
  expected: "a decimal number",
  canonical: CANONICAL_DECIMAL_PATTERN,
  outputs: {
    // DuckDB parses text into a 128-bit DECIMAL some 30 times slower than into a 64-bit one, so the
    // common short values go through DECIMAL(18,9) (exact for them), the rest through the slow cast.
    // The patterns keep out what DuckDB's cast would also take (`1_000`, `Infinity`).
    value: (raw) =>
      `CASE WHEN regexp_full_match(${raw}, ${sqlString(SHORT_DECIMAL_PATTERN)}) THEN CAST(CAST(${raw} AS DECIMAL(18,9)) AS ${DECIMAL_TYPE}) ` +
      `WHEN regexp_full_match(${raw}, ${sqlString(DECIMAL_PATTERN)}) THEN TRY_CAST(${raw} AS ${DECIMAL_TYPE}) END`,
  },
};

/** SQL: ISO 8601 text (already checked against the pattern) as a UTC TIMESTAMP. */
function isoToUtc(text: string, defaultOffset: string | null): string {
  if (defaultOffset === null) {
    // Text without an offset is read in the session time zone, which openAnalytics sets to UTC.
    return `timezone('UTC', TRY_CAST(${text} AS TIMESTAMPTZ))`;
  }
  const withTime = `CASE WHEN length(${text}) = 10 THEN ${text} || 'T00:00:00' ELSE ${text} END`;
  const withOffset = `CASE WHEN regexp_matches(${text}, ${sqlString(HAS_OFFSET_PATTERN)}) THEN ${text} ELSE (${withTime}) || ${sqlString(defaultOffset)} END`;
  return `timezone('UTC', TRY_CAST(${withOffset} AS TIMESTAMPTZ))`;
}

/**
 * ISO 8601 date-times: `2025-05-01T00:00:00Z`, `…+02:00`, `… 00:00:00` (space), fractions of a
 * second, or a bare date (midnight). Without an offset the time is UTC, or `defaultOffset` when
 * given (Alibaba bills are in UTC+8). Impossible dates (`2026-02-30`) are not valid.
 */
export function timestampParser(defaultOffset: string | null = null): ValueParser {
  return {
    expected: "a date-time such as 2025-05-01T00:00:00Z",
    // Whole seconds in UTC, as `formatEpochMillis` writes them.
    canonical: String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z`,
    outputs: {
      value: (raw) =>
        `CASE WHEN regexp_full_match(${raw}, ${sqlString(TIMESTAMP_PATTERN)}) THEN ${isoToUtc(raw, defaultOffset)} END`,
    },
  };
}

export const utcTimestampParser = timestampParser();

/** `MM/DD/YYYY` (Azure EA exports; `YYYY-MM-DD` is taken too), as a TIMESTAMP at midnight UTC. */
export const usDateParser: ValueParser = {
  expected: "a date in MM/DD/YYYY form",
  outputs: {
    value: (raw) =>
      `CASE WHEN regexp_full_match(${raw}, ${sqlString(String.raw`\d{1,2}/\d{1,2}/\d{4}`)}) THEN try_strptime(${raw}, '%m/%d/%Y') ` +
      `WHEN regexp_full_match(${raw}, ${sqlString(String.raw`\d{4}-\d{2}-\d{2}`)}) THEN try_strptime(${raw}, '%Y-%m-%d') END`,
  },
};

/** A billing month (`2025-05` or `202505`), as the TIMESTAMP of its first day. */
export function monthParser(form: "YYYY-MM" | "YYYYMM"): ValueParser {
  const pattern = form === "YYYY-MM" ? String.raw`\d{4}-\d{2}` : String.raw`\d{6}`;
  const format = form === "YYYY-MM" ? "%Y-%m-%d" : "%Y%m%d";
  const day = form === "YYYY-MM" ? "-01" : "01";
  return {
    expected: `a month in ${form} form`,
    outputs: {
      value: (raw) =>
        `CASE WHEN regexp_full_match(${raw}, ${sqlString(pattern)}) THEN try_strptime(${raw} || '${day}', '${format}') END`,
    },
  };
}

/** Case, spaces, `-` and `_` do not matter: `Usage-based`, `usage_based`, `UsageBased` are one value. */
export function enumKey(text: string): string {
  return text.toLowerCase().replace(/[\s_-]/g, "");
}

/**
 * A closed set of values, matched on `enumKey`, each mapped to its canonical spelling. `spellings`
 * maps a canonical value (or any accepted spelling) to the output.
 */
export function enumParser(spellings: Readonly<Record<string, string>>, expected?: string): ValueParser {
  const whens = Object.entries(spellings)
    .map(([spelling, output]) => `WHEN ${sqlString(enumKey(spelling))} THEN ${sqlString(output)}`)
    .join(" ");
  const canonical = [...new Set(Object.values(spellings))];
  return {
    expected: expected ?? `one of ${canonical.join(", ")}`,
    outputs: {
      value: (raw) =>
        `CASE lower(replace(replace(replace(trim(${raw}), '-', ''), '_', ''), ' ', '')) ${whens} END`,
    },
  };
}

/** Identity map for `enumParser`. */
export function enumOf(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((v) => [v, v]));
}

export const currencyParser: ValueParser = {
  expected: "a three-letter currency code in capitals such as USD",
  outputs: {
    value: (raw) => `CASE WHEN regexp_full_match(${raw}, '[A-Z]{3}') THEN ${raw} END`,
  },
};

/** FOCUS `Tags`: a JSON object, kept as its text. */
export const jsonObjectParser: ValueParser = {
  expected: "a JSON object",
  outputs: {
    value: (raw) => `CASE WHEN json_valid(${raw}) AND json_type(${raw}) = 'OBJECT' THEN ${raw} END`,
  },
};

/** AWS `identity/TimeInterval`: `START/END`, two ISO 8601 date-times. */
export const intervalParser: ValueParser = {
  expected: "an interval such as 2018-06-18T01:00:00Z/2018-06-18T02:00:00Z",
  outputs: {
    start: (raw) => {
      const part = `split_part(${raw}, '/', 1)`;
      return `CASE WHEN regexp_full_match(${raw}, '[^/]+/[^/]+') AND regexp_full_match(${part}, ${sqlString(TIMESTAMP_PATTERN)}) THEN ${isoToUtc(part, null)} END`;
    },
    end: (raw) => {
      const part = `split_part(${raw}, '/', 2)`;
      return `CASE WHEN regexp_full_match(${raw}, '[^/]+/[^/]+') AND regexp_full_match(${part}, ${sqlString(TIMESTAMP_PATTERN)}) THEN ${isoToUtc(part, null)} END`;
    },
  },
};

/**
 * A quoted string of a Python `repr` (or JSON) dict, `'…'` or `"…"`, or None/null; SQL for its
 * text (NULL for None). Only `\'`, `\"` and `\\` escapes are undone.
 */
export function pythonStringToken(token: string): string {
  const inner = `(${token})[2:-2]`;
  return `CASE WHEN (${token}) IS NULL OR (${token}) IN ('None', 'null') THEN NULL ELSE replace(replace(replace(${inner}, '\\''', ''''), '\\"', '"'), '\\\\', '\\') END`;
}

/** SQL: every value of `key` in a Python-repr/JSON list of dicts, as a list of raw tokens. */
export function pythonDictValues(raw: string, key: string, valuePattern: string): string {
  return `regexp_extract_all(${raw}, ${sqlString(`['"]${key}['"]\\s*:\\s*(${valuePattern})`)}, 1)`;
}

export const PY_STRING_TOKEN = String.raw`'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|None|null`;
export const PY_NUMBER_TOKEN = "[-+0-9.eE]+|None|null";
