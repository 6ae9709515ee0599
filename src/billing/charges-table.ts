import { DECIMAL_TYPE } from "./values.js";

/**
 * The DuckDB `charges` table: FOCUS 1.x columns in PascalCase (1.3's `ServiceProviderName` and
 * `HostProviderName` are loaded into `ProviderName` and `PublisherName`), then the source columns.
 * Timestamps are UTC `TIMESTAMP`s; amounts and quantities `DECIMAL(38,18)`; `Tags` and
 * `x_Extensions` JSON text. Detectors are queries over this table.
 */
export const FOCUS_COLUMNS = [
  { name: "BillingAccountId", type: "VARCHAR" },
  { name: "BillingAccountName", type: "VARCHAR" },
  { name: "SubAccountId", type: "VARCHAR" },
  { name: "SubAccountName", type: "VARCHAR" },
  { name: "ProviderName", type: "VARCHAR" },
  { name: "PublisherName", type: "VARCHAR" },
  { name: "InvoiceIssuerName", type: "VARCHAR" },
  { name: "InvoiceId", type: "VARCHAR" },
  { name: "BillingPeriodStart", type: "TIMESTAMP" },
  { name: "BillingPeriodEnd", type: "TIMESTAMP" },
  { name: "ChargePeriodStart", type: "TIMESTAMP" },
  { name: "ChargePeriodEnd", type: "TIMESTAMP" },
  { name: "ChargeCategory", type: "VARCHAR" },
  { name: "ChargeClass", type: "VARCHAR" },
  { name: "ChargeFrequency", type: "VARCHAR" },
  { name: "ChargeDescription", type: "VARCHAR" },
  { name: "ServiceName", type: "VARCHAR" },
  { name: "ServiceCategory", type: "VARCHAR" },
  { name: "RegionId", type: "VARCHAR" },
  { name: "RegionName", type: "VARCHAR" },
  { name: "AvailabilityZone", type: "VARCHAR" },
  { name: "ResourceId", type: "VARCHAR" },
  { name: "ResourceName", type: "VARCHAR" },
  { name: "ResourceType", type: "VARCHAR" },
  { name: "SkuId", type: "VARCHAR" },
  { name: "SkuPriceId", type: "VARCHAR" },
  { name: "PricingCategory", type: "VARCHAR" },
  { name: "ConsumedQuantity", type: DECIMAL_TYPE },
  { name: "ConsumedUnit", type: "VARCHAR" },
  { name: "PricingQuantity", type: DECIMAL_TYPE },
  { name: "PricingUnit", type: "VARCHAR" },
  { name: "ListUnitPrice", type: DECIMAL_TYPE },
  { name: "ContractedUnitPrice", type: DECIMAL_TYPE },
  { name: "BilledCost", type: DECIMAL_TYPE },
  { name: "EffectiveCost", type: DECIMAL_TYPE },
  { name: "ListCost", type: DECIMAL_TYPE },
  { name: "ContractedCost", type: DECIMAL_TYPE },
  { name: "BillingCurrency", type: "VARCHAR" },
  { name: "CommitmentDiscountId", type: "VARCHAR" },
  { name: "CommitmentDiscountStatus", type: "VARCHAR" },
  { name: "CommitmentDiscountType", type: "VARCHAR" },
  { name: "CommitmentDiscountCategory", type: "VARCHAR" },
  { name: "CommitmentDiscountQuantity", type: DECIMAL_TYPE },
  { name: "CommitmentDiscountUnit", type: "VARCHAR" },
  { name: "Tags", type: "VARCHAR" },
] as const;

export type FocusColumn = (typeof FOCUS_COLUMNS)[number]["name"];

export const SOURCE_COLUMNS = [
  /** The display name the file was loaded under. */
  { name: "x_SourceFile", type: "VARCHAR" },
  /** CSV line (header is line 1) or Parquet row (first data row is 0). */
  { name: "x_SourceLine", type: "BIGINT" },
  /** `FILE:LINE` or `FILE:ROW`: what findings cite. A virtual column: never insert into it. */
  {
    name: "x_SourceRef",
    type: `VARCHAR GENERATED ALWAYS AS (x_SourceFile || ':' || CAST(x_SourceLine AS VARCHAR)) VIRTUAL`,
  },
  /** JSON object of every source column that has no FOCUS column, verbatim (nulls left out). */
  { name: "x_Extensions", type: "VARCHAR" },
] as const;

export const CHARGES_TABLE = "charges";

export const CHARGES_COLUMNS = [...FOCUS_COLUMNS, ...SOURCE_COLUMNS];

/** The columns an INSERT into `charges` names (all but the generated `x_SourceRef`). */
export const INSERTED_COLUMNS = [
  ...FOCUS_COLUMNS.map((c) => c.name),
  "x_SourceFile",
  "x_SourceLine",
  "x_Extensions",
];

export const CREATE_CHARGES_TABLE = `CREATE TABLE IF NOT EXISTS ${CHARGES_TABLE} (\n${CHARGES_COLUMNS.map(
  (c) => `  "${c.name}" ${c.type}`,
).join(",\n")}\n)`;

export function isFocusColumn(name: string): name is FocusColumn {
  return FOCUS_COLUMNS.some((c) => c.name === name);
}
