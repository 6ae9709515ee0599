import http from "node:http";
import https from "node:https";
import { performance } from "node:perf_hooks";
import { Webhook } from "standardwebhooks";
import type { JobHandler } from "../jobs/worker.js";
import type { Services } from "../shared/context.js";
import { inTransaction } from "../store/database.js";
import type { WebhookDeliveryTable, WebhookEndpointTable } from "../store/schema.js";
import { openEndpointSecret } from "./endpoint-secret.js";
import { publicOnlyLookup, webhookUrlError } from "./webhook-url.js";

export const WEBHOOK_USER_AGENT = "RefundDesk-Webhooks/1";
export const WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_ERROR_LENGTH = 500;

interface AttemptResult {
  statusCode: number | null;
  error: string | null;
}

/**
 * One POST: no redirect is followed (node:http never does), the whole exchange is bounded by
 * the timeout, and unless private networks are allowed the connection may only go to a
 * public address, checked when the host is resolved for the connection itself.
 */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  allowPrivateNetworks: boolean,
): Promise<number> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        // A fresh connection each time: a pooled socket would skip the address check.
        agent: false,
        ...(allowPrivateNetworks ? {} : { lookup: publicOnlyLookup }),
      },
      (response) => {
        // Only the status counts; the receiver's body is not read.
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

async function attempt(
  services: Services,
  endpoint: WebhookEndpointTable,
  deliveryId: string,
  payload: string,
) {
  const allowPrivateNetworks = services.config.webhookAllowPrivateNetworks;
  const urlError = await webhookUrlError(endpoint.url, { allowPrivateNetworks });
  // The host may have been re-pointed since registration; such a delivery is never sent.
  if (urlError) return { statusCode: null, error: `refused: ${urlError.message}`, permanent: true };
  const at = services.clock.now();
  try {
    // Inside the try: a secret that cannot be opened (a changed master key) is a failed attempt.
    const secret = openEndpointSecret(services.config.secretKey, endpoint.id, endpoint.secret_ciphertext);
    const statusCode = await post(
      endpoint.url,
      payload,
      {
        "content-type": "application/json",
        "user-agent": WEBHOOK_USER_AGENT,
        "webhook-id": deliveryId,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(secret).sign(deliveryId, at, payload),
      },
      allowPrivateNetworks,
    );
    return {
      statusCode,
      error: statusCode >= 200 && statusCode < 300 ? null : `HTTP ${statusCode}`,
      permanent: false,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { statusCode: null, error: message.slice(0, MAX_ERROR_LENGTH), permanent: false };
  }
}

/** Records one attempt and the delivery's new state together. */
async function record(
  services: Services,
  delivery: WebhookDeliveryTable,
  result: AttemptResult & { durationMs: number; at: string },
  status: WebhookDeliveryTable["status"],
): Promise<void> {
  await inTransaction(services.store, async (tx) => {
    let q = tx.selectFrom("webhook_deliveries").select("attempts").where("id", "=", delivery.id);
    if (services.store.capabilities.rowLocks) q = q.forUpdate();
    const current = await q.executeTakeFirstOrThrow();
    const n = current.attempts + 1;
    await tx
      .insertInto("webhook_delivery_attempts")
      .values({
        delivery_id: delivery.id,
        attempt: n,
        at: result.at,
        status_code: result.statusCode,
        error: result.error,
        duration_ms: result.durationMs,
      })
      .execute();
    await tx
      .updateTable("webhook_deliveries")
      .set({
        status,
        attempts: n,
        last_status_code: result.statusCode,
        last_error: result.error,
        delivered_at: status === "delivered" ? result.at : null,
      })
      .where("id", "=", delivery.id)
      .execute();
  });
}

/**
 * The `webhook.deliver` job: signs the stored payload (Standard Webhooks, the delivery id as
 * `webhook-id` on every retry) and POSTs it. A 2xx delivers; anything else is recorded and
 * thrown, so the worker retries with its backoff; the job's last attempt marks it failed.
 */
export const deliverWebhook: JobHandler = async (services, payload, job) => {
  const db = services.store.db;
  const delivery = await db
    .selectFrom("webhook_deliveries")
    .selectAll()
    .where("id", "=", String(payload.deliveryId))
    .executeTakeFirst();
  // Already delivered (the job ran twice), or failed and not re-queued: nothing to do.
  if (delivery?.status !== "pending") return;
  const endpoint = await db
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where("id", "=", delivery.endpoint_id)
    .executeTakeFirstOrThrow();
  if (endpoint.status !== "active") {
    await db
      .updateTable("webhook_deliveries")
      .set({ status: "failed", last_error: "the endpoint is disabled" })
      .where("id", "=", delivery.id)
      .where("status", "=", "pending")
      .execute();
    return;
  }

  const at = services.clock.now().toISOString();
  const started = performance.now();
  const result = await attempt(services, endpoint, delivery.id, delivery.payload);
  const durationMs = Math.round(performance.now() - started);
  const delivered = result.error === null;
  const lastAttempt = job.attempts >= job.max_attempts;
  const status = delivered ? "delivered" : result.permanent || lastAttempt ? "failed" : "pending";
  await record(services, delivery, { ...result, durationMs, at }, status);
  // A refused address will not change by retrying; the delivery is failed and the job done.
  if (!delivered && !result.permanent)
    throw new Error(`webhook delivery ${delivery.id} failed: ${result.error}`);
};
