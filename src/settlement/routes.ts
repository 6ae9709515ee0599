import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, pageOf, pageQueryWith, problemResponses } from "../http/schemas.js";
import { guardAccount, guardOrganisation, require } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { pageRequest } from "../store/pagination.js";
import { getPayout } from "./get-payout.js";
import { listPayouts } from "./list-payouts.js";
import { PAYOUT_STATES } from "./payout-state.js";
import { receiveGatewayWebhook } from "./receive-gateway-webhook.js";
import { retryPayout } from "./retry-payout.js";
import { CustomerPayoutView, customerPayoutView, PayoutDetailView, PayoutView, payoutView } from "./views.js";

const Status = Type.Optional(Type.Union(PAYOUT_STATES.map((s) => Type.Literal(s))));
const PayoutParams = Type.Object({ payoutId: Id("Payout id") });
const PAYOUT_ID = /^po_[0-9a-z]{26}$/;

/**
 * Payouts: finance's desk across customers (`/payouts…`, provider staff with `ledger.read`; retry
 * with `payouts.manage`), each organisation's own refunds (`/organisations/{id}/payouts`), and the
 * gateway's signed webhooks.
 */
export async function payoutRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const db = services.store.db;
  const tags = ["payouts"];

  app.get(
    "/payouts",
    {
      schema: {
        tags,
        summary: "Refunds to original payment methods across customers, newest first (finance)",
        querystring: pageQueryWith({ status: Status, organisationId: Type.Optional(Id("Organisation id")) }),
        response: { 200: pageOf(PayoutView), ...problemResponses },
      },
    },
    async (request) => {
      // A provider-wide list: customers and tokens do not even see that it exists (404).
      require(principalOf(request), "ledger.read", { organisationId: null }, "Route");
      const q = request.query;
      const page = await listPayouts(
        db,
        { status: q.status, organisationId: q.organisationId },
        pageRequest(q.limit, q.cursor, PAYOUT_ID),
      );
      return { items: page.items.map(payoutView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/payouts/:payoutId",
    {
      schema: {
        tags,
        summary:
          "One payout with its case, attempts and their history, credit, ledger entries and finance tasks",
        params: PayoutParams,
        response: { 200: PayoutDetailView, ...problemResponses },
      },
    },
    async (request) => {
      require(principalOf(request), "ledger.read", { organisationId: null }, "Route");
      return getPayout(db, request.params.payoutId);
    },
  );

  app.post(
    "/payouts/:payoutId/retry",
    {
      schema: {
        tags,
        summary:
          "Send a failed payout again as a new attempt, or re-queue one waiting for the gateway (finance)",
        params: PayoutParams,
        body: Type.Object(
          {
            expectedVersion: Type.Optional(
              Type.Integer({ minimum: 1, description: "The payout version you saw; a stale one gets 409" }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: PayoutDetailView, ...problemResponses },
      },
    },
    async (request) => {
      require(principalOf(request), "payouts.manage", { organisationId: null }, "Route");
      const payout = await retryPayout(services, writeContext(request), {
        payoutId: request.params.payoutId,
        expectedVersion: request.body.expectedVersion,
      });
      return getPayout(db, payout.id);
    },
  );

  app.get(
    "/organisations/:organisationId/payouts",
    {
      schema: {
        tags,
        summary: "The organisation's refunds to its payment methods, newest first",
        params: Type.Object({ organisationId: Id("Organisation id") }),
        querystring: pageQueryWith({ status: Status, accountId: Type.Optional(Id("Account id")) }),
        response: { 200: pageOf(CustomerPayoutView), ...problemResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const org = await guardOrganisation(services, principal, "refunds.read", request.params.organisationId);
      const { status, accountId } = request.query;
      let accountIds: readonly string[] | undefined;
      if (accountId) {
        const account = await guardAccount(services, principal, "refunds.read", accountId);
        if (account.organisation_id !== org.id) throw notFound("Account");
        accountIds = [account.id];
      } else if (principal.kind === "token" && principal.accountIds) accountIds = principal.accountIds;
      const page = await listPayouts(
        db,
        { organisationId: org.id, accountIds, status },
        pageRequest(request.query.limit, request.query.cursor, PAYOUT_ID),
      );
      return { items: page.items.map(customerPayoutView), nextCursor: page.nextCursor };
    },
  );

  // Its own plugin: the raw-body JSON parser must not reach the other routes.
  await app.register(async (inner) => gatewayWebhookRoutes(inner, services));
}

/** `POST /webhooks/gateway`: authenticated by its Standard Webhooks signature, not a principal. */
export async function gatewayWebhookRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  // The signature covers the exact bytes sent, so the body must reach us unparsed.
  scope.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) =>
    done(null, body),
  );
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    "/webhooks/gateway",
    {
      config: { skipCsrf: true },
      schema: {
        tags: ["webhooks"],
        summary: "Refund updates from the payment gateway (Standard Webhooks signature)",
        security: [],
        response: {
          200: Type.Object({
            duplicate: Type.Optional(Type.Boolean()),
            applied: Type.Optional(Type.Boolean()),
            payoutId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
            status: Type.Optional(Type.Union([Type.String(), Type.Null()])),
            reason: Type.Optional(Type.String()),
          }),
          ...problemResponses,
          503: problemResponses[400],
        },
      },
    },
    async (request) => {
      const result = await receiveGatewayWebhook(services, {
        rawBody: typeof request.body === "string" ? request.body : "",
        headers: request.headers,
        requestId: String(request.id),
      });
      if ("reason" in result && result.reason === "unknown_refund")
        request.log.warn(
          { webhookId: request.headers["webhook-id"] },
          "gateway webhook for an unknown refund ignored",
        );
      return result;
    },
  );
}
