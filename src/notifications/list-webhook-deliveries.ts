import { notFound } from "../shared/errors.js";
import type { Db } from "../store/database.js";
import { fetchPage, type PageRequest } from "../store/pagination.js";
import type { WebhookDeliveryAttemptTable } from "../store/schema.js";
import { webhookDeliveryView } from "./views.js";

/** An endpoint's delivery log, newest first, each delivery with its attempts. */
export async function listWebhookDeliveries(
  db: Db,
  input: { organisationId: string; endpointId: string },
  page: PageRequest,
) {
  const endpoint = await db
    .selectFrom("webhook_endpoints")
    .select("id")
    .where("id", "=", input.endpointId)
    .where("organisation_id", "=", input.organisationId)
    .executeTakeFirst();
  if (!endpoint) throw notFound("Webhook endpoint");
  const q = db.selectFrom("webhook_deliveries").selectAll().where("endpoint_id", "=", endpoint.id);
  // Newest first: the cursor is the last (oldest) id seen, so the next page is older still.
  const { items, nextCursor } = await fetchPage(q, "id", "desc", page);
  const attempts = items.length
    ? await db
        .selectFrom("webhook_delivery_attempts")
        .selectAll()
        .where(
          "delivery_id",
          "in",
          items.map((d) => d.id),
        )
        .orderBy("delivery_id")
        .orderBy("attempt")
        .execute()
    : [];
  const byDelivery = new Map<string, WebhookDeliveryAttemptTable[]>();
  for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
  return {
    items: items.map((d) => webhookDeliveryView(d, byDelivery.get(d.id) ?? [])),
    nextCursor,
  };
}
