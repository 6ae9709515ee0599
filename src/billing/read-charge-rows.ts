import { type DuckDBDataChunk, DuckDBDecimal128Vector, type DuckDBVector } from "@duckdb/node-api";
import type { Analytics } from "./analytics.js";
import {
  CHARGE_CATEGORIES,
  CHARGE_FREQUENCIES,
  type Charge,
  type ChargeCategory,
  type ChargeFrequency,
} from "./charge.js";
import { CHARGES_TABLE, CREATE_CHARGES_TABLE, FOCUS_COLUMNS, type FocusColumn } from "./charges-table.js";
import { sqlIdent } from "./sql.js";

export interface ReadChargeBatchesOptions {
  /** Charges per yielded batch (default 10,000). */
  batchSize?: number;
}

/*
 * How the rows cross from DuckDB to JavaScript, cheaply (measured on 1M rows): every text column of a
 * row travels as one JSON array (one string per row instead of ~25); timestamps as epoch milliseconds
 * (DOUBLE) plus the microseconds, formatted here; decimals as their 128-bit scaled integers formatted
 * here. DuckDB's own DECIMAL(38,18)→text and strftime conversions are 5–10 times slower.
 */
const TEXT_COLUMNS = FOCUS_COLUMNS.filter((c) => c.type === "VARCHAR").map((c) => c.name);
const TIMESTAMP_COLUMNS = FOCUS_COLUMNS.filter((c) => c.type === "TIMESTAMP").map((c) => c.name);
const DECIMAL_COLUMNS = FOCUS_COLUMNS.filter((c) => c.type.startsWith("DECIMAL")).map((c) => c.name);

const SELECT_SQL = `SELECT
  CAST(to_json(list_value(x_SourceRef, x_Extensions, ${TEXT_COLUMNS.map(sqlIdent).join(", ")})) AS VARCHAR),
  ${TIMESTAMP_COLUMNS.map((c) => `CAST(epoch_ms(${sqlIdent(c)}) AS DOUBLE), CAST(microsecond(${sqlIdent(c)}) % 1000 AS INTEGER)`).join(",\n  ")},
  ${DECIMAL_COLUMNS.map(sqlIdent).join(",\n  ")}
FROM ${CHARGES_TABLE}`;

/** Rows out of (file, line) order: then the stream sorts. Loads in name order need no sort. */
const OUT_OF_ORDER_SQL = `SELECT count(*) FROM (
  SELECT x_SourceFile AS f, x_SourceLine AS l,
         lag(x_SourceFile) OVER (ORDER BY rowid) AS pf, lag(x_SourceLine) OVER (ORDER BY rowid) AS pl
  FROM ${CHARGES_TABLE}
) WHERE pf > f OR (pf = f AND pl > l)`;

/**
 * Streams the `charges` table as `Charge` objects in `x_SourceFile`, `x_SourceLine` order (rows of one
 * line — a GCP charge and its credits — in load order). DuckDB hands over one vector (2,048 rows) at a
 * time (`stream`/`fetchChunk`), so memory stays flat however large the table.
 */
export async function* readChargeBatches(
  analytics: Analytics,
  options: ReadChargeBatchesOptions = {},
): AsyncGenerator<Charge[], void, undefined> {
  const batchSize = options.batchSize ?? 10_000;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError("batchSize must be a positive integer");
  const connection = analytics.connection;
  await connection.run(CREATE_CHARGES_TABLE); // nothing loaded yet: nothing to read
  const outOfOrder = await connection.runAndReadAll(OUT_OF_ORDER_SQL);
  const sorted = Number(outOfOrder.getRows()[0]?.[0] ?? 0) === 0;
  const result = await connection.stream(
    sorted ? SELECT_SQL : `${SELECT_SQL}\nORDER BY x_SourceFile, x_SourceLine, rowid`,
  );
  const timestamps = new TimestampFormatter();
  let batch: Charge[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    for (const charge of chunkCharges(chunk, timestamps)) {
      batch.push(charge);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Position of a text column in the row's JSON list (after x_SourceRef and x_Extensions). */
const T = Object.fromEntries(TEXT_COLUMNS.map((name, k) => [name, k + 2])) as Record<FocusColumn, number>;
const TIMESTAMP_AT = Object.fromEntries(TIMESTAMP_COLUMNS.map((name, k) => [name, k])) as Record<
  FocusColumn,
  number
>;
const DECIMAL_AT = Object.fromEntries(DECIMAL_COLUMNS.map((name, k) => [name, k])) as Record<
  FocusColumn,
  number
>;

function str(list: readonly unknown[], k: number): string | null {
  const v = list[k];
  return typeof v === "string" ? v : null;
}

function required<V>(value: V | null, sourceRef: string, column: FocusColumn): V {
  if (value === null) throw new Error(`charge ${sourceRef} has no ${column}`);
  return value;
}

/** One column of a chunk as text, converted in one tight loop (monomorphic, no per-row closures). */
function timestampColumn(millis: DuckDBVector, micros: DuckDBVector, rows: number, f: TimestampFormatter) {
  const out: Array<string | null> = new Array(rows);
  for (let i = 0; i < rows; i++) out[i] = f.format(millis.getItem(i), micros.getItem(i));
  return out;
}

function decimalColumn(vector: DuckDBVector, rows: number): Array<string | null> {
  const out: Array<string | null> = new Array(rows);
  if (vector instanceof DuckDBDecimal128Vector) {
    const scale = vector.type.scale;
    for (let i = 0; i < rows; i++) {
      const scaled = vector.getScaledValue(i);
      out[i] = scaled === null ? null : scaledToText(scaled, scale);
    }
  } else {
    for (let i = 0; i < rows; i++) out[i] = decimalText(vector, i);
  }
  return out;
}

function chunkCharges(chunk: DuckDBDataChunk, timestamps: TimestampFormatter): Charge[] {
  const rows = chunk.rowCount;
  const texts = chunk.getColumnVector(0);
  const time = TIMESTAMP_COLUMNS.map((_, k) =>
    timestampColumn(chunk.getColumnVector(1 + 2 * k), chunk.getColumnVector(2 + 2 * k), rows, timestamps),
  );
  const decimal = DECIMAL_COLUMNS.map((_, k) =>
    decimalColumn(chunk.getColumnVector(1 + 2 * TIMESTAMP_COLUMNS.length + k), rows),
  );
  const ts = (column: FocusColumn) => time[TIMESTAMP_AT[column]] as Array<string | null>;
  const dec = (column: FocusColumn) => decimal[DECIMAL_AT[column]] as Array<string | null>;
  const [billingPeriodStart, billingPeriodEnd, chargePeriodStart, chargePeriodEnd] = [
    ts("BillingPeriodStart"),
    ts("BillingPeriodEnd"),
    ts("ChargePeriodStart"),
    ts("ChargePeriodEnd"),
  ];
  const consumedQuantity = dec("ConsumedQuantity");
  const pricingQuantity = dec("PricingQuantity");
  const listUnitPrice = dec("ListUnitPrice");
  const contractedUnitPrice = dec("ContractedUnitPrice");
  const billedCost = dec("BilledCost");
  const effectiveCost = dec("EffectiveCost");
  const listCost = dec("ListCost");
  const contractedCost = dec("ContractedCost");
  const commitmentDiscountQuantity = dec("CommitmentDiscountQuantity");
  const charges: Charge[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const list: unknown = JSON.parse(String(texts.getItem(i)));
    if (!Array.isArray(list)) throw new Error("a charges row did not read back as a list");
    const sourceRef = String(list[0]);
    const category = required(str(list, T.ChargeCategory), sourceRef, "ChargeCategory");
    if (!isChargeCategory(category)) throw new Error(`charge ${sourceRef} has ChargeCategory ${category}`);
    const frequency = str(list, T.ChargeFrequency);
    if (frequency !== null && !isChargeFrequency(frequency)) {
      throw new Error(`charge ${sourceRef} has ChargeFrequency ${frequency}`);
    }
    const tags = str(list, T.Tags);
    const extensions = str(list, 1);
    charges[i] = {
      sourceRef,
      billingAccountId: required(str(list, T.BillingAccountId), sourceRef, "BillingAccountId"),
      billingAccountName: str(list, T.BillingAccountName),
      subAccountId: str(list, T.SubAccountId),
      subAccountName: str(list, T.SubAccountName),
      providerName: str(list, T.ProviderName),
      publisherName: str(list, T.PublisherName),
      invoiceIssuerName: str(list, T.InvoiceIssuerName),
      invoiceId: str(list, T.InvoiceId),
      billingPeriodStart: billingPeriodStart[i] ?? null,
      billingPeriodEnd: billingPeriodEnd[i] ?? null,
      chargePeriodStart: required(chargePeriodStart[i] ?? null, sourceRef, "ChargePeriodStart"),
      chargePeriodEnd: required(chargePeriodEnd[i] ?? null, sourceRef, "ChargePeriodEnd"),
      chargeCategory: category,
      chargeClass: str(list, T.ChargeClass) === "Correction" ? "Correction" : null,
      chargeFrequency: frequency,
      chargeDescription: str(list, T.ChargeDescription),
      serviceName: str(list, T.ServiceName),
      serviceCategory: str(list, T.ServiceCategory),
      regionId: str(list, T.RegionId),
      regionName: str(list, T.RegionName),
      availabilityZone: str(list, T.AvailabilityZone),
      resourceId: str(list, T.ResourceId),
      resourceName: str(list, T.ResourceName),
      resourceType: str(list, T.ResourceType),
      skuId: str(list, T.SkuId),
      skuPriceId: str(list, T.SkuPriceId),
      pricingCategory: str(list, T.PricingCategory),
      consumedQuantity: consumedQuantity[i] ?? null,
      consumedUnit: str(list, T.ConsumedUnit),
      pricingQuantity: pricingQuantity[i] ?? null,
      pricingUnit: str(list, T.PricingUnit),
      listUnitPrice: listUnitPrice[i] ?? null,
      contractedUnitPrice: contractedUnitPrice[i] ?? null,
      billedCost: required(billedCost[i] ?? null, sourceRef, "BilledCost"),
      effectiveCost: effectiveCost[i] ?? null,
      listCost: listCost[i] ?? null,
      contractedCost: contractedCost[i] ?? null,
      billingCurrency: required(str(list, T.BillingCurrency), sourceRef, "BillingCurrency"),
      commitmentDiscountId: str(list, T.CommitmentDiscountId),
      commitmentDiscountStatus: str(list, T.CommitmentDiscountStatus),
      commitmentDiscountType: str(list, T.CommitmentDiscountType),
      commitmentDiscountCategory: str(list, T.CommitmentDiscountCategory),
      commitmentDiscountQuantity: commitmentDiscountQuantity[i] ?? null,
      commitmentDiscountUnit: str(list, T.CommitmentDiscountUnit),
      tags: tags === null ? null : parseStringMap(tags),
      extensions: extensions === null ? {} : parseStringMap(extensions),
    };
  }
  return charges;
}

/** A decimal cell as plain text without trailing zeros (`1500`, `0.0000008`, `-0.5`), or null. */
function decimalText(vector: DuckDBVector, i: number): string | null {
  if (vector instanceof DuckDBDecimal128Vector) {
    const scaled = vector.getScaledValue(i);
    return scaled === null ? null : scaledToText(scaled, vector.type.scale);
  }
  const item = vector.getItem(i);
  if (item === null || item === undefined) return null;
  const s = String(item);
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

const ZEROS = "0".repeat(40);

/** `scaled / 10^scale` as plain decimal text, trailing zeros dropped. */
export function scaledToText(scaled: bigint, scale: number): string {
  let digits = scaled.toString();
  const negative = digits.charCodeAt(0) === 45;
  if (negative) digits = digits.slice(1);
  if (scale === 0) return negative ? `-${digits}` : digits;
  if (digits.length <= scale) digits = ZEROS.slice(0, scale + 1 - digits.length) + digits;
  const point = digits.length - scale;
  let end = digits.length;
  while (end > point && digits.charCodeAt(end - 1) === 48) end--;
  const text = end > point ? `${digits.slice(0, point)}.${digits.slice(point, end)}` : digits.slice(0, point);
  return negative && text !== "0" ? `-${text}` : text;
}

/** Epoch milliseconds (+ microseconds) → `YYYY-MM-DDTHH:MM:SSZ` (`.sss`/`.ssssss` only when non-zero). */
class TimestampFormatter {
  private cache = new Map<number, string>();

  format(millis: unknown, micros: unknown): string | null {
    if (typeof millis !== "number") return null;
    const extra = typeof micros === "number" ? micros : 0;
    if (extra !== 0) return formatEpochMillis(millis, extra);
    let text = this.cache.get(millis);
    if (text === undefined) {
      text = formatEpochMillis(millis, 0);
      if (this.cache.size >= 100_000) this.cache.clear();
      this.cache.set(millis, text);
    }
    return text;
  }
}

/** `millis` since the epoch plus `extraMicros` (0–999) as ISO 8601 UTC text. */
export function formatEpochMillis(millis: number, extraMicros = 0): string {
  const iso = new Date(millis).toISOString(); // 2025-05-01T00:00:00.000Z
  const seconds = iso.slice(0, -5);
  if (extraMicros !== 0) return `${seconds}.${iso.slice(-4, -1)}${String(extraMicros).padStart(3, "0")}Z`;
  return millis % 1000 === 0 ? `${seconds}Z` : iso;
}

const CATEGORY_SET: ReadonlySet<string> = new Set(CHARGE_CATEGORIES);
const FREQUENCY_SET: ReadonlySet<string> = new Set(CHARGE_FREQUENCIES);

function isChargeCategory(value: string): value is ChargeCategory {
  return CATEGORY_SET.has(value);
}

function isChargeFrequency(value: string): value is ChargeFrequency {
  return FREQUENCY_SET.has(value);
}

/** A JSON object as a flat string map: strings kept, other values as their JSON text, null as "". */
export function parseStringMap(json: string): Record<string, string> {
  const parsed: unknown = JSON.parse(json);
  const out: Record<string, string> = {};
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return out;
  for (const [key, value] of Object.entries(parsed)) {
    out[key] = typeof value === "string" ? value : value === null ? "" : JSON.stringify(value);
  }
  return out;
}
