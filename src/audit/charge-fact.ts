/**
 * One charge row as a detector hands it to the shared steps: its source reference, the keys that
 * corrections are matched on, and the exact values (decimal.js) the amounts are computed from.
 */
import { type Dec, parseDecimal } from "../money/index.js";
import { accountOf, optStr, type SqlRow, str } from "./sql.js";
import { parseSqlTimestamp } from "./time.js";

export interface ChargeFact {
  /** `FILE:LINE` / `FILE:ROW`, as findings cite it. */
  ref: string;
  file: string;
  line: number;
  accountId: string;
  currency: string;
  billedCost: Dec;
  effectiveCost: Dec | null;
  listCost: Dec | null;
  contractedUnitPrice: Dec | null;
  pricingQuantity: Dec | null;
  pricingUnit: string | null;
  providerName: string | null;
  serviceName: string | null;
  regionId: string | null;
  resourceId: string | null;
  skuId: string | null;
  chargeCategory: string | null;
  chargeFrequency: string | null;
  chargeDescription: string | null;
  commitmentDiscountId: string | null;
  /** ChargePeriodStart / End, microseconds since the epoch (UTC). */
  start: bigint;
  end: bigint;
}

/**
 * SELECT list of a charge's facts from alias `a`, every column prefixed with `p` (so a query can also
 * return evidence columns). Exact values are cast to VARCHAR.
 */
export function chargeFactColumns(a: string, p = "c_"): string {
  const text = (column: string, name = column) => `${a}.${column} AS ${p}${name}`;
  const cast = (column: string, name = column) => `CAST(${a}.${column} AS VARCHAR) AS ${p}${name}`;
  return [
    text("x_SourceRef", "ref"),
    text("x_SourceFile", "file"),
    cast("x_SourceLine", "line"),
    `${accountOf(a)} AS ${p}account`,
    text("BillingCurrency", "currency"),
    cast("BilledCost"),
    cast("EffectiveCost"),
    cast("ListCost"),
    cast("ContractedUnitPrice"),
    cast("PricingQuantity"),
    text("PricingUnit"),
    text("ProviderName"),
    text("ServiceName"),
    text("RegionId"),
    text("ResourceId"),
    text("SkuId"),
    text("ChargeCategory"),
    text("ChargeFrequency"),
    text("ChargeDescription"),
    text("CommitmentDiscountId"),
    cast("ChargePeriodStart"),
    cast("ChargePeriodEnd"),
  ].join(",\n  ");
}

const optDec = (row: SqlRow, key: string): Dec | null => {
  const v = optStr(row, key);
  return v === null ? null : parseDecimal(v, key);
};

export function readChargeFact(row: SqlRow, p = "c_"): ChargeFact {
  return {
    ref: str(row, `${p}ref`),
    file: str(row, `${p}file`),
    line: Number(str(row, `${p}line`)),
    accountId: str(row, `${p}account`),
    currency: str(row, `${p}currency`),
    billedCost: parseDecimal(str(row, `${p}BilledCost`), "BilledCost"),
    effectiveCost: optDec(row, `${p}EffectiveCost`),
    listCost: optDec(row, `${p}ListCost`),
    contractedUnitPrice: optDec(row, `${p}ContractedUnitPrice`),
    pricingQuantity: optDec(row, `${p}PricingQuantity`),
    pricingUnit: optStr(row, `${p}PricingUnit`),
    providerName: optStr(row, `${p}ProviderName`),
    serviceName: optStr(row, `${p}ServiceName`),
    regionId: optStr(row, `${p}RegionId`),
    resourceId: optStr(row, `${p}ResourceId`),
    skuId: optStr(row, `${p}SkuId`),
    chargeCategory: optStr(row, `${p}ChargeCategory`),
    chargeFrequency: optStr(row, `${p}ChargeFrequency`),
    chargeDescription: optStr(row, `${p}ChargeDescription`),
    commitmentDiscountId: optStr(row, `${p}CommitmentDiscountId`),
    start: parseSqlTimestamp(str(row, `${p}ChargePeriodStart`)),
    end: parseSqlTimestamp(str(row, `${p}ChargePeriodEnd`)),
  };
}

/** Reference order: file name, then line (or row) number as a number. */
export function compareCharges(a: ChargeFact, b: ChargeFact): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line;
}

/** Reference order on `FILE:LINE` strings (the part after the last colon is the number). */
export function compareRefs(a: string, b: string): number {
  const i = a.lastIndexOf(":");
  const j = b.lastIndexOf(":");
  const fa = a.slice(0, i);
  const fb = b.slice(0, j);
  if (fa !== fb) return fa < fb ? -1 : 1;
  const la = Number(a.slice(i + 1));
  const lb = Number(b.slice(j + 1));
  if (Number.isNaN(la) || Number.isNaN(lb)) return a < b ? -1 : a > b ? 1 : 0;
  return la - lb;
}

/** Identity of the row a correction or credit must share with a claimed charge (docs/audit-rules.md). */
export function correctionKey(f: {
  accountId: string;
  currency: string;
  resourceId: string | null;
  skuId: string | null;
  start: bigint;
}): string {
  const n = (v: string | null) => (v === null ? "\u0001" : `=${v}`);
  return [f.accountId, f.currency, n(f.resourceId), n(f.skuId), String(f.start)].join("\u0000");
}
