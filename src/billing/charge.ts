/**
 * One billed line item, normalised from any supported bill format onto FOCUS 1.x columns.
 * Amounts and quantities are exact decimal strings as they appear in the source (never
 * floats); timestamps are ISO 8601 UTC (`2026-05-03T00:00:00Z` form, `Z` suffix, no
 * milliseconds unless the source had them). Absent values are null.
 */
export interface Charge {
  /** `FILE:LINE` for CSV (header is line 1), `FILE:ROW` for Parquet (first data row is 0). */
  sourceRef: string;
  billingAccountId: string;
  billingAccountName: string | null;
  subAccountId: string | null;
  subAccountName: string | null;
  /** FOCUS `ProviderName` (1.3: `ServiceProviderName`), e.g. `AWS`, `Alibaba Cloud`. */
  providerName: string | null;
  /** FOCUS `PublisherName` (1.3: `HostProviderName`). */
  publisherName: string | null;
  invoiceIssuerName: string | null;
  invoiceId: string | null;
  billingPeriodStart: string | null;
  billingPeriodEnd: string | null;
  chargePeriodStart: string;
  chargePeriodEnd: string;
  /** `Usage`, `Purchase`, `Tax`, `Credit`, `Adjustment`. */
  chargeCategory: ChargeCategory;
  /** `Correction` for corrections to a previous billing period, else null. */
  chargeClass: "Correction" | null;
  /** `One-Time`, `Recurring`, `Usage-Based` (vendor spellings such as `Usage-based` normalised). */
  chargeFrequency: ChargeFrequency | null;
  chargeDescription: string | null;
  serviceName: string | null;
  serviceCategory: string | null;
  regionId: string | null;
  regionName: string | null;
  availabilityZone: string | null;
  resourceId: string | null;
  resourceName: string | null;
  resourceType: string | null;
  skuId: string | null;
  skuPriceId: string | null;
  /** `Standard`, `Dynamic`, `Committed`, `Other`. */
  pricingCategory: string | null;
  consumedQuantity: string | null;
  consumedUnit: string | null;
  pricingQuantity: string | null;
  pricingUnit: string | null;
  listUnitPrice: string | null;
  contractedUnitPrice: string | null;
  billedCost: string;
  effectiveCost: string | null;
  listCost: string | null;
  contractedCost: string | null;
  billingCurrency: string;
  commitmentDiscountId: string | null;
  commitmentDiscountStatus: string | null;
  commitmentDiscountType: string | null;
  commitmentDiscountCategory: string | null;
  commitmentDiscountQuantity: string | null;
  commitmentDiscountUnit: string | null;
  /** FOCUS `Tags` as a flat string map. */
  tags: Record<string, string> | null;
  /** Every column that is not a FOCUS column (`x_…`, `oci_…`, vendor extras), verbatim. */
  extensions: Record<string, string>;
}

export const CHARGE_CATEGORIES = ["Usage", "Purchase", "Tax", "Credit", "Adjustment"] as const;
export type ChargeCategory = (typeof CHARGE_CATEGORIES)[number];

export const CHARGE_FREQUENCIES = ["One-Time", "Recurring", "Usage-Based"] as const;
export type ChargeFrequency = (typeof CHARGE_FREQUENCIES)[number];

/** Bill formats the importer understands; detected from the header, `--format` overrides. */
export const BILL_FORMATS = ["focus", "alibaba", "azure-ea", "aws-cur", "gcp-export"] as const;
export type BillFormat = (typeof BILL_FORMATS)[number];

/** Where a bad value is: what a user needs to find and fix it. */
export interface SourcePosition {
  file: string;
  /** CSV line (header is line 1) or Parquet row (first data row is 0). */
  line?: number;
  row?: number;
  column?: string;
}

export interface RowProblem extends SourcePosition {
  expected: string;
  found: string;
}
