import { Type } from "typebox";
import type {
  WebhookDeliveryAttemptTable,
  WebhookDeliveryTable,
  WebhookEndpointTable,
} from "../store/schema.js";

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const WebhookEndpointView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(Type.String(), { description: 'Event types, or ["*"] for every type' }),
  status: Type.String({ description: "active or disabled" }),
  createdBy: Type.String(),
  createdAt: Type.String(),
});

export const CreatedWebhookEndpointView = Type.Object({
  ...WebhookEndpointView.properties,
  secret: Type.String({
    description:
      "`whsec_…` signing secret (Standard Webhooks), shown this once; store it to verify deliveries",
  }),
});

export const WebhookAttemptView = Type.Object({
  attempt: Type.Integer(),
  at: Type.String(),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Nullable(Type.String()),
  durationMs: Type.Integer(),
});

export const WebhookDeliveryView = Type.Object({
  id: Type.String({ description: "Also the `webhook-id` header, the same on every retry" }),
  endpointId: Type.String(),
  eventType: Type.String(),
  subjectId: Type.String(),
  status: Type.String({ description: "pending, delivered or failed" }),
  attempts: Type.Integer(),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Nullable(Type.String()),
  payload: Type.String({ description: "The JSON body exactly as signed and sent" }),
  createdAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
  attemptLog: Type.Array(WebhookAttemptView),
});

export function webhookEndpointView(row: WebhookEndpointTable) {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

export function webhookDeliveryView(
  row: WebhookDeliveryTable,
  attempts: readonly WebhookDeliveryAttemptTable[],
) {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    subjectId: row.subject_id,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    payload: row.payload,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt,
      at: a.at,
      statusCode: a.status_code,
      error: a.error,
      durationMs: a.duration_ms,
    })),
  };
}
