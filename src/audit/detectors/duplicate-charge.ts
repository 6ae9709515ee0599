/**
 * §1 duplicate_charge (docs/audit-rules.md): claimable Usage or Purchase charges equal in account,
 * sub-account, resource, SKU, charge period, category, pricing quantity and billed cost (nulls equal
 * to nulls), at least two of them. Amount: BilledCost × (n − 1).
 */
import { Money } from "../../money/index.js";
import type { Candidate } from "../candidate.js";
import { plain } from "../candidate.js";
import { type ChargeFact, chargeFactColumns, compareCharges, readChargeFact } from "../charge-fact.js";
import { KIND_RULES } from "../kinds.js";
import { claimable, optStr, readRows } from "../sql.js";
import type { DetectorContext } from "./context.js";

/**
 * The columns that make two charges copies of each other. BillingCurrency is part of the key too: a
 * finding is in one currency (NOTE: docs/audit-rules.md "Common rules").
 */
const KEY_COLUMNS = [
  "BillingAccountId",
  "SubAccountId",
  "ResourceId",
  "SkuId",
  "ChargePeriodStart",
  "ChargePeriodEnd",
  "ChargeCategory",
  "PricingQuantity",
  "BilledCost",
  "BillingCurrency",
] as const;

const ELIGIBLE = (a: string) => `${claimable(a)} AND ${a}.ChargeCategory IN ('Usage', 'Purchase')`;

/**
 * Groups are found on a 64-bit hash of the key (one cheap aggregate over the whole table), then the
 * rows of repeated hashes are read back and grouped on the exact key in JavaScript, so a hash
 * collision can only add a candidate, never lose one. `hash` is DuckDB's; warehouses have their own
 * (FARM_FINGERPRINT, HASH).
 */
export function duplicateChargeSql(): string {
  const key = (a: string) => `hash(${KEY_COLUMNS.map((c) => `${a}.${c}`).join(", ")})`;
  return `WITH repeated AS (
  SELECT ${key("c")} AS h
  FROM charges c
  WHERE ${ELIGIBLE("c")}
  GROUP BY 1
  HAVING count(*) > 1
)
SELECT
  ${chargeFactColumns("c")},
  c.BillingAccountId AS k_billing,
  c.SubAccountId AS k_sub
FROM charges c
WHERE ${ELIGIBLE("c")} AND ${key("c")} IN (SELECT h FROM repeated)`;
}

function exactKey(f: ChargeFact, billing: string | null, sub: string | null): string {
  const n = (v: string | null) => (v === null ? "\u0001" : `=${v}`);
  return [
    n(billing),
    n(sub),
    n(f.resourceId),
    n(f.skuId),
    String(f.start),
    String(f.end),
    n(f.chargeCategory),
    f.pricingQuantity === null ? "\u0001" : f.pricingQuantity.toFixed(),
    f.billedCost.toFixed(),
    f.currency,
  ].join("\u0000");
}

export async function detectDuplicateCharges(context: DetectorContext): Promise<Candidate[]> {
  const rows = await readRows(context.connection, duplicateChargeSql());
  const groups = new Map<string, ChargeFact[]>();
  for (const row of rows) {
    const fact = readChargeFact(row);
    const key = exactKey(fact, optStr(row, "k_billing"), optStr(row, "k_sub"));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [fact]);
    else group.push(fact);
  }
  const out: Candidate[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const charges = group.sort(compareCharges);
    const first = charges[0]!;
    const each = Money.of(plain(first.billedCost), first.currency);
    out.push({
      kind: "duplicate_charge",
      accountId: first.accountId,
      currency: first.currency,
      charges,
      amount: each.times(String(charges.length - 1)),
      evidence: [],
      clauses: [KIND_RULES.duplicate_charge.clause],
      outcome: KIND_RULES.duplicate_charge.outcome,
      serviceName: first.serviceName,
      regionId: first.regionId,
      resourceId: first.resourceId,
      figures: { copies: String(charges.length), billedCostEach: each.amount },
      window: { type: "after_charge", end: first.end },
      facts: { kind: "duplicate_charge", copies: charges.length },
    });
  }
  return out;
}
