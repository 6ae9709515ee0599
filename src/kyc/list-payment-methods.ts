import type { Db } from "../store/database.js";
import { type Page, type PageRequest, toPage } from "../store/pagination.js";
import { paymentMethodView } from "./views.js";

/** Payment methods of an account, oldest first; never their fingerprints. */
export async function listPaymentMethods(
  db: Db,
  accountId: string,
  page: PageRequest,
): Promise<Page<ReturnType<typeof paymentMethodView>>> {
  let q = db
    .selectFrom("payment_methods")
    .select(["id", "type", "label", "status", "created_at"])
    .where("account_id", "=", accountId);
  if (page.after) q = q.where("id", ">", page.after);
  const rows = await q
    .orderBy("id")
    .limit(page.limit + 1)
    .execute();
  const { items, nextCursor } = toPage(rows, page);
  return { items: items.map(paymentMethodView), nextCursor };
}
