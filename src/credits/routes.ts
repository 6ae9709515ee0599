import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, pageOf, pageQueryWith, problemResponses } from "../http/schemas.js";
import { guardAccount } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import { isExpired } from "./apply-credits.js";
import { runInvoice } from "./run-invoice.js";
import {
  amountText,
  CreditView,
  creditView,
  InvoiceSummaryView,
  InvoiceView,
  invoiceSummaryView,
  invoiceView,
} from "./views.js";

const strict = { additionalProperties: false } as const;
const AccountParams = Type.Object({ accountId: Id("Account id") });

export async function creditRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["credits and invoices"];
  const db = services.store.db;
  const now = () => services.clock.now().toISOString();

  app.get(
    "/accounts/:accountId/credits",
    {
      schema: {
        tags,
        summary: "The account's credits: scope, expiry, what remains and how each was used",
        params: AccountParams,
        querystring: pageQueryWith({
          status: Type.Optional(
            Type.Union([Type.Literal("active"), Type.Literal("used"), Type.Literal("expired")], {
              description: "As stored: a credit past its expiry stays `active` until the sweep expires it",
            }),
          ),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(CreditView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
            balances: Type.Array(Type.Object({ currency: Type.String(), remaining: Type.String() }), {
              description: "What the account can still spend, per currency (active credits not yet expired)",
            }),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "refunds.read",
        request.params.accountId,
      );
      const page = pageRequest(request.query.limit, request.query.cursor);
      let q = db.selectFrom("credit_grants").selectAll().where("account_id", "=", account.id);
      if (request.query.status) q = q.where("status", "=", request.query.status);
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      const uses =
        items.length === 0
          ? []
          : await db
              .selectFrom("credit_uses")
              .selectAll()
              .where(
                "credit_id",
                "in",
                items.map((i) => i.id),
              )
              .execute();
      const at = now();
      const active = await db
        .selectFrom("credit_grants")
        .select(["currency", "remaining_minor", "expires_at"])
        .where("account_id", "=", account.id)
        .where("status", "=", "active")
        .execute();
      const balances = new Map<string, bigint>();
      for (const g of active)
        if (!isExpired(g.expires_at, at))
          balances.set(g.currency, (balances.get(g.currency) ?? 0n) + BigInt(g.remaining_minor));
      return {
        items: items.map((g) =>
          creditView(
            g,
            uses.filter((u) => u.credit_id === g.id),
            at,
          ),
        ),
        nextCursor,
        balances: [...balances.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([currency, minor]) => ({ currency, remaining: amountText(minor, currency) })),
      };
    },
  );

  app.post(
    "/accounts/:accountId/invoices",
    {
      schema: {
        tags,
        summary: "Run the account's invoice for a period from its imported charges, consuming its credits",
        description:
          "Charges whose charge period starts in the period, in the currency (default: the account's), become " +
          "the lines; active credits are consumed in the documented order (priority, earliest expiry, oldest, " +
          "id), each only on charges in its scope. An invoice exists once per account, period and currency: " +
          "running it again answers 200 with the first, consuming nothing. Only a period that has ended is " +
          "invoiced. Provider finance and admin only.",
        params: AccountParams,
        body: Type.Object(
          {
            period: Type.Optional(
              Type.String({ maxLength: 7, description: "YYYY-MM: the calendar month in UTC" }),
            ),
            periodStart: Type.Optional(
              Type.String({ maxLength: 40, description: "Instead of period: ISO 8601 instant" }),
            ),
            periodEnd: Type.Optional(
              Type.String({ maxLength: 40, description: "Exclusive, with periodStart" }),
            ),
            currency: Type.Optional(
              Type.String({ maxLength: 3, description: "ISO 4217; default: the account's" }),
            ),
          },
          strict,
        ),
        response: { 200: InvoiceView, 201: InvoiceView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "invoices.run",
        request.params.accountId,
      );
      const result = await runInvoice(services, writeContext(request), {
        ...request.body,
        accountId: account.id,
      });
      return reply.code(result.created ? 201 : 200).send(await invoiceView(db, result.invoice));
    },
  );

  app.get(
    "/accounts/:accountId/invoices",
    {
      schema: {
        tags,
        summary: "The account's invoices, oldest first (without their lines)",
        params: AccountParams,
        querystring: pageQueryWith({}),
        response: { 200: pageOf(InvoiceSummaryView), ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "billing.read",
        request.params.accountId,
      );
      const page = pageRequest(request.query.limit, request.query.cursor);
      // Without the lines: a list never reads every charge of every invoice.
      const q = db
        .selectFrom("invoices")
        .select([
          "id",
          "organisation_id",
          "account_id",
          "period_start",
          "period_end",
          "currency",
          "charges_minor",
          "credits_minor",
          "due_minor",
          "created_by",
          "created_at",
        ])
        .where("account_id", "=", account.id);
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      return { items: items.map(invoiceSummaryView), nextCursor };
    },
  );

  app.get(
    "/invoices/:invoiceId",
    {
      schema: {
        tags,
        summary: "One invoice with its lines and the credits it consumed",
        params: Type.Object({ invoiceId: Id("Invoice id") }),
        response: { 200: InvoiceView, ...problemResponses },
      },
    },
    async (request) => {
      const invoice = await db
        .selectFrom("invoices")
        .selectAll()
        .where("id", "=", request.params.invoiceId)
        .executeTakeFirst();
      if (!invoice) throw notFound("Invoice");
      await guardAccount(services, principalOf(request), "billing.read", invoice.account_id);
      return invoiceView(db, invoice);
    },
  );
}
