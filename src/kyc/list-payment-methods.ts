import type { Db } from "../store/database.js";
import { fetchPage, type Page, type PageRequest } from "../store/pagination.js";
import { paymentMethodView } from "./views.js";

/** Payment methods of an account, oldest first; never their fingerprints. */
export async function listPaymentMethods(
  db: Db,
  accountId: string,
  page: PageRequest,
): Promise<Page<ReturnType<typeof paymentMethodView>>> {
  const q = db
    .selectFrom("payment_methods")
    .select(["id", "type", "label", "status", "created_at"])
    .where("account_id", "=", accountId);
  const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
  return { items: items.map(paymentMethodView), nextCursor };
}
