import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, conflict, notFound } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import { NOTIFICATION_MAX_ATTEMPTS } from "./notify-customer.js";
import { webhookDeliveryView } from "./views.js";

/**
 * Queues a failed delivery again, with the same id, payload and `webhook-id` (the receiver
 * can tell it is the same event) and a fresh round of attempts.
 */
export async function retryWebhookDelivery(
  services: Services,
  ctx: WriteContext,
  input: { organisationId: string; deliveryId: string },
) {
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    let q = tx
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("id", "=", input.deliveryId)
      .where("organisation_id", "=", input.organisationId);
    if (services.store.capabilities.rowLocks) q = q.forUpdate();
    const delivery = await q.executeTakeFirst();
    if (!delivery) throw notFound("Webhook delivery");
    if (delivery.status !== "failed")
      throw new AppError(
        "invalid_transition",
        `Only a failed delivery can be retried (it is ${delivery.status})`,
        {
          extensions: { currentState: delivery.status },
        },
      );
    const endpoint = await tx
      .selectFrom("webhook_endpoints")
      .select("status")
      .where("id", "=", delivery.endpoint_id)
      .executeTakeFirstOrThrow();
    if (endpoint.status !== "active") throw conflict("The webhook endpoint is disabled");

    await tx
      .updateTable("webhook_deliveries")
      .set({ status: "pending" })
      .where("id", "=", delivery.id)
      .execute();
    await enqueueJob(tx, {
      kind: "webhook.deliver",
      payload: { deliveryId: delivery.id },
      at: now,
      maxAttempts: NOTIFICATION_MAX_ATTEMPTS,
    });
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "webhook_delivery.retried",
      subjectType: "webhook_delivery",
      subjectId: delivery.id,
      organisationId: input.organisationId,
      summary: {
        endpointId: delivery.endpoint_id,
        eventType: delivery.event_type,
        attempts: delivery.attempts,
      },
      requestId: ctx.requestId,
      at: now,
    });
    const attempts = await tx
      .selectFrom("webhook_delivery_attempts")
      .selectAll()
      .where("delivery_id", "=", delivery.id)
      .orderBy("attempt")
      .execute();
    return webhookDeliveryView({ ...delivery, status: "pending" }, attempts);
  });
}
