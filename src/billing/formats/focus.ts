import { CHARGE_CATEGORIES, CHARGE_FREQUENCIES } from "../charge.js";
import { FOCUS_COLUMNS, type FocusColumn } from "../charges-table.js";
import { sqlString } from "../sql.js";
import {
  currencyParser,
  decimalParser,
  enumOf,
  enumParser,
  jsonObjectParser,
  utcTimestampParser,
  type ValueParser,
} from "../values.js";
import type { FieldSpec, FormatDefinition, FormatOptions, MappingContext, RowMapping } from "./types.js";

/**
 * FOCUS 1.0–1.3 exports (CSV or Parquet). Columns are matched on their FOCUS names,
 * case-insensitively (the FOCUS spec's own examples spell `SkuPriceid`). FOCUS 1.3 renamed two
 * provider columns: `ServiceProviderName` feeds `ProviderName` and `HostProviderName` feeds
 * `PublisherName` (the 1.3 column wins when a file has both). Every other column — `x_…`, `oci_…`,
 * vendor extras, FOCUS columns the `charges` table has no place for — is kept verbatim in
 * `x_Extensions`.
 *
 * Only `ChargePeriodStart`, `ChargePeriodEnd` and `BilledCost` are required (the spec's example
 * files lack most others). Absent `BillingCurrency`: the `defaultCurrency` option (required then);
 * absent `BillingAccountId`: `defaultBillingAccountId`; absent `ChargeCategory`: `Usage`.
 */

export const FOCUS_REQUIRED: readonly FocusColumn[] = ["ChargePeriodStart", "ChargePeriodEnd", "BilledCost"];

const TIMESTAMP_COLUMNS: ReadonlySet<FocusColumn> = new Set([
  "BillingPeriodStart",
  "BillingPeriodEnd",
  "ChargePeriodStart",
  "ChargePeriodEnd",
]);

const DECIMAL_COLUMNS: ReadonlySet<FocusColumn> = new Set(
  FOCUS_COLUMNS.filter((c) => c.type.startsWith("DECIMAL")).map((c) => c.name),
);

export const chargeCategoryParser = enumParser(enumOf(CHARGE_CATEGORIES));
export const chargeClassParser = enumParser(enumOf(["Correction"]));
export const chargeFrequencyParser = enumParser(enumOf(CHARGE_FREQUENCIES));

const ENUM_PARSERS: Partial<Record<FocusColumn, ValueParser>> = {
  ChargeCategory: chargeCategoryParser,
  ChargeClass: chargeClassParser,
  ChargeFrequency: chargeFrequencyParser,
};

/** FOCUS 1.3 names of 1.0–1.2 columns; the newer name takes precedence. */
const RENAMED: Readonly<Record<string, FocusColumn>> = {
  serviceprovidername: "ProviderName",
  hostprovidername: "PublisherName",
};

const BY_KEY: ReadonlyMap<string, FocusColumn> = new Map(
  FOCUS_COLUMNS.map((c) => [c.name.toLowerCase(), c.name]),
);

/** The FOCUS column a header name feeds, if any. */
export function focusColumnOf(header: string): FocusColumn | undefined {
  const key = header.trim().toLowerCase();
  return RENAMED[key] ?? BY_KEY.get(key);
}

/** FOCUS column → the header names feeding it, 1.3 names first. */
export function resolveFocusColumns(columns: readonly string[]): Map<FocusColumn, string[]> {
  const resolved = new Map<FocusColumn, string[]>();
  for (const header of columns) {
    const target = focusColumnOf(header);
    if (target === undefined) continue;
    const list = resolved.get(target) ?? [];
    if (RENAMED[header.trim().toLowerCase()] !== undefined) list.unshift(header);
    else list.push(header);
    resolved.set(target, list);
  }
  return resolved;
}

function parserFor(column: FocusColumn): ValueParser | undefined {
  if (TIMESTAMP_COLUMNS.has(column)) return utcTimestampParser;
  if (DECIMAL_COLUMNS.has(column)) return decimalParser;
  if (column === "BillingCurrency") return currencyParser;
  if (column === "Tags") return jsonObjectParser;
  return ENUM_PARSERS[column];
}

function isRequired(column: FocusColumn, options: FormatOptions): boolean {
  if ((FOCUS_REQUIRED as readonly string[]).includes(column)) return true;
  if (column === "ChargeCategory") return true;
  return column === "BillingCurrency" && options.defaultCurrency === undefined;
}

export const focusFormat: FormatDefinition = {
  format: "focus",
  title: "FOCUS",
  signature: FOCUS_REQUIRED,
  currencyColumn: "BillingCurrency",

  missingColumns(columns) {
    const resolved = resolveFocusColumns(columns);
    return FOCUS_REQUIRED.filter((c) => !resolved.has(c));
  },

  fields(columns, options) {
    const fields: Record<string, FieldSpec> = {};
    for (const header of columns) {
      const target = focusColumnOf(header);
      if (target === undefined) continue;
      const parser = parserFor(target);
      if (parser !== undefined) fields[header] = { parser, required: isRequired(target, options) };
    }
    return fields;
  },

  map(ctx: MappingContext): RowMapping {
    const resolved = resolveFocusColumns(ctx.columns);
    const columns: Partial<Record<FocusColumn, string>> = {};
    const consumed: string[] = [];
    for (const [target, headers] of resolved) {
      const exprs = headers.map((h) => (parserFor(target) === undefined ? ctx.raw(h) : ctx.value(h)));
      columns[target] = exprs.length === 1 ? exprs[0] : `coalesce(${exprs.join(", ")})`;
      consumed.push(...headers);
    }
    const account = sqlString(ctx.options.defaultBillingAccountId);
    columns.BillingAccountId =
      columns.BillingAccountId === undefined ? account : `coalesce(${columns.BillingAccountId}, ${account})`;
    if (ctx.options.defaultCurrency !== undefined) {
      const currency = sqlString(ctx.options.defaultCurrency);
      columns.BillingCurrency =
        columns.BillingCurrency === undefined
          ? currency
          : `coalesce(${columns.BillingCurrency}, ${currency})`;
    }
    columns.ChargeCategory ??= "'Usage'";
    return { columns, consumed };
  },
};
