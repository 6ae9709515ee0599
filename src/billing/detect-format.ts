import type { BillFormat } from "./charge.js";
import { FORMAT_DEFINITIONS } from "./formats/index.js";

/**
 * FOCUS column names that no native layout uses for a column of its own: one of them in a header
 * (case-insensitively) makes it a FOCUS file. (Azure EA shares `BillingAccountId`, `ResourceId`,
 * `Tags`… with FOCUS, so those do not count.)
 */
const FOCUS_MARKERS: ReadonlySet<string> = new Set(
  [
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "ChargeDescription",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "SkuId",
    "PricingQuantity",
    "PricingUnit",
    "ConsumedQuantity",
    "CommitmentDiscountId",
    "ProviderName",
    "ServiceProviderName",
    "InvoiceIssuerName",
    "SubAccountId",
  ].map((c) => c.toLowerCase()),
);

/**
 * The bill format a header (column names, in order, without a BOM) belongs to: a native layout when
 * all of its signature columns are present (exact names), else FOCUS when any FOCUS-only column is,
 * else null.
 */
export function detectBillFormat(columns: readonly string[]): BillFormat | null {
  const names = new Set(columns.map((c) => c.trim()));
  for (const definition of FORMAT_DEFINITIONS) {
    if (definition.format === "focus") continue;
    if (definition.signature.every((c) => names.has(c))) return definition.format;
  }
  for (const name of names) if (FOCUS_MARKERS.has(name.toLowerCase())) return "focus";
  return null;
}
