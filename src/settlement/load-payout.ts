import { sql } from "kysely";
import type { Services } from "../shared/context.js";
import type { Tx } from "../store/database.js";
import type { PayoutTable } from "../store/schema.js";

/** Reads a payout for a write; on PostgreSQL the row stays locked until the transaction ends. */
export async function loadPayoutForUpdate(
  tx: Tx,
  services: Services,
  payoutId: string,
): Promise<PayoutTable | null> {
  const lock = services.store.capabilities.rowLocks ? sql`for update` : sql``;
  const result = await sql<PayoutTable>`select * from payouts where id = ${payoutId} ${lock}`.execute(tx);
  return result.rows[0] ?? null;
}
