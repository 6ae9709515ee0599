import type { Analytics } from "./analytics.js";
import {
  CHARGE_CATEGORIES,
  CHARGE_FREQUENCIES,
  type Charge,
  type ChargeCategory,
  type ChargeFrequency,
} from "./charge.js";
import { CHARGES_TABLE, FOCUS_COLUMNS, type FocusColumn } from "./charges-table.js";
import { sqlIdent } from "./sql.js";

export interface ReadChargeBatchesOptions {
  /** Charges per yielded batch (default 10,000). */
  batchSize?: number;
}

/** SQL: a DECIMAL as plain text without trailing zeros (`1500`, `0.0000008`, `-0.5`). */
function decimalText(column: string): string {
  return `rtrim(rtrim(CAST(${column} AS VARCHAR), '0'), '.')`;
}

/** SQL: a TIMESTAMP as `YYYY-MM-DDTHH:MM:SSZ`, with `.sss` (or `.ssssss`) only when non-zero. */
function timestampText(column: string): string {
  const micros = `((epoch_us(${column}) % 1000000) + 1000000) % 1000000`;
  return `CASE WHEN ${micros} = 0 THEN strftime(${column}, '%Y-%m-%dT%H:%M:%SZ') WHEN ${micros} % 1000 = 0 THEN strftime(${column}, '%Y-%m-%dT%H:%M:%S.%gZ') ELSE strftime(${column}, '%Y-%m-%dT%H:%M:%S.%fZ') END`;
}

const SELECT_LIST = [
  "x_SourceRef",
  ...FOCUS_COLUMNS.map((c) => {
    const col = sqlIdent(c.name);
    if (c.type === "TIMESTAMP") return timestampText(col);
    if (c.type.startsWith("DECIMAL")) return decimalText(col);
    return col;
  }),
  "x_Extensions",
].join(",\n  ");

const COLUMN_INDEX = new Map<FocusColumn, number>(FOCUS_COLUMNS.map((c, i) => [c.name, i + 1]));
const EXTENSIONS_INDEX = FOCUS_COLUMNS.length + 1;

/**
 * Streams the `charges` table as `Charge` objects, in `x_SourceFile`, `x_SourceLine` order (rows of
 * one line — a GCP charge and its credits — in load order). DuckDB hands over one vector (2,048 rows)
 * at a time, so memory stays flat however large the table; values are formatted in SQL.
 */
export async function* readChargeBatches(
  analytics: Analytics,
  options: ReadChargeBatchesOptions = {},
): AsyncGenerator<Charge[], void, undefined> {
  const batchSize = options.batchSize ?? 10_000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError("batchSize must be a positive integer");
  const result = await analytics.connection.stream(
    `SELECT\n  ${SELECT_LIST}\nFROM ${CHARGES_TABLE}\nORDER BY x_SourceFile, x_SourceLine, rowid`,
  );
  let batch: Charge[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    for (const row of chunk.getRows()) {
      batch.push(toCharge(row));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

type Cell = unknown;

function toCharge(row: readonly Cell[]): Charge {
  const sourceRef = String(row[0]);
  const text = (column: FocusColumn): string | null => {
    const v = row[COLUMN_INDEX.get(column) as number];
    return v === null || v === undefined ? null : String(v);
  };
  const required = (column: FocusColumn): string => {
    const v = text(column);
    if (v === null) throw new Error(`charge ${sourceRef} has no ${column}`);
    return v;
  };
  const category = required("ChargeCategory");
  if (!isChargeCategory(category)) throw new Error(`charge ${sourceRef} has ChargeCategory ${category}`);
  const frequency = text("ChargeFrequency");
  if (frequency !== null && !isChargeFrequency(frequency)) {
    throw new Error(`charge ${sourceRef} has ChargeFrequency ${frequency}`);
  }
  const chargeClass = text("ChargeClass");
  const extensions = row[EXTENSIONS_INDEX];
  return {
    sourceRef,
    billingAccountId: required("BillingAccountId"),
    billingAccountName: text("BillingAccountName"),
    subAccountId: text("SubAccountId"),
    subAccountName: text("SubAccountName"),
    providerName: text("ProviderName"),
    publisherName: text("PublisherName"),
    invoiceIssuerName: text("InvoiceIssuerName"),
    invoiceId: text("InvoiceId"),
    billingPeriodStart: text("BillingPeriodStart"),
    billingPeriodEnd: text("BillingPeriodEnd"),
    chargePeriodStart: required("ChargePeriodStart"),
    chargePeriodEnd: required("ChargePeriodEnd"),
    chargeCategory: category,
    chargeClass: chargeClass === "Correction" ? "Correction" : null,
    chargeFrequency: frequency,
    chargeDescription: text("ChargeDescription"),
    serviceName: text("ServiceName"),
    serviceCategory: text("ServiceCategory"),
    regionId: text("RegionId"),
    regionName: text("RegionName"),
    availabilityZone: text("AvailabilityZone"),
    resourceId: text("ResourceId"),
    resourceName: text("ResourceName"),
    resourceType: text("ResourceType"),
    skuId: text("SkuId"),
    skuPriceId: text("SkuPriceId"),
    pricingCategory: text("PricingCategory"),
    consumedQuantity: text("ConsumedQuantity"),
    consumedUnit: text("ConsumedUnit"),
    pricingQuantity: text("PricingQuantity"),
    pricingUnit: text("PricingUnit"),
    listUnitPrice: text("ListUnitPrice"),
    contractedUnitPrice: text("ContractedUnitPrice"),
    billedCost: required("BilledCost"),
    effectiveCost: text("EffectiveCost"),
    listCost: text("ListCost"),
    contractedCost: text("ContractedCost"),
    billingCurrency: required("BillingCurrency"),
    commitmentDiscountId: text("CommitmentDiscountId"),
    commitmentDiscountStatus: text("CommitmentDiscountStatus"),
    commitmentDiscountType: text("CommitmentDiscountType"),
    commitmentDiscountCategory: text("CommitmentDiscountCategory"),
    commitmentDiscountQuantity: text("CommitmentDiscountQuantity"),
    commitmentDiscountUnit: text("CommitmentDiscountUnit"),
    tags: parseTags(text("Tags")),
    extensions: extensions === null || extensions === undefined ? {} : parseStringMap(String(extensions)),
  };
}

function isChargeCategory(value: string): value is ChargeCategory {
  return (CHARGE_CATEGORIES as readonly string[]).includes(value);
}

function isChargeFrequency(value: string): value is ChargeFrequency {
  return (CHARGE_FREQUENCIES as readonly string[]).includes(value);
}

/** A JSON object as a flat string map: strings kept, other values as their JSON text, null as "". */
function parseStringMap(json: string): Record<string, string> {
  const parsed: unknown = JSON.parse(json);
  const out: Record<string, string> = {};
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return out;
  for (const [key, value] of Object.entries(parsed)) {
    out[key] = typeof value === "string" ? value : value === null ? "" : JSON.stringify(value);
  }
  return out;
}

function parseTags(json: string | null): Record<string, string> | null {
  return json === null ? null : parseStringMap(json);
}
