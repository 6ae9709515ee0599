import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf } from "../http/auth.js";
import { Id, pageOf, pageQueryWith, problemResponses } from "../http/schemas.js";
import { guardAccount, guardOrganisation } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import type { ChargeTable } from "../store/schema.js";

const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);
const Text = () => Nullable(Type.String());

export const ChargeView = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  importId: Type.String(),
  sourceRef: Type.String({ description: "FILE:LINE (CSV, header is line 1) or FILE:ROW (Parquet)" }),
  billingAccountId: Text(),
  subAccountId: Text(),
  providerName: Text(),
  invoiceId: Text(),
  chargePeriodStart: Text(),
  chargePeriodEnd: Text(),
  chargeCategory: Text(),
  chargeClass: Text(),
  chargeFrequency: Text(),
  chargeDescription: Text(),
  serviceName: Text(),
  regionId: Text(),
  resourceId: Text(),
  resourceName: Text(),
  skuId: Text(),
  pricingCategory: Text(),
  pricingQuantity: Text(),
  pricingUnit: Text(),
  listUnitPrice: Text(),
  contractedUnitPrice: Text(),
  billedCost: Text(),
  effectiveCost: Text(),
  listCost: Text(),
  billingCurrency: Text(),
  commitmentDiscountId: Text(),
  commitmentDiscountStatus: Text(),
  tags: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  extensions: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
});

export function chargeView(c: ChargeTable) {
  return {
    id: c.id,
    accountId: c.account_id,
    importId: c.import_id,
    sourceRef: c.source_ref,
    billingAccountId: c.billing_account_id,
    subAccountId: c.sub_account_id,
    providerName: c.provider_name,
    invoiceId: c.invoice_id,
    chargePeriodStart: c.charge_period_start,
    chargePeriodEnd: c.charge_period_end,
    chargeCategory: c.charge_category,
    chargeClass: c.charge_class,
    chargeFrequency: c.charge_frequency,
    chargeDescription: c.charge_description,
    serviceName: c.service_name,
    regionId: c.region_id,
    resourceId: c.resource_id,
    resourceName: c.resource_name,
    skuId: c.sku_id,
    pricingCategory: c.pricing_category,
    pricingQuantity: c.pricing_quantity,
    pricingUnit: c.pricing_unit,
    listUnitPrice: c.list_unit_price,
    contractedUnitPrice: c.contracted_unit_price,
    billedCost: c.billed_cost,
    effectiveCost: c.effective_cost,
    listCost: c.list_cost,
    billingCurrency: c.billing_currency,
    commitmentDiscountId: c.commitment_discount_id,
    commitmentDiscountStatus: c.commitment_discount_status,
    tags: c.tags ? (JSON.parse(c.tags) as Record<string, string>) : null,
    extensions: c.extensions ? (JSON.parse(c.extensions) as Record<string, string>) : null,
  };
}

export async function chargeRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["bills"];
  const db = services.store.db;

  app.get(
    "/organisations/:organisationId/charges",
    {
      schema: {
        tags,
        summary: "Imported charges, filtered by account, service, region, month or resource",
        params: Type.Object({ organisationId: Id("Organisation id") }),
        querystring: pageQueryWith({
          accountId: Type.Optional(Id("Account id")),
          service: Type.Optional(Type.String({ maxLength: 200 })),
          region: Type.Optional(Type.String({ maxLength: 100 })),
          month: Type.Optional(
            Type.String({
              pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$",
              description: "YYYY-MM (UTC) of the charge period start",
            }),
          ),
          resourceId: Type.Optional(Type.String({ maxLength: 500 })),
        }),
        response: { 200: pageOf(ChargeView), ...problemResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const org = await guardOrganisation(services, principal, "billing.read", request.params.organisationId);
      const { accountId, service, region, month, resourceId } = request.query;
      if (accountId) await guardAccount(services, principal, "billing.read", accountId);
      const page = pageRequest(request.query.limit, request.query.cursor);
      let q = db.selectFrom("charges").selectAll().where("organisation_id", "=", org.id);
      if (accountId) q = q.where("account_id", "=", accountId);
      else if (principal.kind === "token" && principal.accountIds)
        q = q.where("account_id", "in", principal.accountIds);
      if (service) q = q.where("service_name", "=", service);
      if (region) q = q.where("region_id", "=", region);
      if (month) q = q.where("month", "=", month);
      if (resourceId) q = q.where("resource_id", "=", resourceId);
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      return { items: items.map(chargeView), nextCursor };
    },
  );

  app.get(
    "/charges/:chargeId",
    {
      schema: {
        tags,
        summary: "One charge",
        params: Type.Object({ chargeId: Id("Charge id") }),
        response: { 200: ChargeView, ...problemResponses },
      },
    },
    async (request) => {
      const charge = await db
        .selectFrom("charges")
        .selectAll()
        .where("id", "=", request.params.chargeId)
        .executeTakeFirst();
      if (!charge) throw notFound("Charge");
      await guardAccount(services, principalOf(request), "billing.read", charge.account_id);
      return chargeView(charge);
    },
  );
}
