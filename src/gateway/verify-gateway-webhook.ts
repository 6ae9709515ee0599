import { Webhook } from "standardwebhooks";
import { AppError, validationFailed } from "../shared/errors.js";
import { rejectNulCharacters } from "../shared/nul-characters.js";
import { type GatewayRefund, parseGatewayRefund } from "./gateway.js";

export const GATEWAY_WEBHOOK_EVENT_TYPES = ["refund.updated"] as const;

/**
 * One webhook of the gateway. The body on the wire is
 * `{ "type": "refund.updated", "timestamp": occurredAt, "data": GatewayRefund }`.
 */
export interface GatewayWebhookEvent {
  /** The `webhook-id` header: the same on every redelivery of one event, so receivers de-duplicate by it. */
  id: string;
  type: "refund.updated";
  /** When the refund changed at the gateway (not when this copy was sent). */
  occurredAt: string;
  /** The refund's state as of `occurredAt`; events may arrive out of order, compare `updatedAt`. */
  refund: GatewayRefund;
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const SIGNATURE_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  // Node lowercases header names; other callers may not.
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === "string" ? value : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Verifies a gateway webhook (Standard Webhooks: HMAC over id, timestamp and exactly these
 * body bytes, timestamp within 5 minutes of now) and reads its event. Nothing of the body is
 * trusted before the signature is checked.
 */
export function verifyGatewayWebhook(
  secret: string | null,
  headers: WebhookHeaders,
  rawBody: string | Buffer,
): GatewayWebhookEvent {
  if (!secret) throw new AppError("unavailable", "The gateway webhook secret is not configured");
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch (cause) {
    // Our misconfiguration, not the sender's fault: answer so that it retries later.
    throw new AppError("unavailable", "The gateway webhook secret is not valid", { cause });
  }
  const signed: Record<string, string> = {};
  for (const name of SIGNATURE_HEADERS) {
    const value = header(headers, name);
    if (value !== undefined) signed[name] = value;
  }
  try {
    webhook.verify(rawBody, signed, { jsonParse: false });
  } catch (cause) {
    throw new AppError("invalid_webhook_signature", "The webhook signature or timestamp is not valid", {
      cause,
    });
  }
  const id = signed["webhook-id"];
  if (!id) throw new AppError("invalid_webhook_signature", "The webhook-id header is missing");

  let payload: unknown;
  try {
    payload = JSON.parse(typeof rawBody === "string" ? rawBody : rawBody.toString("utf8"));
  } catch (cause) {
    throw new AppError("malformed_request", "The webhook body is not JSON", { cause });
  }
  rejectNulCharacters(payload);
  if (!isRecord(payload)) throw new AppError("malformed_request", "The webhook body is not a JSON object");
  if (payload.type !== "refund.updated") {
    // Quoted only when it is text: other JSON may nest deeper than JSON.stringify can go.
    const got =
      typeof payload.type === "string"
        ? JSON.stringify(payload.type.slice(0, 100))
        : `a JSON ${Array.isArray(payload.type) ? "array" : payload.type === null ? "null" : typeof payload.type}`;
    throw validationFailed([
      { field: "type", code: "unknown_event_type", message: `is ${got}, expected "refund.updated"` },
    ]);
  }
  const occurredAt = payload.timestamp;
  const parsed = parseGatewayRefund(payload.data);
  const fieldErrors =
    "problems" in parsed ? parsed.problems.map((p) => ({ field: "data", code: "invalid", message: p })) : [];
  if (typeof occurredAt !== "string" || Number.isNaN(Date.parse(occurredAt)))
    fieldErrors.unshift({ field: "timestamp", code: "invalid", message: "is not an ISO 8601 instant" });
  if (fieldErrors.length > 0 || "problems" in parsed || typeof occurredAt !== "string")
    throw validationFailed(fieldErrors);
  return { id, type: "refund.updated", occurredAt, refund: parsed.refund };
}
