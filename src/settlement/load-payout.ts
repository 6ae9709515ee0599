import { sql } from "kysely";
import type { Services } from "../shared/context.js";
import type { Tx } from "../store/database.js";
import type { PayoutTable } from "../store/schema.js";

/**
 * Reads a payout for a write, first thing in a transaction. On PostgreSQL the row stays locked
 * until the transaction ends. SQLite has no row locks: a no-op write takes the database's write
 * lock up front (waiting for it as long as the busy timeout allows), as `BEGIN IMMEDIATE` would,
 * so that a transaction that read first cannot lose its upgrade to a writer in another process.
 */
export async function loadPayoutForUpdate(
  tx: Tx,
  services: Services,
  payoutId: string,
): Promise<PayoutTable | null> {
  if (services.store.capabilities.rowLocks) {
    const result = await sql<PayoutTable>`select * from payouts where id = ${payoutId} for update`.execute(
      tx,
    );
    return result.rows[0] ?? null;
  }
  await sql`update payouts set version = version where id = ${payoutId}`.execute(tx);
  return (await tx.selectFrom("payouts").selectAll().where("id", "=", payoutId).executeTakeFirst()) ?? null;
}
