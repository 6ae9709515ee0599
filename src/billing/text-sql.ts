/**
 * SQL giving typed values the text the store keeps (see `Charge`): the same text as `scaledToText`
 * and `formatEpochMillis` (`read-charge-rows.ts`) write in JavaScript. The importer formats in DuckDB,
 * on its own threads, rather than in JavaScript, whose thread also writes the store.
 */

/** SQL: a DECIMAL(38,18) as plain text without trailing zeros (`1500`, `0.0000008`, `-0.5`). */
export function decimalTextSql(value: string): string {
  // DuckDB writes every decimal place of the scale: `1.500000000000000000`, `0.000000000000000000`.
  return `rtrim(rtrim(CAST(${value} AS VARCHAR), '0'), '.')`;
}

/**
 * SQL: a TIMESTAMP (UTC) as ISO 8601 text, `YYYY-MM-DDTHH:MM:SSZ`, with `.sss` or `.ssssss` only
 * when the fraction is not zero; years outside 0000–9999 as `±YYYYYY` (as `Date.toISOString`).
 */
export function timestampTextSql(value: string): string {
  const t = `(${value})`;
  const micros = `(microsecond(${t}) % 1000000)`;
  const seconds =
    `CASE WHEN ${t} >= TIMESTAMP '0000-01-01' AND ${t} < TIMESTAMP '10000-01-01' THEN strftime(${t}, '%Y-%m-%dT%H:%M:%S') ` +
    `ELSE (CASE WHEN year(${t}) < 0 THEN '-' ELSE '+' END) || lpad(CAST(abs(year(${t})) AS VARCHAR), 6, '0') || strftime(${t}, '-%m-%dT%H:%M:%S') END`;
  const fraction =
    `CASE WHEN ${micros} % 1000 <> 0 THEN '.' || lpad(CAST(${micros} AS VARCHAR), 6, '0') ` +
    `WHEN ${micros} <> 0 THEN '.' || lpad(CAST(${micros} // 1000 AS VARCHAR), 3, '0') ELSE '' END`;
  return `CASE WHEN ${t} IS NOT NULL THEN (${seconds}) || (${fraction}) || 'Z' END`;
}
