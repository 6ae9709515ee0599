/**
 * The FOCUS 1.2 CSV layout the generator writes, and the one way a row becomes text.
 * A row is five pieces — head (account and invoice), charge period, "mid" (what was charged),
 * amounts, tail (currency, commitment, tags, extensions) — so the hot path can reuse the
 * pieces that do not change from one row of a resource to the next.
 */
import { Dec } from "../money/index.js";

export const FOCUS_COLUMNS = [
  "BillingAccountId",
  "BillingAccountName",
  "SubAccountId",
  "SubAccountName",
  "ProviderName",
  "PublisherName",
  "InvoiceIssuerName",
  "InvoiceId",
  "BillingPeriodStart",
  "BillingPeriodEnd",
  "ChargePeriodStart",
  "ChargePeriodEnd",
  "ChargeCategory",
  "ChargeClass",
  "ChargeFrequency",
  "ChargeDescription",
  "ServiceName",
  "ServiceCategory",
  "RegionId",
  "RegionName",
  "ResourceId",
  "ResourceName",
  "ResourceType",
  "SkuId",
  "SkuPriceId",
  "PricingCategory",
  "ConsumedQuantity",
  "ConsumedUnit",
  "PricingQuantity",
  "PricingUnit",
  "ListUnitPrice",
  "ContractedUnitPrice",
  "BilledCost",
  "EffectiveCost",
  "ListCost",
  "ContractedCost",
  "BillingCurrency",
  "CommitmentDiscountId",
  "CommitmentDiscountStatus",
  "CommitmentDiscountType",
  "CommitmentDiscountCategory",
  "CommitmentDiscountQuantity",
  "CommitmentDiscountUnit",
  "Tags",
  "x_PromotionId",
] as const;

export type FocusColumn = (typeof FOCUS_COLUMNS)[number];

export const CSV_HEADER = `${FOCUS_COLUMNS.join(",")}\n`;

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** What was charged: ChargeCategory … PricingCategory. */
export interface RowDescription {
  category: "Usage" | "Purchase" | "Tax" | "Credit" | "Adjustment";
  chargeClass: "" | "Correction";
  frequency: "One-Time" | "Recurring" | "Usage-Based";
  description: string;
  serviceName: string;
  serviceCategory: string;
  regionId: string;
  regionName: string;
  resourceId: string;
  resourceName: string;
  resourceType: string;
  skuId: string;
  skuPriceId: string;
  pricingCategory: string;
}

/** ConsumedQuantity … ContractedCost, as plain decimal strings ("" for null). */
export interface RowAmounts {
  consumedQuantity: string;
  consumedUnit: string;
  pricingQuantity: string;
  pricingUnit: string;
  listUnitPrice: string;
  contractedUnitPrice: string;
  billedCost: string;
  effectiveCost: string;
  listCost: string;
  contractedCost: string;
}

/** BillingCurrency … x_PromotionId. */
export interface RowTail {
  currency: string;
  commitmentDiscountId: string;
  commitmentDiscountStatus: string;
  commitmentDiscountType: string;
  commitmentDiscountCategory: string;
  commitmentDiscountQuantity: string;
  commitmentDiscountUnit: string;
  /** Already serialised JSON object, or "". */
  tags: string;
  promotionId: string;
}

export interface ChargeRow extends RowDescription, RowAmounts, RowTail {
  /** Billing month index (selects the invoice). */
  month: number;
  accountIndex: number;
  chargePeriodStart: number;
  chargePeriodEnd: number;
}

export function midText(r: RowDescription): string {
  return [
    r.category,
    r.chargeClass,
    r.frequency,
    r.description,
    r.serviceName,
    r.serviceCategory,
    r.regionId,
    r.regionName,
    r.resourceId,
    r.resourceName,
    r.resourceType,
    r.skuId,
    r.skuPriceId,
    r.pricingCategory,
  ]
    .map(csvField)
    .join(",");
}

export function amountsText(a: RowAmounts): string {
  return [
    a.consumedQuantity,
    a.consumedUnit,
    a.pricingQuantity,
    a.pricingUnit,
    a.listUnitPrice,
    a.contractedUnitPrice,
    a.billedCost,
    a.effectiveCost,
    a.listCost,
    a.contractedCost,
  ]
    .map(csvField)
    .join(",");
}

export function tailText(t: RowTail): string {
  return [
    t.currency,
    t.commitmentDiscountId,
    t.commitmentDiscountStatus,
    t.commitmentDiscountType,
    t.commitmentDiscountCategory,
    t.commitmentDiscountQuantity,
    t.commitmentDiscountUnit,
    t.tags,
    t.promotionId,
  ]
    .map(csvField)
    .join(",");
}

/** `head` ends with a comma; the result ends with a newline. */
export function composeRow(
  head: string,
  start: string,
  end: string,
  mid: string,
  amounts: string,
  tail: string,
): string {
  return `${head}${start},${end},${mid},${amounts},${tail}\n`;
}

export const NO_COMMITMENT = {
  commitmentDiscountId: "",
  commitmentDiscountStatus: "",
  commitmentDiscountType: "",
  commitmentDiscountCategory: "",
  commitmentDiscountQuantity: "",
  commitmentDiscountUnit: "",
} as const;

/** Plain decimal text: never exponent notation, never "-0". */
export function plain(value: Dec): string {
  return value.isZero() ? "0" : value.toFixed();
}

/** Amounts are summed as integers of 10^-UNIT_SCALE so the hot path never allocates a decimal. */
export const UNIT_SCALE = 10;
const UNIT_FACTOR = new Dec(10).pow(UNIT_SCALE);

export function toUnits(value: Dec): bigint {
  const scaled = value.times(UNIT_FACTOR);
  if (!scaled.isInteger()) throw new Error(`amount ${value.toFixed()} has more than ${UNIT_SCALE} decimals`);
  return BigInt(scaled.toFixed(0));
}

export function fromUnits(units: bigint): Dec {
  return new Dec(`${units}e-${UNIT_SCALE}`);
}

/** JSON object text with keys in the given order (tags are part of the byte-exact output). */
export function tagsJson(tags: readonly (readonly [string, string])[]): string {
  return `{${tags.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
}
