import { sql } from "kysely";
import { Money } from "../money/index.js";
import type { Services } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import type { Db, Tx } from "../store/database.js";
import type { ChargeTable } from "../store/schema.js";

/**
 * NOTE: the invariant "refunded + credited + requested ≤ billed" per charge. Every case that is not
 * withdrawn holds its `reserved_amount` against the charge (requested while open, granted once
 * decided, zero when denied); the remainder is what a new case may still ask for.
 */
export async function refundableRemainder(
  tx: Db,
  charge: Pick<ChargeTable, "id" | "billed_cost" | "billing_currency">,
  excludeCaseId?: string,
): Promise<Money> {
  const currency = charge.billing_currency ?? "USD";
  let q = tx
    .selectFrom("cases")
    .select("reserved_amount")
    .where("charge_id", "=", charge.id)
    .where("state", "<>", "withdrawn");
  if (excludeCaseId) q = q.where("id", "<>", excludeCaseId);
  const held = Money.sum(
    (await q.execute()).map((r) => Money.of(r.reserved_amount, currency)),
    currency,
  );
  const billed = Money.of(charge.billed_cost ?? "0", currency);
  const remainder = billed.minus(held);
  return remainder.isNegative() ? Money.zero(currency) : remainder;
}

/**
 * Reads a charge for a write that reserves part of it. On PostgreSQL the row lock makes two
 * concurrent requests on one charge queue up, so both cannot pass the remainder check.
 */
export async function loadChargeForUpdate(
  tx: Tx,
  services: Services,
  chargeId: string,
): Promise<ChargeTable> {
  const lock = services.store.capabilities.rowLocks ? sql`for update` : sql``;
  const result = await sql<ChargeTable>`select * from charges where id = ${chargeId} ${lock}`.execute(tx);
  const row = result.rows[0];
  if (!row) throw notFound("Charge");
  return row;
}
