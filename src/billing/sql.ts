/**
 * SQL text helpers for the importer. Everything user-controlled (file paths, header names, values)
 * reaches SQL only through `sqlString` or `jsonKey`; identifiers are our own (`c0`, `c1`, …) or the
 * fixed FOCUS names.
 */

/** A SQL string literal. NUL cannot appear in a DuckDB literal, so it is refused. */
export function sqlString(value: string): string {
  if (value.includes("\u0000")) throw new RangeError("a SQL string cannot contain NUL");
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier. */
export function sqlIdent(name: string): string {
  if (name.includes("\u0000")) throw new RangeError("a SQL identifier cannot contain NUL");
  return `"${name.replaceAll('"', '""')}"`;
}

/** A JSON object key as a SQL literal holding its JSON text (`'"key":'`), safe for any key. */
export function jsonKey(key: string): string {
  // JSON.stringify escapes NUL and every control character, so the literal never holds a raw NUL.
  return sqlString(`${JSON.stringify(key)}:`);
}

/**
 * JSON object text built in SQL from `[key, SQL VARCHAR expression]` pairs, leaving out null values:
 * `{"k":"v",…}`, `{}` when every value is null. Values stay strings (verbatim).
 */
export function jsonObjectOfStrings(entries: ReadonlyArray<readonly [string, string]>): string {
  if (entries.length === 0) return "'{}'";
  const parts = entries.map(
    ([key, value]) =>
      `CASE WHEN (${value}) IS NOT NULL THEN ${jsonKey(key)} || to_json(CAST((${value}) AS VARCHAR)) END`,
  );
  // concat_ws skips NULL arguments; DuckDB caps function arity, so build it in slices.
  const slices: string[] = [];
  for (let i = 0; i < parts.length; i += 100) {
    slices.push(`NULLIF(concat_ws(',', ${parts.slice(i, i + 100).join(", ")}), '')`);
  }
  return `'{' || concat_ws(',', ${slices.join(", ")}) || '}'`;
}
