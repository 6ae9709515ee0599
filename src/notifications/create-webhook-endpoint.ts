import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { conflict, type FieldError, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";
import { ALL_EVENTS, isCaseEventType } from "./customer-notice.js";
import { newEndpointSecret, sealEndpointSecret } from "./endpoint-secret.js";
import { webhookEndpointView } from "./views.js";
import { type HostResolver, webhookUrlError } from "./webhook-url.js";

export interface CreateWebhookEndpointInput {
  organisationId: string;
  url: string;
  events: readonly string[];
  description?: string;
}

/** NOTE: a bound on what one organisation makes every event fan out to. */
export const MAX_ACTIVE_ENDPOINTS = 20;
const MAX_DESCRIPTION = 500;

function eventErrors(events: readonly string[]): FieldError[] {
  if (events.length === 0)
    return [{ field: "events", code: "required", message: "name at least one event type" }];
  if (events.includes(ALL_EVENTS))
    return events.length === 1
      ? []
      : [
          {
            field: "events",
            code: "invalid_events",
            message: '"*" stands alone: it already means every type',
          },
        ];
  return events
    .filter((e) => !isCaseEventType(e))
    .map((e) => ({ field: "events", code: "unknown_event_type", message: `${e} is not an event type` }));
}

/** The URL without its query or fragment: for the audit log, which must hold no secrets. */
const loggableUrl = (raw: string) => {
  const u = new URL(raw);
  return `${u.origin}${u.pathname}`;
};

/**
 * Registers where an organisation receives signed webhooks. The signing secret is returned
 * this once and stored only encrypted, as it must be recovered to sign each delivery.
 */
export async function createWebhookEndpoint(
  services: Services,
  ctx: WriteContext,
  input: CreateWebhookEndpointInput,
  options: { resolve?: HostResolver } = {},
) {
  const description = (input.description ?? "").trim();
  const errors: FieldError[] = [];
  const urlError = await webhookUrlError(input.url, {
    allowPrivateNetworks: services.config.webhookAllowPrivateNetworks,
    resolve: options.resolve,
  });
  if (urlError) errors.push(urlError);
  errors.push(...eventErrors(input.events));
  if (description.length > MAX_DESCRIPTION)
    errors.push({
      field: "description",
      code: "too_long",
      message: `has more than ${MAX_DESCRIPTION} characters`,
    });
  if (errors.length) throw validationFailed(errors);
  const events = [...new Set(input.events)];

  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const active = await tx
      .selectFrom("webhook_endpoints")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("organisation_id", "=", input.organisationId)
      .where("status", "=", "active")
      .executeTakeFirstOrThrow();
    if (Number(active.n) >= MAX_ACTIVE_ENDPOINTS)
      throw conflict(`An organisation has at most ${MAX_ACTIVE_ENDPOINTS} active webhook endpoints`, {
        limit: MAX_ACTIVE_ENDPOINTS,
      });
    const id = newId("webhookEndpoint");
    const secret = newEndpointSecret();
    const row = {
      id,
      organisation_id: input.organisationId,
      url: input.url,
      description,
      events: JSON.stringify(events),
      secret_ciphertext: sealEndpointSecret(services.config.secretKey, id, secret),
      status: "active" as const,
      created_by: ctx.actor,
      created_at: now,
    };
    await tx.insertInto("webhook_endpoints").values(row).execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "webhook_endpoint.created",
      subjectType: "webhook_endpoint",
      subjectId: id,
      organisationId: input.organisationId,
      summary: { url: loggableUrl(input.url), events, description },
      requestId: ctx.requestId,
      at: now,
    });
    return { ...webhookEndpointView(row), secret };
  });
}
