import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf } from "../http/auth.js";
import { Id, problemResponses } from "../http/schemas.js";
import { guardOrganisation, require } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { loadDashboard } from "./load-dashboard.js";

const Month = (description: string) =>
  Type.String({ maxLength: 7, description: `${description}, YYYY-MM (UTC), inclusive` });
const Amount = Type.String({ description: "Exact decimal in the currency's major unit" });
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);

const Group = Type.Object({
  key: Type.String(),
  currency: Type.String(),
  filed: Type.Integer(),
  decided: Type.Integer(),
  approved: Type.Integer({ description: "Decided with any outcome but denied" }),
  requested: Amount,
  granted: Amount,
});

export const DashboardView = Type.Object({
  organisationId: Type.Union([Type.String(), Type.Null()]),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.Union([Type.String(), Type.Null()]),
  cases: Type.Object({
    filed: Type.Integer({ description: "Submitted cases (drafts are not counted)" }),
    decided: Type.Integer(),
    approved: Type.Integer(),
    denied: Type.Integer(),
    approvalRate: Rate,
    medianSecondsToDecision: Type.Union([
      Type.Integer({ description: "Submission to the first decision" }),
      Type.Null(),
    ]),
    decidedWithTarget: Type.Integer(),
    decidedWithinTarget: Type.Integer({
      description: "First decision no later than the expected decision date",
    }),
    withinTargetRate: Rate,
  }),
  totals: Type.Array(
    Type.Object({
      currency: Type.String(),
      filed: Type.Integer(),
      approved: Type.Integer(),
      requested: Amount,
      granted: Amount,
    }),
  ),
  byReason: Type.Array(Group),
  byService: Type.Array(Group, { description: "Keyed by the charge's ServiceName" }),
  byMonth: Type.Array(Group, { description: "Keyed by the month of submission, YYYY-MM (UTC)" }),
  findings: Type.Array(
    Type.Object({ kind: Type.String(), currency: Type.String(), count: Type.Integer(), amount: Amount }),
    { description: "What the audit's detectors found and still stands (resolved findings left out)" },
  ),
});

/**
 * `GET /dashboard`: refunds by reason, product and month, approval rate, time to decision, decisions
 * within target and what the detectors found. Provider staff with `dashboard.read` see every customer
 * (or one, with `organisationId`); a customer's users see their own organisation only, by naming it.
 */
export async function dashboardRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/dashboard",
    {
      schema: {
        tags: ["dashboard"],
        summary:
          "Refund figures and audit findings, per currency, optionally for one organisation and months",
        querystring: Type.Object(
          {
            organisationId: Type.Optional(Id("Only this customer organisation (required for customers)")),
            from: Type.Optional(Month("First month")),
            to: Type.Optional(Month("Last month")),
          },
          { additionalProperties: false },
        ),
        response: { 200: DashboardView, ...problemResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { organisationId, from, to } = request.query;
      if (organisationId) await guardOrganisation(services, principal, "dashboard.read", organisationId);
      // Across customers: provider staff only; for anyone else the route does not exist (404).
      else require(principal, "dashboard.read", { organisationId: null }, "Route");
      const dashboard = await loadDashboard(services.store.db, { organisationId, from, to });
      return { organisationId: organisationId ?? null, from: from ?? null, to: to ?? null, ...dashboard };
    },
  );
}
