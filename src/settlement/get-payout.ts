import { notFound } from "../shared/errors.js";
import type { Db } from "../store/database.js";
import { payoutDetailView } from "./views.js";

/** One payout for finance: its case, each attempt's history (from the audit log), credit, ledger, tasks. */
export async function getPayout(db: Db, payoutId: string): Promise<ReturnType<typeof payoutDetailView>> {
  const payout = await db.selectFrom("payouts").selectAll().where("id", "=", payoutId).executeTakeFirst();
  if (!payout) throw notFound("Payout");
  const [row, history, credit, entries, tasks] = await Promise.all([
    db.selectFrom("cases").selectAll().where("id", "=", payout.case_id).executeTakeFirstOrThrow(),
    db
      .selectFrom("audit_log")
      .selectAll()
      .where("subject_type", "=", "payout")
      .where("subject_id", "=", payout.id)
      .orderBy("seq")
      .execute(),
    db
      .selectFrom("credit_grants")
      .selectAll()
      .where("payout_id", "=", payout.id)
      .where("source", "=", "payout_fallback")
      .executeTakeFirst(),
    db
      .selectFrom("journal_entries")
      .selectAll()
      // By posting key (unique, indexed): the decision's reversal and what the payout itself posted.
      .where("posting_key", "in", [
        `decision:${payout.decision_id}:refund`,
        `payout:${payout.id}:paid`,
        `payout:${payout.id}:credited`,
      ])
      .orderBy("created_at")
      .orderBy("id")
      .execute(),
    db.selectFrom("finance_tasks").selectAll().where("payout_id", "=", payout.id).orderBy("id").execute(),
  ]);
  return payoutDetailView(payout, row, history, credit ?? null, entries, tasks);
}
