import { sqlString } from "../sql.js";
import { currencyParser, decimalParser, enumParser, monthParser, timestampParser } from "../values.js";
import type { FieldSpec, FormatDefinition, MappingContext, RowMapping } from "./types.js";

/**
 * Alibaba Cloud bill details (the "Bill Details" CSV of the billing console):
 *
 *   BillingCycle, AccountID, OwnerID, SubscriptionType, ProductCode, ProductName, Item, InstanceID,
 *   Region, UsageStartTime, UsageEndTime, PretaxGrossAmount, InvoiceDiscount, DeductedByCoupons,
 *   PretaxAmount, PaymentAmount, Currency
 *
 * Native column → FOCUS column:
 * - `BillingCycle` (`2025-05`)      → BillingPeriodStart/End: that month in China Standard Time (UTC+8),
 *                                     i.e. [2025-04-30T16:00:00Z, 2025-05-31T16:00:00Z)
 * - `AccountID`                     → BillingAccountId (`defaultBillingAccountId` when absent)
 * - `OwnerID`                       → SubAccountId
 * - (constant `Alibaba Cloud`)      → ProviderName, PublisherName, InvoiceIssuerName
 * - `ProductName`                   → ServiceName
 * - `ProductCode` (`ecs`, `oss`…)   → kept verbatim, and as `x_ServiceCode` (SLA tables match native service codes)
 * - `Item`                          → ChargeDescription; `Item = Refund` → ChargeClass `Correction` (negative amounts)
 * - `InstanceID`                    → ResourceId
 * - `Region`                        → RegionId
 * - `UsageStartTime`/`UsageEndTime` → ChargePeriodStart/ChargePeriodEnd. Alibaba writes bill times in
 *                                     China Standard Time without an offset: they are read as UTC+8.
 * - `SubscriptionType`              → `Subscription`: ChargeCategory `Purchase`, ChargeFrequency `Recurring`;
 *                                     `PayAsYouGo`: ChargeCategory `Usage`, ChargeFrequency `Usage-Based`
 * - `PretaxAmount`                  → BilledCost
 * - `PretaxGrossAmount`             → ListCost
 * - `DeductedByCoupons`             → kept verbatim and as `x_DeductedByCoupons`: the part paid with
 *                                     vouchers/coupons, which are never refunded in cash (policy reads it)
 * - `Currency`                      → BillingCurrency
 * - `InvoiceDiscount`, `PaymentAmount` → kept verbatim in x_Extensions
 */

/** Alibaba bill times carry no offset and are China Standard Time. */
export const ALIBABA_DEFAULT_OFFSET = "+08:00";

const subscriptionTypeParser = enumParser(
  { Subscription: "Subscription", PayAsYouGo: "PayAsYouGo" },
  "Subscription or PayAsYouGo",
);
const alibabaTimestampParser = timestampParser(ALIBABA_DEFAULT_OFFSET);
const billingCycleParser = monthParser("YYYY-MM");

const REQUIRED = ["SubscriptionType", "UsageStartTime", "UsageEndTime", "PretaxAmount"] as const;

export const alibabaFormat: FormatDefinition = {
  format: "alibaba",
  title: "Alibaba Cloud bill details",
  signature: ["BillingCycle", "SubscriptionType", "PretaxAmount"],
  currencyColumn: "Currency",

  missingColumns(columns) {
    return REQUIRED.filter((c) => !columns.includes(c));
  },

  fields(_columns, options) {
    const fields: Record<string, FieldSpec> = {
      BillingCycle: { parser: billingCycleParser },
      SubscriptionType: { parser: subscriptionTypeParser, required: true },
      UsageStartTime: { parser: alibabaTimestampParser, required: true },
      UsageEndTime: { parser: alibabaTimestampParser, required: true },
      PretaxAmount: { parser: decimalParser, required: true },
      PretaxGrossAmount: { parser: decimalParser },
      InvoiceDiscount: { parser: decimalParser },
      DeductedByCoupons: { parser: decimalParser },
      PaymentAmount: { parser: decimalParser },
      Currency: { parser: currencyParser, required: options.defaultCurrency === undefined },
    };
    return fields;
  },

  map(ctx: MappingContext): RowMapping {
    const cycle = ctx.value("BillingCycle");
    const subscription = ctx.value("SubscriptionType");
    const provider = sqlString("Alibaba Cloud");
    const currency =
      ctx.options.defaultCurrency === undefined
        ? ctx.value("Currency")
        : `coalesce(${ctx.value("Currency")}, ${sqlString(ctx.options.defaultCurrency)})`;
    return {
      columns: {
        BillingAccountId: `coalesce(${ctx.raw("AccountID")}, ${sqlString(ctx.options.defaultBillingAccountId)})`,
        SubAccountId: ctx.raw("OwnerID"),
        ProviderName: provider,
        PublisherName: provider,
        InvoiceIssuerName: provider,
        // The cycle is a China Standard Time month: it starts at 16:00 UTC the day before.
        BillingPeriodStart: `(CAST(${cycle} AS TIMESTAMP) - INTERVAL 8 HOUR)`,
        BillingPeriodEnd: `(CAST(${cycle} AS TIMESTAMP) + INTERVAL 1 MONTH - INTERVAL 8 HOUR)`,
        ChargePeriodStart: ctx.value("UsageStartTime"),
        ChargePeriodEnd: ctx.value("UsageEndTime"),
        ChargeCategory: `CASE ${subscription} WHEN 'Subscription' THEN 'Purchase' ELSE 'Usage' END`,
        ChargeClass: `CASE WHEN lower(trim(${ctx.raw("Item")})) = 'refund' THEN 'Correction' END`,
        ChargeFrequency: `CASE ${subscription} WHEN 'Subscription' THEN 'Recurring' ELSE 'Usage-Based' END`,
        ChargeDescription: ctx.raw("Item"),
        ServiceName: ctx.raw("ProductName"),
        RegionId: ctx.raw("Region"),
        ResourceId: ctx.raw("InstanceID"),
        BilledCost: ctx.value("PretaxAmount"),
        ListCost: ctx.value("PretaxGrossAmount"),
        BillingCurrency: currency,
      },
      consumed: [
        "BillingCycle",
        "AccountID",
        "OwnerID",
        "SubscriptionType",
        "ProductName",
        "Item",
        "InstanceID",
        "Region",
        "UsageStartTime",
        "UsageEndTime",
        "PretaxAmount",
        "PretaxGrossAmount",
        "Currency",
      ],
      extensions: [
        ["x_ServiceCode", ctx.raw("ProductCode")],
        ["x_DeductedByCoupons", ctx.raw("DeductedByCoupons")],
      ],
    };
  },
};
