/**
 * §6 rate_above_contract (docs/audit-rules.md): a claimable charge with a ContractedUnitPrice and a
 * positive PricingQuantity whose billed unit price BilledCost / PricingQuantity exceeds the contracted
 * one; commitment-covered rows (PricingCategory = Committed) are left out. The test
 * `BilledCost > ContractedUnitPrice × PricingQuantity` runs exactly in SQL (see below) and is
 * repeated exactly in JavaScript. Amount: (BilledCost / PricingQuantity − ContractedUnitPrice) ×
 * PricingQuantity, i.e. BilledCost − ContractedUnitPrice × PricingQuantity.
 */
import { Money } from "../../money/index.js";
import { type Candidate, plain } from "../candidate.js";
import { chargeFactColumns, readChargeFact } from "../charge-fact.js";
import { KIND_RULES } from "../kinds.js";
import { claimable, readRows } from "../sql.js";
import type { DetectorContext } from "./context.js";

const ELIGIBLE = `${claimable("c")}
  AND c.ContractedUnitPrice IS NOT NULL AND c.PricingQuantity > 0
  AND c.PricingCategory IS DISTINCT FROM 'Committed'`;

/**
 * `ContractedUnitPrice × PricingQuantity` cannot be multiplied as DECIMAL(38,18) (the product overflows
 * 38 digits), and narrowing a 128-bit decimal is slow per value. So each distinct price and each
 * distinct quantity is narrowed once, to DECIMAL(18,9) when that is exact (NULL otherwise), and the
 * rows are compared with the exact 64-bit product; a row whose price or quantity does not narrow
 * exactly stays a candidate and JavaScript decides it.
 */
export function rateAboveContractSql(): string {
  const narrowed = (
    column: string,
  ) => `SELECT v, CASE WHEN TRY_CAST(v AS DECIMAL(18,9)) = v THEN TRY_CAST(v AS DECIMAL(18,9)) END AS s
  FROM (SELECT DISTINCT c.${column} AS v FROM charges c WHERE ${ELIGIBLE}) AS d`;
  return `WITH prices AS MATERIALIZED (
  ${narrowed("ContractedUnitPrice")}
), quantities AS MATERIALIZED (
  ${narrowed("PricingQuantity")}
)
SELECT ${chargeFactColumns("c")}
FROM charges c
  JOIN prices p ON p.v = c.ContractedUnitPrice
  JOIN quantities n ON n.v = c.PricingQuantity
WHERE ${ELIGIBLE}
  AND (p.s IS NULL OR n.s IS NULL OR c.BilledCost > p.s * n.s)`;
}

export async function detectRateAboveContract(context: DetectorContext): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const row of await readRows(context.connection, rateAboveContractSql())) {
    const fact = readChargeFact(row);
    const quantity = fact.pricingQuantity!;
    const contracted = fact.contractedUnitPrice!;
    const billed = Money.of(plain(fact.billedCost), fact.currency);
    const over = billed.minus(Money.of(plain(contracted), fact.currency).times(quantity));
    if (!over.isPositive()) continue;
    out.push({
      kind: "rate_above_contract",
      accountId: fact.accountId,
      currency: fact.currency,
      charges: [fact],
      amount: over,
      evidence: [],
      clauses: [KIND_RULES.rate_above_contract.clause],
      outcome: KIND_RULES.rate_above_contract.outcome,
      serviceName: fact.serviceName,
      regionId: fact.regionId,
      resourceId: fact.resourceId,
      figures: {
        unitPriceBilled: billed.dividedBy(quantity).amount,
        unitPriceContracted: plain(contracted),
        billedQuantity: plain(quantity),
        unit: fact.pricingUnit ?? "",
        billedCost: billed.amount,
      },
      window: { type: "after_charge", end: fact.end },
      facts: {
        kind: "rate_above_contract",
        unitPriceBilled: billed.dividedBy(quantity).amount,
        unitPriceContracted: plain(contracted),
        quantity: plain(quantity),
        unit: fact.pricingUnit,
      },
    });
  }
  return out;
}
