import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import { webhookEndpointView } from "./views.js";

/**
 * Stops an endpoint: no new deliveries, and its pending ones fail without being sent.
 * Disabling twice is harmless and changes nothing.
 */
export async function disableWebhookEndpoint(
  services: Services,
  ctx: WriteContext,
  input: { organisationId: string; endpointId: string },
) {
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    let q = tx
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("id", "=", input.endpointId)
      .where("organisation_id", "=", input.organisationId);
    if (services.store.capabilities.rowLocks) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw notFound("Webhook endpoint");
    if (row.status === "disabled") return webhookEndpointView(row);
    await tx.updateTable("webhook_endpoints").set({ status: "disabled" }).where("id", "=", row.id).execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "webhook_endpoint.disabled",
      subjectType: "webhook_endpoint",
      subjectId: row.id,
      organisationId: input.organisationId,
      summary: {},
      requestId: ctx.requestId,
      at: now,
    });
    return webhookEndpointView({ ...row, status: "disabled" });
  });
}
