/**
 * §7 unused_prepaid_credit (docs/audit-rules.md): a prepaid commitment is a claimable Purchase charge
 * with a CommitmentDiscountId; its term is its charge period. Once the term has ended
 * (ChargePeriodEnd ≤ --as-of), the unused part is the sum of EffectiveCost of the rows with that
 * CommitmentDiscountId and CommitmentDiscountStatus = Unused; amount = unused part ×
 * policy.prepaid.refundablePercent / 100, capped by the purchase's BilledCost.
 *
 * NOTE (our reading, see docs/audit-rules.md §7): only Unused rows whose charge period starts within
 * the purchase's term count, in the purchase's currency, and a Recurring purchase (a commitment paid
 * as it goes, not prepaid) is not a prepaid commitment.
 */
import { Dec, Money, parseDecimal } from "../../money/index.js";
import { type Candidate, plain } from "../candidate.js";
import { type ChargeFact, chargeFactColumns, compareCharges, readChargeFact } from "../charge-fact.js";
import { KIND_RULES } from "../kinds.js";
import { claimable, readRows, str, timestampLiteral } from "../sql.js";
import type { DetectorContext } from "./context.js";

export function unusedPrepaidSql(asOf: bigint): string {
  const within = (p: string, u: string) =>
    `${u}.CommitmentDiscountId = ${p}.CommitmentDiscountId AND ${u}.BillingCurrency = ${p}.BillingCurrency
    AND ${u}.ChargePeriodStart >= ${p}.ChargePeriodStart AND ${u}.ChargePeriodStart < ${p}.ChargePeriodEnd`;
  // Purchases are few, and so are the Unused rows of their commitments: both are read once from
  // `charges` and every join after that is between small sets.
  return `WITH purchases AS MATERIALIZED (
  SELECT c.*, row_number() OVER () AS pid
  FROM charges c
  WHERE ${claimable("c")} AND c.ChargeCategory = 'Purchase' AND c.CommitmentDiscountId IS NOT NULL
    AND c.ChargeFrequency IS DISTINCT FROM 'Recurring'
    AND c.ChargePeriodEnd <= ${timestampLiteral(asOf)}
), unused AS MATERIALIZED (
  SELECT u.* FROM charges u
  WHERE u.CommitmentDiscountStatus = 'Unused'
    AND u.CommitmentDiscountId IN (SELECT CommitmentDiscountId FROM purchases)
), totals AS (
  SELECT p.pid FROM purchases p JOIN unused u ON ${within("p", "u")}
  GROUP BY p.pid
  HAVING sum(u.EffectiveCost) > 0
)
SELECT CAST(p.pid AS VARCHAR) AS pid, ${chargeFactColumns("p", "p_")}, ${chargeFactColumns("u", "u_")}
FROM purchases p JOIN totals t ON t.pid = p.pid JOIN unused u ON ${within("p", "u")}`;
}

export async function detectUnusedPrepaidCredit(context: DetectorContext): Promise<Candidate[]> {
  const groups = new Map<string, { purchase: ChargeFact; unused: ChargeFact[] }>();
  for (const row of await readRows(context.connection, unusedPrepaidSql(context.asOf))) {
    const pid = str(row, "pid");
    const group = groups.get(pid) ?? { purchase: readChargeFact(row, "p_"), unused: [] };
    group.unused.push(readChargeFact(row, "u_"));
    groups.set(pid, group);
  }
  const percent = parseDecimal(context.policy.prepaid.refundablePercent, "refundablePercent");
  const out: Candidate[] = [];
  for (const { purchase, unused } of groups.values()) {
    unused.sort(compareCharges);
    const currency = purchase.currency;
    const part = unused.reduce((sum, u) => sum.plus(u.effectiveCost ?? 0), new Dec(0));
    if (!part.greaterThan(0)) continue;
    const billed = Money.of(plain(purchase.billedCost), currency);
    const refundable = Money.of(plain(part), currency).times(percent).dividedBy("100");
    out.push({
      kind: "unused_prepaid_credit",
      accountId: purchase.accountId,
      currency,
      charges: [purchase, ...unused],
      amount: Money.min(refundable, billed),
      evidence: [],
      clauses: [KIND_RULES.unused_prepaid_credit.clause],
      outcome: KIND_RULES.unused_prepaid_credit.outcome,
      serviceName: purchase.serviceName,
      regionId: purchase.regionId,
      resourceId: purchase.resourceId,
      figures: {
        commitmentDiscountId: purchase.commitmentDiscountId!,
        unusedPart: plain(part),
        refundablePercent: plain(percent),
        purchaseCost: billed.amount,
      },
      window: { type: "prepaid", termEnd: purchase.end },
      facts: {
        kind: "unused_prepaid_credit",
        commitmentId: purchase.commitmentDiscountId!,
        unusedPart: plain(part),
        refundablePercent: plain(percent),
        unusedRows: unused.length,
      },
    });
  }
  return out;
}
