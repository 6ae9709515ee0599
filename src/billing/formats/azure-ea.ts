import { sqlString } from "../sql.js";
import { currencyParser, decimalParser, enumParser, usDateParser } from "../values.js";
import { chargeFrequencyParser } from "./focus.js";
import type { FieldSpec, FormatDefinition, MappingContext, RowMapping } from "./types.js";

/**
 * Azure Enterprise Agreement cost details (actual or amortized cost export, 55 columns, UTF-8 BOM,
 * `MM/DD/YYYY` dates). One row per meter, resource and day.
 *
 * Native column → FOCUS column:
 * - `BillingAccountId`, `BillingAccountName` → BillingAccountId, BillingAccountName
 * - `SubscriptionId`, `SubscriptionName`     → SubAccountId, SubAccountName
 * - (constant `Microsoft`)                   → ProviderName, InvoiceIssuerName
 * - `PublisherName`                          → PublisherName (`Microsoft` when empty)
 * - `BillingPeriodStartDate`                 → BillingPeriodStart
 * - `BillingPeriodEndDate` (inclusive day)   → BillingPeriodEnd = that day + 1 (periods are half-open)
 * - `Date` (a day)                           → ChargePeriodStart = Date, ChargePeriodEnd = Date + 1 day
 * - `ChargeType`                             → ChargeCategory/ChargeClass: `Usage` → Usage; `Purchase` →
 *                                              Purchase; `Refund` → Purchase + ChargeClass `Correction`;
 *                                              `UnusedReservation`/`UnusedSavingsPlan` → Usage (commitment
 *                                              status `Unused`); `RoundingAdjustment` → Adjustment; `Tax` → Tax
 * - `Frequency` (`UsageBased`, `Recurring`, `OneTime`) → ChargeFrequency
 * - `Product`                                → ChargeDescription
 * - `MeterCategory`                          → ServiceName
 * - `ServiceFamily`                          → ServiceCategory
 * - `ResourceLocation` (`EastUS2`)           → RegionId, lower-cased without spaces (`eastus2`);
 *   `MeterRegion` (`US East 2`)              → RegionName, and RegionId when ResourceLocation is empty
 * - `AvailabilityZone`, `ResourceId`, `ResourceName` → same FOCUS columns
 * - `MeterId`                                → SkuId
 * - `PricingModel`                           → PricingCategory: OnDemand → Standard, Reservation and
 *                                              SavingsPlan → Committed, Spot → Dynamic
 * - `Quantity`, `UnitOfMeasure`              → PricingQuantity/ConsumedQuantity, PricingUnit/ConsumedUnit
 * - `PayGPrice`                              → ListUnitPrice (retail price)
 * - `UnitPrice`                              → ContractedUnitPrice (the EA price)
 * - `Cost`                                   → BilledCost (in an amortized export this is the amortized cost)
 * - `BillingCurrency`                        → BillingCurrency
 * - `benefitId` (else `ReservationId`)       → CommitmentDiscountId for reservation/savings-plan rows, with
 *                                              CommitmentDiscountType (`Reservation`/`Savings Plan`),
 *                                              CommitmentDiscountCategory (`Usage`/`Spend`) and
 *                                              CommitmentDiscountStatus (`Used`, or `Unused` for Unused* rows)
 * - `Tags` (`"k": "v","k2": "v2"`, no braces) → Tags as a JSON object (kept verbatim in x_Extensions when
 *                                              it is not valid JSON)
 * - `ConsumedService` (`Microsoft.Compute`)  → kept verbatim and as `x_ServiceCode`
 * - everything else (`ChargeType`, `PricingModel`, `EffectivePrice`, `AdditionalInfo`, …) → kept verbatim
 *   in x_Extensions
 */

const chargeTypeParser = enumParser({
  Usage: "Usage",
  Purchase: "Purchase",
  Refund: "Refund",
  UnusedReservation: "UnusedReservation",
  UnusedSavingsPlan: "UnusedSavingsPlan",
  RoundingAdjustment: "RoundingAdjustment",
  Tax: "Tax",
});

const REQUIRED = ["Date", "Cost"] as const;

export const azureEaFormat: FormatDefinition = {
  format: "azure-ea",
  title: "Azure EA cost details",
  signature: ["MeterId", "MeterCategory", "Cost"],
  currencyColumn: "BillingCurrency",

  missingColumns(columns) {
    return REQUIRED.filter((c) => !columns.includes(c));
  },

  fields(_columns, options) {
    const fields: Record<string, FieldSpec> = {
      Date: { parser: usDateParser, required: true },
      BillingPeriodStartDate: { parser: usDateParser },
      BillingPeriodEndDate: { parser: usDateParser },
      Cost: { parser: decimalParser, required: true },
      Quantity: { parser: decimalParser },
      UnitPrice: { parser: decimalParser },
      EffectivePrice: { parser: decimalParser },
      PayGPrice: { parser: decimalParser },
      ChargeType: { parser: chargeTypeParser },
      Frequency: { parser: chargeFrequencyParser },
      BillingCurrency: { parser: currencyParser, required: options.defaultCurrency === undefined },
    };
    return fields;
  },

  map(ctx: MappingContext): RowMapping {
    const date = ctx.value("Date");
    const chargeType = `coalesce(${ctx.value("ChargeType")}, 'Usage')`;
    const pricingModel = `lower(${ctx.raw("PricingModel")})`;
    const commitmentType = `CASE ${pricingModel} WHEN 'reservation' THEN 'Reservation' WHEN 'savingsplan' THEN 'Savings Plan' END`;
    const tagsJson = `'{' || ${ctx.raw("Tags")} || '}'`;
    const tagsValid = `(json_valid(${tagsJson}) AND json_type(${tagsJson}) = 'OBJECT')`;
    const location = ctx.raw("ResourceLocation");
    const currency =
      ctx.options.defaultCurrency === undefined
        ? ctx.value("BillingCurrency")
        : `coalesce(${ctx.value("BillingCurrency")}, ${sqlString(ctx.options.defaultCurrency)})`;
    return {
      columns: {
        BillingAccountId: `coalesce(${ctx.raw("BillingAccountId")}, ${sqlString(ctx.options.defaultBillingAccountId)})`,
        BillingAccountName: ctx.raw("BillingAccountName"),
        SubAccountId: ctx.raw("SubscriptionId"),
        SubAccountName: ctx.raw("SubscriptionName"),
        ProviderName: "'Microsoft'",
        PublisherName: `coalesce(${ctx.raw("PublisherName")}, 'Microsoft')`,
        InvoiceIssuerName: "'Microsoft'",
        BillingPeriodStart: ctx.value("BillingPeriodStartDate"),
        BillingPeriodEnd: `(CAST(${ctx.value("BillingPeriodEndDate")} AS TIMESTAMP) + INTERVAL 1 DAY)`,
        ChargePeriodStart: date,
        ChargePeriodEnd: `(CAST(${date} AS TIMESTAMP) + INTERVAL 1 DAY)`,
        ChargeCategory: `CASE ${chargeType} WHEN 'Purchase' THEN 'Purchase' WHEN 'Refund' THEN 'Purchase' WHEN 'RoundingAdjustment' THEN 'Adjustment' WHEN 'Tax' THEN 'Tax' ELSE 'Usage' END`,
        ChargeClass: `CASE ${chargeType} WHEN 'Refund' THEN 'Correction' END`,
        ChargeFrequency: ctx.value("Frequency"),
        ChargeDescription: ctx.raw("Product"),
        ServiceName: ctx.raw("MeterCategory"),
        ServiceCategory: ctx.raw("ServiceFamily"),
        RegionId: `coalesce(lower(replace(${location}, ' ', '')), ${ctx.raw("MeterRegion")})`,
        RegionName: ctx.raw("MeterRegion"),
        AvailabilityZone: ctx.raw("AvailabilityZone"),
        ResourceId: ctx.raw("ResourceId"),
        ResourceName: ctx.raw("ResourceName"),
        SkuId: ctx.raw("MeterId"),
        PricingCategory: `CASE ${pricingModel} WHEN 'ondemand' THEN 'Standard' WHEN 'reservation' THEN 'Committed' WHEN 'savingsplan' THEN 'Committed' WHEN 'spot' THEN 'Dynamic' END`,
        ConsumedQuantity: ctx.value("Quantity"),
        ConsumedUnit: ctx.raw("UnitOfMeasure"),
        PricingQuantity: ctx.value("Quantity"),
        PricingUnit: ctx.raw("UnitOfMeasure"),
        ListUnitPrice: ctx.value("PayGPrice"),
        ContractedUnitPrice: ctx.value("UnitPrice"),
        BilledCost: ctx.value("Cost"),
        BillingCurrency: currency,
        CommitmentDiscountId: `CASE WHEN ${commitmentType} IS NOT NULL THEN coalesce(${ctx.raw("benefitId")}, ${ctx.raw("ReservationId")}) END`,
        CommitmentDiscountType: commitmentType,
        CommitmentDiscountCategory: `CASE ${pricingModel} WHEN 'reservation' THEN 'Usage' WHEN 'savingsplan' THEN 'Spend' END`,
        CommitmentDiscountStatus: `CASE WHEN ${chargeType} IN ('UnusedReservation', 'UnusedSavingsPlan') THEN 'Unused' WHEN ${chargeType} = 'Usage' AND ${commitmentType} IS NOT NULL THEN 'Used' END`,
        Tags: `CASE WHEN ${tagsValid} THEN ${tagsJson} END`,
      },
      consumed: [
        "BillingAccountId",
        "BillingAccountName",
        "SubscriptionId",
        "SubscriptionName",
        "PublisherName",
        "BillingPeriodStartDate",
        "BillingPeriodEndDate",
        "Date",
        "Frequency",
        "Product",
        "MeterCategory",
        "ServiceFamily",
        "ResourceLocation",
        "MeterRegion",
        "AvailabilityZone",
        "ResourceId",
        "ResourceName",
        "MeterId",
        "Quantity",
        "UnitOfMeasure",
        "PayGPrice",
        "UnitPrice",
        "Cost",
        "BillingCurrency",
        "Tags",
      ],
      extensions: [
        ["x_ServiceCode", ctx.raw("ConsumedService")],
        ["Tags", `CASE WHEN NOT ${tagsValid} THEN ${ctx.raw("Tags")} END`],
      ],
    };
  },
};
