import { verifyGatewayWebhook, type WebhookHeaders } from "../gateway/verify-gateway-webhook.js";
import type { Services, WriteContext } from "../shared/context.js";
import { inTransaction } from "../store/database.js";
import { applyGatewayRefund, PAYOUT_ACTORS } from "./apply-gateway-refund.js";
import { loadPayoutForUpdate } from "./load-payout.js";
import { parseIdempotencyKey } from "./payout-state.js";

/** `processed_webhooks.source` of the gateway's events. */
export const GATEWAY_WEBHOOK_SOURCE = "payment-gateway";

export interface GatewayWebhookDelivery {
  /** Exactly the bytes that were signed. */
  rawBody: string;
  headers: WebhookHeaders;
  requestId: string | null;
}

export type GatewayWebhookResult =
  | { duplicate: true }
  | { applied: true; payoutId: string; status: string }
  | { applied: false; payoutId: string | null; status: string | null; reason: string };

/**
 * A `refund.updated` event from the gateway. The signature is checked on the raw bytes before
 * anything is read; the event is recorded under its `webhook-id` in the same transaction as its
 * effect, so a redelivery changes nothing. Events may come late, twice or out of order: the payout
 * state machine only moves forward, so an old state is acknowledged and ignored. Events about
 * refunds we do not know are acknowledged too (2xx): the gateway would otherwise retry them forever.
 */
export async function receiveGatewayWebhook(
  services: Services,
  delivery: GatewayWebhookDelivery,
): Promise<GatewayWebhookResult> {
  const event = verifyGatewayWebhook(
    services.config.gatewayWebhookSecret,
    delivery.headers,
    delivery.rawBody,
  );
  const ctx: WriteContext = { actor: PAYOUT_ACTORS.gateway, requestId: delivery.requestId };
  const key = parseIdempotencyKey(event.refund.idempotencyKey);
  const now = services.clock.now().toISOString();

  return inTransaction(services.store, async (tx): Promise<GatewayWebhookResult> => {
    const recorded = await tx
      .insertInto("processed_webhooks")
      .values({ source: GATEWAY_WEBHOOK_SOURCE, message_id: event.id, received_at: now })
      .onConflict((oc) => oc.columns(["source", "message_id"]).doNothing())
      .executeTakeFirst();
    if (Number(recorded.numInsertedOrUpdatedRows ?? 0n) !== 1) return { duplicate: true };
    const payout = key ? await loadPayoutForUpdate(tx, services, key.payoutId) : null;
    if (!payout) return { applied: false, payoutId: null, status: null, reason: "unknown_refund" };
    const outcome = await applyGatewayRefund(tx, services, ctx, payout, event.refund, "webhook");
    return outcome.applied
      ? { applied: true, payoutId: payout.id, status: outcome.status }
      : { applied: false, payoutId: payout.id, status: outcome.status, reason: outcome.reason };
  });
}
