import { sqlString } from "../sql.js";
import {
  currencyParser,
  DECIMAL_TYPE,
  decimalParser,
  enumParser,
  monthParser,
  PY_NUMBER_TOKEN,
  PY_STRING_TOKEN,
  pythonDictValues,
  pythonStringToken,
  utcTimestampParser,
  type ValueParser,
} from "../values.js";
import type { ExtraRows, FieldSpec, FormatDefinition, MappingContext, RowMapping } from "./types.js";

/**
 * Google Cloud Billing export (the BigQuery standard usage cost table exported as CSV: nested fields
 * flattened to `service.description`, `usage.amount`…; `credits`, `labels` as Python-repr lists).
 *
 * Native column → FOCUS column:
 * - `billing_account_id`                 → BillingAccountId (`defaultBillingAccountId` when absent)
 * - `project.id`, `project.name`         → SubAccountId, SubAccountName
 * - (constant `Google Cloud`)            → ProviderName, PublisherName, InvoiceIssuerName
 * - `invoice.month` (`202011`)           → BillingPeriodStart/End: that calendar month (UTC)
 * - `usage_start_time`/`usage_end_time` (`2020-11-09 23:00:00+00:00`) → ChargePeriodStart/End
 * - `cost_type`                          → ChargeCategory: regular → Usage (Usage-Based), tax → Tax,
 *                                          adjustment and rounding_error → Adjustment (absent: Usage)
 * - `sku.description`                    → ChargeDescription
 * - `service.description`                → ServiceName
 * - `service.id` (`6F81-5844-456A`)      → kept verbatim and as `x_ServiceCode`
 * - `location.region`, `location.zone`   → RegionId, AvailabilityZone
 * - `resource.global_name` (else `resource.name`), `resource.name` (when present) → ResourceId, ResourceName
 * - `sku.id`                             → SkuId
 * - `usage.amount`, `usage.unit`         → ConsumedQuantity, ConsumedUnit
 * - `usage.amount_in_pricing_units`, `usage.pricing_unit` → PricingQuantity, PricingUnit
 * - `cost`                               → BilledCost (before credits)
 * - `cost_at_list` (when present)        → ListCost
 * - `currency`                           → BillingCurrency
 * - `labels` (`[{'key': …, 'value': …}]`) → Tags (kept verbatim in x_Extensions when unreadable)
 * - `credits` (`[{'name': …, 'amount': -5e-06, 'full_name': …, 'id': …, 'type': 'PROMOTION'}]`) →
 *   one extra row per credit, right after its line's charge and with the same source line: the same
 *   account, project, period, service, region, resource and SKU, ChargeCategory `Credit`,
 *   BilledCost = amount, ChargeDescription = name, extensions `x_CreditType` (type), `x_CreditId`
 *   (id), `x_CreditFullName` (full_name) and, for PROMOTION credits, `x_PromotionId` (id).
 * - everything else (`export_time`, `project.labels`, …) → kept verbatim in x_Extensions
 */

const CREDIT_TYPE = `STRUCT(name VARCHAR, amount ${DECIMAL_TYPE}, "type" VARCHAR, id VARCHAR, full_name VARCHAR)[]`;

/** The `credits` list: a list of structs, NULL when it cannot be read. */
export const gcpCreditsParser: ValueParser = {
  expected: "a list of credits such as [{'name': 'Promo', 'amount': -1.5, 'type': 'PROMOTION'}]",
  outputs: {
    value: (raw) => {
      const names = pythonDictValues(raw, "name", PY_STRING_TOKEN);
      const amounts = pythonDictValues(raw, "amount", PY_NUMBER_TOKEN);
      const types = pythonDictValues(raw, "type", PY_STRING_TOKEN);
      const ids = pythonDictValues(raw, "id", PY_STRING_TOKEN);
      const fullNames = pythonDictValues(raw, "full_name", PY_STRING_TOKEN);
      const n = `len(${amounts})`;
      const item = (list: string) => `(CASE WHEN len(${list}) = ${n} THEN ${list}[i] END)`;
      const build = `list_transform(range(1, ${n} + 1), lambda i: struct_pack(name := ${pythonStringToken(item(names))}, amount := TRY_CAST(${amounts}[i] AS ${DECIMAL_TYPE}), "type" := ${pythonStringToken(item(types))}, id := ${pythonStringToken(item(ids))}, full_name := ${pythonStringToken(item(fullNames))}))`;
      const amountsValid = `len(list_filter(${amounts}, lambda a: TRY_CAST(a AS ${DECIMAL_TYPE}) IS NULL)) = 0`;
      return `CAST(CASE WHEN regexp_full_match(${raw}, '\\s*\\[\\s*\\]\\s*') THEN [] WHEN regexp_full_match(${raw}, '(?s)\\s*\\[.*\\]\\s*') AND ${n} > 0 AND len(${names}) = ${n} AND ${amountsValid} THEN ${build} END AS ${CREDIT_TYPE})`;
    },
  },
};

/** The `labels` list as JSON object text, NULL when it cannot be read. */
function labelsToJson(raw: string): string {
  const keys = pythonDictValues(raw, "key", PY_STRING_TOKEN);
  const values = pythonDictValues(raw, "value", PY_STRING_TOKEN);
  const pairs = `list_transform(range(1, len(${keys}) + 1), lambda i: to_json(${pythonStringToken(`${keys}[i]`)}) || ':' || to_json(coalesce(${pythonStringToken(`${values}[i]`)}, '')))`;
  return `CASE WHEN regexp_full_match(${raw}, '\\s*\\[\\s*\\]\\s*') THEN NULL WHEN len(${keys}) = len(${values}) AND len(${keys}) > 0 THEN '{' || array_to_string(${pairs}, ',') || '}' END`;
}

const costTypeParser = enumParser(
  { regular: "regular", tax: "tax", adjustment: "adjustment", rounding_error: "rounding_error" },
  "one of regular, tax, adjustment, rounding_error",
);

const REQUIRED = ["usage_start_time", "usage_end_time", "cost"] as const;
const PROVIDER = sqlString("Google Cloud");

/** The columns a GCP charge and its credits share. */
function sharedColumns(ctx: MappingContext): RowMapping["columns"] {
  const month = ctx.value("invoice.month");
  const currency =
    ctx.options.defaultCurrency === undefined
      ? ctx.value("currency")
      : `coalesce(${ctx.value("currency")}, ${sqlString(ctx.options.defaultCurrency)})`;
  return {
    BillingAccountId: `coalesce(${ctx.raw("billing_account_id")}, ${sqlString(ctx.options.defaultBillingAccountId)})`,
    SubAccountId: ctx.raw("project.id"),
    SubAccountName: ctx.raw("project.name"),
    ProviderName: PROVIDER,
    PublisherName: PROVIDER,
    InvoiceIssuerName: PROVIDER,
    BillingPeriodStart: month,
    BillingPeriodEnd: `(CAST(${month} AS TIMESTAMP) + INTERVAL 1 MONTH)`,
    ChargePeriodStart: ctx.value("usage_start_time"),
    ChargePeriodEnd: ctx.value("usage_end_time"),
    ServiceName: ctx.raw("service.description"),
    RegionId: ctx.raw("location.region"),
    AvailabilityZone: ctx.raw("location.zone"),
    ResourceId: `coalesce(${ctx.raw("resource.global_name")}, ${ctx.raw("resource.name")})`,
    ResourceName: ctx.raw("resource.name"),
    SkuId: ctx.raw("sku.id"),
    BillingCurrency: currency,
  };
}

const creditRows: ExtraRows = {
  list: (ctx) => ctx.value("credits"),
  map(ctx, item) {
    return {
      columns: {
        ...sharedColumns(ctx),
        ChargeCategory: "'Credit'",
        ChargeDescription: `${item}.name`,
        BilledCost: `${item}.amount`,
      },
      consumed: ctx.columns,
      extensions: [
        ["x_ServiceCode", ctx.raw("service.id")],
        ["x_CreditType", `${item}."type"`],
        ["x_CreditId", `${item}.id`],
        ["x_CreditFullName", `${item}.full_name`],
        ["x_PromotionId", `CASE WHEN ${item}."type" = 'PROMOTION' THEN ${item}.id END`],
      ],
    };
  },
};

export const gcpExportFormat: FormatDefinition = {
  format: "gcp-export",
  title: "Google Cloud billing export",
  signature: ["usage_start_time", "usage_end_time", "cost"],
  currencyColumn: "currency",

  missingColumns(columns) {
    return REQUIRED.filter((c) => !columns.includes(c));
  },

  fields(_columns, options) {
    const fields: Record<string, FieldSpec> = {
      usage_start_time: { parser: utcTimestampParser, required: true },
      usage_end_time: { parser: utcTimestampParser, required: true },
      cost: { parser: decimalParser, required: true },
      cost_at_list: { parser: decimalParser },
      "usage.amount": { parser: decimalParser },
      "usage.amount_in_pricing_units": { parser: decimalParser },
      "invoice.month": { parser: monthParser("YYYYMM") },
      cost_type: { parser: costTypeParser },
      credits: { parser: gcpCreditsParser },
      currency: { parser: currencyParser, required: options.defaultCurrency === undefined },
    };
    return fields;
  },

  map(ctx: MappingContext): RowMapping {
    const costType = `coalesce(${ctx.value("cost_type")}, 'regular')`;
    const labels = labelsToJson(ctx.raw("labels"));
    return {
      columns: {
        ...sharedColumns(ctx),
        ChargeCategory: `CASE ${costType} WHEN 'tax' THEN 'Tax' WHEN 'regular' THEN 'Usage' ELSE 'Adjustment' END`,
        ChargeFrequency: `CASE ${costType} WHEN 'regular' THEN 'Usage-Based' END`,
        ChargeDescription: ctx.raw("sku.description"),
        ConsumedQuantity: ctx.value("usage.amount"),
        ConsumedUnit: ctx.raw("usage.unit"),
        PricingQuantity: ctx.value("usage.amount_in_pricing_units"),
        PricingUnit: ctx.raw("usage.pricing_unit"),
        BilledCost: ctx.value("cost"),
        ListCost: ctx.value("cost_at_list"),
        Tags: ctx.has("labels") ? labels : "NULL",
      },
      consumed: [
        "billing_account_id",
        "project.id",
        "project.name",
        "invoice.month",
        "usage_start_time",
        "usage_end_time",
        "sku.description",
        "service.description",
        "location.region",
        "location.zone",
        "resource.global_name",
        "resource.name",
        "sku.id",
        "usage.amount",
        "usage.unit",
        "usage.amount_in_pricing_units",
        "usage.pricing_unit",
        "cost",
        "cost_at_list",
        "currency",
        "credits",
        "labels",
      ],
      extensions: [
        ["x_ServiceCode", ctx.raw("service.id")],
        [
          "labels",
          ctx.has("labels")
            ? `CASE WHEN (${labels}) IS NULL AND ${ctx.raw("labels")} <> '[]' THEN ${ctx.raw("labels")} END`
            : "NULL",
        ],
      ],
    };
  },

  extraRows: creditRows,
};
