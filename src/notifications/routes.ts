import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, PageQuery, pageOf, problemResponses } from "../http/schemas.js";
import { guardOrganisation } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import { createWebhookEndpoint } from "./create-webhook-endpoint.js";
import { ALL_EVENTS, CASE_EVENT_TYPES } from "./customer-notice.js";
import { disableWebhookEndpoint } from "./disable-webhook-endpoint.js";
import { listWebhookDeliveries } from "./list-webhook-deliveries.js";
import { retryWebhookDelivery } from "./retry-webhook-delivery.js";
import {
  CreatedWebhookEndpointView,
  WebhookDeliveryView,
  WebhookEndpointView,
  webhookEndpointView,
} from "./views.js";

export async function notificationRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["notifications"];
  const db = services.store.db;
  const OrgParams = Type.Object({ organisationId: Id("Organisation id") });
  const EndpointParams = Type.Object({
    organisationId: Id("Organisation id"),
    endpointId: Id("Webhook endpoint id"),
  });

  app.post(
    "/organisations/:organisationId/webhook-endpoints",
    {
      schema: {
        tags,
        summary: "Register a webhook endpoint; its signing secret is shown once (owner, billing admin)",
        params: OrgParams,
        body: Type.Object(
          {
            url: Type.String({ maxLength: 2000, description: "http(s) URL on a public address" }),
            events: Type.Array(Type.String({ maxLength: 100 }), {
              maxItems: 50,
              description: `Any of ${CASE_EVENT_TYPES.join(", ")}; or ["${ALL_EVENTS}"] for every type`,
            }),
            description: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: CreatedWebhookEndpointView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "webhooks.manage",
        request.params.organisationId,
      );
      const created = await createWebhookEndpoint(services, writeContext(request), {
        organisationId: org.id,
        ...request.body,
      });
      return reply.code(201).header("cache-control", "no-store").send(created);
    },
  );

  app.get(
    "/organisations/:organisationId/webhook-endpoints",
    {
      schema: {
        tags,
        summary: "Webhook endpoints of an organisation (no secrets)",
        params: OrgParams,
        querystring: PageQuery,
        response: { 200: pageOf(WebhookEndpointView), ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "webhooks.manage",
        request.params.organisationId,
      );
      const page = pageRequest(request.query.limit, request.query.cursor);
      const q = db.selectFrom("webhook_endpoints").selectAll().where("organisation_id", "=", org.id);
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      return { items: items.map(webhookEndpointView), nextCursor };
    },
  );

  app.post(
    "/organisations/:organisationId/webhook-endpoints/:endpointId/disable",
    {
      schema: {
        tags,
        summary: "Disable a webhook endpoint: nothing more is sent to it",
        params: EndpointParams,
        response: { 200: WebhookEndpointView, ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "webhooks.manage",
        request.params.organisationId,
      );
      return disableWebhookEndpoint(services, writeContext(request), {
        organisationId: org.id,
        endpointId: request.params.endpointId,
      });
    },
  );

  app.get(
    "/organisations/:organisationId/webhook-endpoints/:endpointId/deliveries",
    {
      schema: {
        tags,
        summary: "The endpoint's delivery log, newest first, with every attempt",
        params: EndpointParams,
        querystring: PageQuery,
        response: { 200: pageOf(WebhookDeliveryView), ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "webhooks.manage",
        request.params.organisationId,
      );
      return listWebhookDeliveries(
        db,
        { organisationId: org.id, endpointId: request.params.endpointId },
        pageRequest(request.query.limit, request.query.cursor),
      );
    },
  );

  app.post(
    "/organisations/:organisationId/webhook-deliveries/:deliveryId/retry",
    {
      schema: {
        tags,
        summary: "Queue a failed delivery again (same webhook-id)",
        params: Type.Object({
          organisationId: Id("Organisation id"),
          deliveryId: Id("Webhook delivery id"),
        }),
        response: { 200: WebhookDeliveryView, ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "webhooks.manage",
        request.params.organisationId,
      );
      return retryWebhookDelivery(services, writeContext(request), {
        organisationId: org.id,
        deliveryId: request.params.deliveryId,
      });
    },
  );
}
