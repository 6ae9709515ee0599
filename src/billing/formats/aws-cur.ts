import { jsonObjectOfStrings, sqlString } from "../sql.js";
import { currencyParser, decimalParser, enumParser, intervalParser, utcTimestampParser } from "../values.js";
import type { FieldSpec, FormatDefinition, MappingContext, RowMapping } from "./types.js";

/**
 * AWS Cost and Usage Report, legacy layout (`lineItem/…`, `product/…`, `pricing/…` columns). One row
 * per line item; `identity/TimeInterval` is its hour (or day).
 *
 * Native column → FOCUS column:
 * - `bill/PayerAccountId`                → BillingAccountId (`defaultBillingAccountId` when absent)
 * - `lineItem/UsageAccountId`            → SubAccountId
 * - (constant `AWS`)                     → ProviderName
 * - `bill/BillingEntity` (`AWS`, `AWS Marketplace`) → InvoiceIssuerName, and PublisherName for
 *                                          Marketplace (else `AWS`)
 * - `bill/InvoiceId`                     → InvoiceId
 * - `bill/BillingPeriodStartDate`/`EndDate` → BillingPeriodStart/BillingPeriodEnd
 * - `identity/TimeInterval` (`START/END`) → ChargePeriodStart/ChargePeriodEnd
 * - `lineItem/LineItemType`              → ChargeCategory, ChargeFrequency, ChargeClass:
 *     Usage, DiscountedUsage, SavingsPlanCoveredUsage → Usage, Usage-Based;
 *     RIFee, SavingsPlanRecurringFee → Purchase, Recurring; Fee, SavingsPlanUpfrontFee → Purchase, One-Time;
 *     Tax → Tax; Credit → Credit; Refund → Credit with ChargeClass `Correction`;
 *     SavingsPlanNegation and the discounts (BundledDiscount, EdpDiscount, PrivateRateDiscount, Discount,
 *     DistributorDiscount) → Adjustment
 * - `lineItem/LineItemDescription`       → ChargeDescription
 * - `product/ProductName`                → ServiceName (the `lineItem/ProductCode` when empty)
 * - `lineItem/ProductCode` (`AmazonEC2`) → kept verbatim and as `x_ServiceCode`
 * - `product/region` (when present)      → RegionId; `product/location` → RegionName
 * - `lineItem/AvailabilityZone`          → AvailabilityZone
 * - `lineItem/ResourceId`                → ResourceId
 * - `product/sku`                        → SkuId; `pricing/RateId` (when present) → SkuPriceId
 * - `pricing/term`                       → PricingCategory (OnDemand → Standard, Reserved → Committed);
 *                                          DiscountedUsage and SavingsPlanCoveredUsage are Committed
 * - `lineItem/UsageAmount`, `pricing/unit` → PricingQuantity/ConsumedQuantity, PricingUnit/ConsumedUnit
 * - `lineItem/UnblendedRate`             → ContractedUnitPrice
 * - `pricing/publicOnDemandRate`         → ListUnitPrice; `pricing/publicOnDemandCost` → ListCost
 * - `lineItem/UnblendedCost`             → BilledCost
 * - `lineItem/CurrencyCode`              → BillingCurrency
 * - `reservation/ReservationARN`, else `savingsPlan/SavingsPlanARN` → CommitmentDiscountId
 * - `resourceTags/KEY`                   → Tags {"KEY": value}
 * - everything else (`product/*`, `costCategory/*`, blended cost…) → kept verbatim in x_Extensions
 */

const LINE_ITEM_TYPES = {
  Usage: { category: "Usage", frequency: "Usage-Based" },
  DiscountedUsage: { category: "Usage", frequency: "Usage-Based" },
  SavingsPlanCoveredUsage: { category: "Usage", frequency: "Usage-Based" },
  Fee: { category: "Purchase", frequency: "One-Time" },
  RIFee: { category: "Purchase", frequency: "Recurring" },
  SavingsPlanRecurringFee: { category: "Purchase", frequency: "Recurring" },
  SavingsPlanUpfrontFee: { category: "Purchase", frequency: "One-Time" },
  Tax: { category: "Tax", frequency: null },
  Credit: { category: "Credit", frequency: null },
  Refund: { category: "Credit", frequency: null },
  SavingsPlanNegation: { category: "Adjustment", frequency: null },
  BundledDiscount: { category: "Adjustment", frequency: null },
  EdpDiscount: { category: "Adjustment", frequency: null },
  PrivateRateDiscount: { category: "Adjustment", frequency: null },
  Discount: { category: "Adjustment", frequency: null },
  DistributorDiscount: { category: "Adjustment", frequency: null },
} as const;

const lineItemTypeParser = enumParser(
  Object.fromEntries(Object.keys(LINE_ITEM_TYPES).map((t) => [t, t])),
  `a line item type (${Object.keys(LINE_ITEM_TYPES).join(", ")})`,
);

const REQUIRED = ["identity/TimeInterval", "lineItem/LineItemType", "lineItem/UnblendedCost"] as const;
const TAG_PREFIX = "resourceTags/";

const DECIMAL_COLUMNS = [
  "lineItem/UsageAmount",
  "lineItem/UnblendedRate",
  "lineItem/UnblendedCost",
  "lineItem/BlendedRate",
  "lineItem/BlendedCost",
  "pricing/publicOnDemandRate",
  "pricing/publicOnDemandCost",
] as const;

export const awsCurFormat: FormatDefinition = {
  format: "aws-cur",
  title: "AWS Cost and Usage Report (legacy)",
  signature: ["lineItem/LineItemType", "lineItem/UnblendedCost"],
  currencyColumn: "lineItem/CurrencyCode",

  missingColumns(columns) {
    return REQUIRED.filter((c) => !columns.includes(c));
  },

  fields(_columns, options) {
    const fields: Record<string, FieldSpec> = {
      "identity/TimeInterval": { parser: intervalParser, required: true },
      "lineItem/LineItemType": { parser: lineItemTypeParser, required: true },
      "bill/BillingPeriodStartDate": { parser: utcTimestampParser },
      "bill/BillingPeriodEndDate": { parser: utcTimestampParser },
      "lineItem/CurrencyCode": { parser: currencyParser, required: options.defaultCurrency === undefined },
    };
    for (const column of DECIMAL_COLUMNS) fields[column] = { parser: decimalParser };
    fields["lineItem/UnblendedCost"] = { parser: decimalParser, required: true };
    return fields;
  },

  map(ctx: MappingContext): RowMapping {
    const type = ctx.value("lineItem/LineItemType");
    const caseOf = (pick: (t: (typeof LINE_ITEM_TYPES)[keyof typeof LINE_ITEM_TYPES]) => string | null) =>
      `CASE ${type} ${Object.entries(LINE_ITEM_TYPES)
        .map(([name, t]) => {
          const out = pick(t);
          return `WHEN ${sqlString(name)} THEN ${out === null ? "NULL" : sqlString(out)}`;
        })
        .join(" ")} END`;
    const entity = ctx.raw("bill/BillingEntity");
    const tagColumns = ctx.columns.filter((c) => c.startsWith(TAG_PREFIX));
    const tags = jsonObjectOfStrings(
      tagColumns.map((c) => [c.slice(TAG_PREFIX.length), ctx.raw(c)] as const),
    );
    const anyTag = tagColumns.map((c) => `${ctx.raw(c)} IS NOT NULL`).join(" OR ");
    const currency =
      ctx.options.defaultCurrency === undefined
        ? ctx.value("lineItem/CurrencyCode")
        : `coalesce(${ctx.value("lineItem/CurrencyCode")}, ${sqlString(ctx.options.defaultCurrency)})`;
    return {
      columns: {
        BillingAccountId: `coalesce(${ctx.raw("bill/PayerAccountId")}, ${sqlString(ctx.options.defaultBillingAccountId)})`,
        SubAccountId: ctx.raw("lineItem/UsageAccountId"),
        ProviderName: "'AWS'",
        PublisherName: `CASE WHEN ${entity} = 'AWS Marketplace' THEN ${entity} ELSE 'AWS' END`,
        InvoiceIssuerName: `coalesce(${entity}, 'AWS')`,
        InvoiceId: ctx.raw("bill/InvoiceId"),
        BillingPeriodStart: ctx.value("bill/BillingPeriodStartDate"),
        BillingPeriodEnd: ctx.value("bill/BillingPeriodEndDate"),
        ChargePeriodStart: ctx.value("identity/TimeInterval", "start"),
        ChargePeriodEnd: ctx.value("identity/TimeInterval", "end"),
        ChargeCategory: caseOf((t) => t.category),
        ChargeClass: `CASE WHEN ${type} = 'Refund' THEN 'Correction' END`,
        ChargeFrequency: caseOf((t) => t.frequency),
        ChargeDescription: ctx.raw("lineItem/LineItemDescription"),
        ServiceName: `coalesce(${ctx.raw("product/ProductName")}, ${ctx.raw("lineItem/ProductCode")})`,
        RegionId: ctx.raw("product/region"),
        RegionName: ctx.raw("product/location"),
        AvailabilityZone: ctx.raw("lineItem/AvailabilityZone"),
        ResourceId: ctx.raw("lineItem/ResourceId"),
        SkuId: ctx.raw("product/sku"),
        SkuPriceId: ctx.raw("pricing/RateId"),
        PricingCategory: `CASE WHEN ${type} IN ('DiscountedUsage', 'SavingsPlanCoveredUsage') THEN 'Committed' WHEN ${ctx.raw("pricing/term")} = 'OnDemand' THEN 'Standard' WHEN ${ctx.raw("pricing/term")} = 'Reserved' THEN 'Committed' END`,
        ConsumedQuantity: ctx.value("lineItem/UsageAmount"),
        ConsumedUnit: ctx.raw("pricing/unit"),
        PricingQuantity: ctx.value("lineItem/UsageAmount"),
        PricingUnit: ctx.raw("pricing/unit"),
        ListUnitPrice: ctx.value("pricing/publicOnDemandRate"),
        ContractedUnitPrice: ctx.value("lineItem/UnblendedRate"),
        BilledCost: ctx.value("lineItem/UnblendedCost"),
        ListCost: ctx.value("pricing/publicOnDemandCost"),
        BillingCurrency: currency,
        CommitmentDiscountId: `coalesce(${ctx.raw("reservation/ReservationARN")}, ${ctx.raw("savingsPlan/SavingsPlanARN")})`,
        Tags: tagColumns.length === 0 ? "NULL" : `CASE WHEN ${anyTag} THEN ${tags} END`,
      },
      consumed: [
        "bill/PayerAccountId",
        "lineItem/UsageAccountId",
        "bill/InvoiceId",
        "bill/BillingPeriodStartDate",
        "bill/BillingPeriodEndDate",
        "identity/TimeInterval",
        "lineItem/LineItemDescription",
        "product/ProductName",
        "product/region",
        "product/location",
        "lineItem/AvailabilityZone",
        "lineItem/ResourceId",
        "product/sku",
        "pricing/RateId",
        "lineItem/UsageAmount",
        "pricing/unit",
        "lineItem/UnblendedRate",
        "pricing/publicOnDemandRate",
        "lineItem/UnblendedCost",
        "pricing/publicOnDemandCost",
        "lineItem/CurrencyCode",
        "reservation/ReservationARN",
        "savingsPlan/SavingsPlanARN",
        ...tagColumns,
      ],
      extensions: [["x_ServiceCode", ctx.raw("lineItem/ProductCode")]],
    };
  },
};
