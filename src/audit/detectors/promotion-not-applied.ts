/**
 * §5 promotion_not_applied (docs/audit-rules.md). Promotions are few and read whole; their scope
 * (account, services, regions, validity) is joined to the charges in one query per kind of promotion.
 *
 * - Percentage promotions: a claimable Usage charge with a ListCost billed above
 *   `ListCost × (1 − discountPercent / 100)`; the comparison is exact in SQL (see `keep` below) and
 *   repeated in JavaScript. One finding per charge; when several promotions apply to one charge, the
 *   one promising the largest discount (NOTE: discounts do not stack).
 * - Credit promotions: unspent = creditAmount − the Credit rows that name the promotion
 *   (`x_PromotionId`) or its code (in ChargeDescription); amount = the smaller of the unspent part and
 *   the applicable charges' total, one finding listing those charges.
 */
import { Dec, Money, parseDecimal } from "../../money/index.js";
import { type Candidate, plain } from "../candidate.js";
import { type ChargeFact, chargeFactColumns, compareCharges, readChargeFact } from "../charge-fact.js";
import type { EvidenceRef } from "../finding.js";
import { KIND_RULES } from "../kinds.js";
import {
  accountOf,
  claimable,
  optStr,
  q,
  readRows,
  sqlString,
  str,
  strList,
  timestampLiteral,
} from "../sql.js";
import { earlier, parseSqlTimestamp } from "../time.js";
import type { DetectorContext } from "./context.js";

export interface PromotionRow {
  index: number;
  ref: string;
  promotionId: string;
  code: string | null;
  accountId: string;
  serviceNames: string[];
  regionIds: string[];
  discountPercent: string | null;
  creditAmount: string | null;
  currency: string | null;
  validFrom: bigint;
  validTo: bigint;
}

const PROMOTIONS_SQL = `SELECT x_SourceRef AS ref, ${q("promotionId")} AS id, ${q("code")} AS code,
  ${q("accountId")} AS account, ${q("serviceNames")} AS services, ${q("regionIds")} AS regions,
  CAST(${q("discountPercent")} AS VARCHAR) AS discount, CAST(${q("creditAmount")} AS VARCHAR) AS credit,
  ${q("currency")} AS currency,
  CAST(${q("validFrom")} AS VARCHAR) AS valid_from, CAST(${q("validTo")} AS VARCHAR) AS valid_to
FROM promotions
ORDER BY ${q("promotionId")}, x_SourceRef`;

/** The share of the list price a percentage promotion leaves to pay: (100 − p) / 100, exact. */
function keepShare(discountPercent: string): Dec {
  return new Dec(100).minus(parseDecimal(discountPercent, "discountPercent")).dividedBy(100);
}

/**
 * `keep` as an integer ratio `num / den` (BIGINT literals), so that `BilledCost > ListCost × keep` is
 * decided exactly as `BilledCost × den > ListCost × num`: a 128-bit decimal times an integer is cheap
 * in DuckDB, where narrowing it is not. NULLs (a percentage with more than 6 decimals) send the
 * comparison to JavaScript.
 */
function keepRatio(discountPercent: string): string {
  const percent = parseDecimal(discountPercent, "discountPercent");
  const places = percent.decimalPlaces();
  if (places > 6) return "CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)";
  const scale = new Dec(10).pow(places);
  const num = new Dec(100).minus(percent).times(scale);
  const den = new Dec(100).times(scale);
  return `CAST(${num.toFixed(0)} AS BIGINT), CAST(${den.toFixed(0)} AS BIGINT)`;
}

/**
 * Promotions as a VALUES table `p`, one row per service and region they name (NULL: any), so that a
 * charge joins its promotions on equality of account, service and region plus the validity range.
 * A charge matches at most one row of each promotion.
 */
function scopeCte(
  promotions: readonly PromotionRow[],
  extra: (p: PromotionRow) => string,
  extraName: string,
): string {
  const text = (v: string | null) => (v === null ? "CAST(NULL AS VARCHAR)" : sqlString(v));
  const values = promotions.flatMap((p) =>
    (p.serviceNames.length === 0 ? [null] : p.serviceNames).flatMap((service) =>
      (p.regionIds.length === 0 ? [null] : p.regionIds).map(
        (region) =>
          `(${p.index}, ${sqlString(p.accountId)}, ${timestampLiteral(p.validFrom)}, ${timestampLiteral(p.validTo)}, ` +
          `${text(service)}, ${text(region)}, ${extra(p)})`,
      ),
    ),
  );
  return `p AS (
  SELECT * FROM (VALUES ${values.join(",\n    ")}) AS p(pid, account, valid_from, valid_to, service, region, ${extraName})
)`;
}

/** Claimable Usage charges within each promotion's account, services, regions and validity. */
const IN_SCOPE = `${accountOf("c")} = p.account
  AND c.ChargePeriodStart >= p.valid_from AND c.ChargePeriodStart < p.valid_to
  AND (p.service IS NULL OR p.service = c.ServiceName)
  AND (p.region IS NULL OR p.region = c.RegionId)`;

const CLAIMABLE_USAGE = `${claimable("c")} AND c.ChargeCategory = 'Usage'`;

export function percentPromotionSql(promotions: readonly PromotionRow[]): string {
  // TRY (DuckDB): a product beyond 38 digits gives NULL, and the row is left to JavaScript.
  return `WITH ${scopeCte(promotions, (p) => keepRatio(p.discountPercent!), "keep_num, keep_den")}
SELECT CAST(p.pid AS VARCHAR) AS pid, ${chargeFactColumns("c")}
FROM charges c JOIN p ON ${IN_SCOPE}
WHERE ${CLAIMABLE_USAGE} AND c.ListCost IS NOT NULL
  AND COALESCE(TRY(c.BilledCost * p.keep_den > c.ListCost * p.keep_num), TRUE)`;
}

export function creditSpentSql(promotions: readonly PromotionRow[]): string {
  const values = promotions.map(
    (p) =>
      `(${p.index}, ${sqlString(p.accountId)}, ${sqlString(p.promotionId)}, ${p.code === null ? "CAST(NULL AS VARCHAR)" : sqlString(p.code)}, ` +
      `${p.currency === null ? "CAST(NULL AS VARCHAR)" : sqlString(p.currency)})`,
  );
  // json_extract_string is DuckDB's JSON accessor: x_Extensions holds the source's extra columns.
  return `WITH p AS (
  SELECT * FROM (VALUES ${values.join(", ")}) AS p(pid, account, promotion_id, code, currency)
)
SELECT CAST(p.pid AS VARCHAR) AS pid, CAST(sum(c.BilledCost) AS VARCHAR) AS spent
FROM charges c JOIN p ON ${accountOf("c")} = p.account
WHERE c.ChargeCategory = 'Credit'
  AND (p.currency IS NULL OR c.BillingCurrency = p.currency)
  AND (json_extract_string(c.x_Extensions, '$.x_PromotionId') = p.promotion_id
    OR (p.code IS NOT NULL AND position(p.code IN c.ChargeDescription) > 0))
GROUP BY p.pid`;
}

export function creditScopeSql(promotions: readonly PromotionRow[]): string {
  const currency = (p: PromotionRow) =>
    p.currency === null ? "CAST(NULL AS VARCHAR)" : sqlString(p.currency);
  return `WITH ${scopeCte(promotions, currency, "currency")}
SELECT CAST(p.pid AS VARCHAR) AS pid, ${chargeFactColumns("c")}
FROM charges c JOIN p ON ${IN_SCOPE}
WHERE ${CLAIMABLE_USAGE} AND (p.currency IS NULL OR c.BillingCurrency = p.currency)`;
}

/** DECIMAL text as DuckDB writes it (`20.000000000000000000`) in its plain form (`20`). */
const exact = (text: string | null): string | null =>
  text === null ? null : plain(parseDecimal(text, "decimal"));

export async function readPromotions(context: DetectorContext): Promise<PromotionRow[]> {
  const rows = await readRows(context.connection, PROMOTIONS_SQL);
  return rows.map((r, index) => ({
    index,
    ref: str(r, "ref"),
    promotionId: str(r, "id"),
    code: optStr(r, "code"),
    accountId: str(r, "account"),
    serviceNames: strList(r, "services"),
    regionIds: strList(r, "regions"),
    discountPercent: exact(optStr(r, "discount")),
    creditAmount: exact(optStr(r, "credit")),
    currency: optStr(r, "currency"),
    validFrom: parseSqlTimestamp(str(r, "valid_from")),
    validTo: parseSqlTimestamp(str(r, "valid_to")),
  }));
}

function promotionEvidence(p: PromotionRow): EvidenceRef {
  return { type: "promotion", ref: p.ref, promotionId: p.promotionId };
}

async function percentFindings(context: DetectorContext, promotions: PromotionRow[]): Promise<Candidate[]> {
  if (promotions.length === 0) return [];
  const rows = await readRows(context.connection, percentPromotionSql(promotions));
  const byIndex = new Map(promotions.map((p) => [p.index, p]));
  const best = new Map<string, Candidate>();
  for (const row of rows) {
    const p = byIndex.get(Number(str(row, "pid")))!;
    const fact = readChargeFact(row);
    const keep = keepShare(p.discountPercent!);
    const promised = Money.of(plain(fact.listCost!), fact.currency).times(keep);
    const over = Money.of(plain(fact.billedCost), fact.currency).minus(promised);
    if (!over.isPositive()) continue;
    const key = `${fact.ref}\u0000${fact.start}`;
    const previous = best.get(key);
    if (previous !== undefined && !over.greaterThan(previous.amount)) continue;
    best.set(key, {
      kind: "promotion_not_applied",
      accountId: fact.accountId,
      currency: fact.currency,
      charges: [fact],
      amount: over,
      evidence: [promotionEvidence(p)],
      clauses: [KIND_RULES.promotion_not_applied.clause],
      outcome: KIND_RULES.promotion_not_applied.outcome,
      serviceName: fact.serviceName,
      regionId: fact.regionId,
      resourceId: fact.resourceId,
      figures: {
        promotionId: p.promotionId,
        discountPercent: p.discountPercent!,
        listCost: plain(fact.listCost!),
        promisedCost: promised.amount,
        billedCost: plain(fact.billedCost),
      },
      window: { type: "after_charge", end: fact.end },
      facts: {
        kind: "promotion_not_applied",
        credit: false,
        promotionId: p.promotionId,
        code: p.code,
        discountPercent: p.discountPercent!,
        listCost: plain(fact.listCost!),
        promisedCost: promised.amount,
        validFrom: p.validFrom,
        validTo: p.validTo,
      },
    });
  }
  return [...best.values()];
}

async function creditFindings(context: DetectorContext, promotions: PromotionRow[]): Promise<Candidate[]> {
  if (promotions.length === 0) return [];
  const spent = new Map<number, Dec>();
  for (const row of await readRows(context.connection, creditSpentSql(promotions))) {
    // Credits are negative: what was spent is minus their sum.
    spent.set(Number(str(row, "pid")), parseDecimal(str(row, "spent"), "spent").negated());
  }
  const open = promotions.filter((p) => {
    const unspent = parseDecimal(p.creditAmount!, "creditAmount").minus(spent.get(p.index) ?? 0);
    return unspent.greaterThan(0);
  });
  if (open.length === 0) return [];
  const byIndex = new Map(promotions.map((p) => [p.index, p]));
  const groups = new Map<string, { p: PromotionRow; charges: ChargeFact[] }>();
  for (const row of await readRows(context.connection, creditScopeSql(open))) {
    const p = byIndex.get(Number(str(row, "pid")))!;
    const fact = readChargeFact(row);
    // NOTE: a credit promotion without a currency is read in the currency of the charges it covers.
    const key = `${p.index}\u0000${fact.currency}`;
    const group = groups.get(key) ?? { p, charges: [] };
    group.charges.push(fact);
    groups.set(key, group);
  }
  const out: Candidate[] = [];
  for (const { p, charges } of groups.values()) {
    charges.sort(compareCharges);
    const first = charges[0]!;
    const currency = first.currency;
    const spentAmount = Money.of(plain(spent.get(p.index) ?? new Dec(0)), currency);
    const unspent = Money.of(p.creditAmount!, currency).minus(spentAmount);
    const total = Money.sum(
      charges.map((c) => Money.of(plain(c.billedCost), currency)),
      currency,
    );
    const services = new Set(charges.map((c) => c.serviceName));
    const regions = new Set(charges.map((c) => c.regionId));
    const resources = new Set(charges.map((c) => c.resourceId));
    out.push({
      kind: "promotion_not_applied",
      accountId: p.accountId,
      currency,
      charges,
      amount: Money.min(unspent, total),
      evidence: [promotionEvidence(p)],
      clauses: [KIND_RULES.promotion_not_applied.clause],
      outcome: KIND_RULES.promotion_not_applied.outcome,
      serviceName: services.size === 1 ? first.serviceName : null,
      regionId: regions.size === 1 ? first.regionId : null,
      resourceId: resources.size === 1 ? first.resourceId : null,
      figures: {
        promotionId: p.promotionId,
        creditAmount: p.creditAmount!,
        creditSpent: spentAmount.amount,
        creditUnspent: unspent.amount,
        chargesTotal: total.amount,
      },
      window: { type: "after_charge", end: charges.reduce((m, c) => earlier(m, c.end), first.end) },
      facts: {
        kind: "promotion_not_applied",
        credit: true,
        promotionId: p.promotionId,
        code: p.code,
        creditAmount: p.creditAmount!,
        spent: spentAmount.amount,
        unspent: unspent.amount,
        chargesTotal: total.amount,
        validFrom: p.validFrom,
        validTo: p.validTo,
      },
    });
  }
  return out;
}

export async function detectPromotionsNotApplied(context: DetectorContext): Promise<Candidate[]> {
  if (!context.tables.has("promotions")) return [];
  const promotions = await readPromotions(context);
  return [
    ...(await percentFindings(
      context,
      promotions.filter((p) => p.discountPercent !== null),
    )),
    ...(await creditFindings(
      context,
      promotions.filter((p) => p.discountPercent === null && p.creditAmount !== null),
    )),
  ];
}
