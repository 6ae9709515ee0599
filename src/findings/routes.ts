import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { FINDING_KINDS } from "../audit/finding.js";
import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, problemResponses } from "../http/schemas.js";
import { guardAccount, guardOrganisation } from "../identity/guard.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import type { Services } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import type { FindingTable } from "../store/schema.js";

const FindingView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  accountId: Type.Union([Type.String(), Type.Null()]),
  providerAccountId: Type.String(),
  charges: Type.Array(Type.String()),
  amount: Type.String(),
  currency: Type.String(),
  outcome: Type.String(),
  claimable: Type.Boolean(),
  explanation: Type.String(),
  evidence: Type.Array(Type.Unknown()),
  clauses: Type.Array(Type.String()),
  details: Type.Unknown(),
  status: Type.String({ description: "open, filed (a case was made of it) or resolved (no longer found)" }),
  firstFoundAt: Type.String(),
  updatedAt: Type.String(),
});

export function findingView(f: FindingTable) {
  return {
    id: f.id,
    kind: f.kind,
    accountId: f.account_id,
    providerAccountId: f.provider_account_id,
    charges: JSON.parse(f.charge_refs) as string[],
    amount: f.amount,
    currency: f.currency,
    outcome: f.outcome,
    claimable: f.claimable === 1,
    explanation: f.explanation,
    evidence: JSON.parse(f.evidence) as unknown[],
    clauses: JSON.parse(f.clauses) as string[],
    details: JSON.parse(f.details) as unknown,
    status: f.status,
    firstFoundAt: f.first_found_at,
    updatedAt: f.updated_at,
  };
}

/** Findings are keyed by their deterministic `f-…` id (docs/audit-rules.md). */
const FINDING_ID = /^f-[0-9a-f]{16}$/;

export async function findingRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["findings"];
  const db = services.store.db;
  const OrgParams = Type.Object({ organisationId: Id("Organisation id") });

  app.get(
    "/organisations/:organisationId/findings",
    {
      schema: {
        tags,
        summary: "What the audit found in the organisation's bills, per account",
        params: OrgParams,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            accountId: Type.Optional(Id("Account id")),
            kind: Type.Optional(Type.Union(FINDING_KINDS.map((k) => Type.Literal(k)))),
            status: Type.Optional(
              Type.Union([Type.Literal("open"), Type.Literal("filed"), Type.Literal("resolved")]),
            ),
            claimable: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(FindingView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const org = await guardOrganisation(services, principal, "billing.read", request.params.organisationId);
      const { accountId, kind, status, claimable } = request.query;
      if (accountId) await guardAccount(services, principal, "billing.read", accountId);
      const page = pageRequest(request.query.limit, request.query.cursor, FINDING_ID);
      let q = db.selectFrom("findings").selectAll().where("organisation_id", "=", org.id);
      if (accountId) q = q.where("account_id", "=", accountId);
      else if (principal.kind === "token" && principal.accountIds)
        q = q.where("account_id", "in", principal.accountIds);
      if (kind) q = q.where("kind", "=", kind);
      if (status) q = q.where("status", "=", status);
      if (claimable !== undefined) q = q.where("claimable", "=", claimable ? 1 : 0);
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      return { items: items.map(findingView), nextCursor };
    },
  );

  app.get(
    "/organisations/:organisationId/findings/:findingId",
    {
      schema: {
        tags,
        summary: "One finding with its evidence and clauses",
        params: Type.Object({
          organisationId: Id("Organisation id"),
          findingId: Type.String({ maxLength: 40 }),
        }),
        response: { 200: FindingView, ...problemResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const org = await guardOrganisation(services, principal, "billing.read", request.params.organisationId);
      const f = await db
        .selectFrom("findings")
        .selectAll()
        .where("organisation_id", "=", org.id)
        .where("id", "=", request.params.findingId)
        .executeTakeFirst();
      if (!f) throw notFound("Finding");
      if (f.account_id) await guardAccount(services, principal, "billing.read", f.account_id);
      return findingView(f);
    },
  );

  app.post(
    "/organisations/:organisationId/audits",
    {
      schema: {
        tags,
        summary: "Audit the organisation's imported bills again now (a background job)",
        params: OrgParams,
        response: { 202: Type.Object({ jobId: Type.String() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "billing.import",
        request.params.organisationId,
      );
      const ctx = writeContext(request);
      const at = services.clock.now().toISOString();
      const jobId = await inTransaction(services.store, async (tx) => {
        const id = await enqueueJob(tx, {
          kind: "audit.run",
          payload: { organisationId: org.id },
          at,
          coalesce: true,
        });
        await appendAuditEntry(tx, services.store.capabilities, {
          actor: ctx.actor,
          action: "audit.requested",
          subjectType: "organisation",
          subjectId: org.id,
          organisationId: org.id,
          summary: { jobId: id },
          requestId: ctx.requestId,
          at,
        });
        return id;
      });
      return reply.code(202).send({ jobId });
    },
  );

  app.get(
    "/organisations/:organisationId/audits",
    {
      schema: {
        tags,
        summary: "Audit runs of the organisation, newest first",
        params: OrgParams,
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                status: Type.String(),
                asOf: Type.String(),
                policyVersion: Type.Union([Type.String(), Type.Null()]),
                charges: Type.Union([Type.Integer(), Type.Null()]),
                findings: Type.Union([Type.Integer(), Type.Null()]),
                refundable: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
                createdAt: Type.String(),
                finishedAt: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "billing.read",
        request.params.organisationId,
      );
      const runs = await db
        .selectFrom("audit_runs")
        .selectAll()
        .where("organisation_id", "=", org.id)
        .orderBy("id", "desc")
        .limit(50)
        .execute();
      return {
        items: runs.map((r) => ({
          id: r.id,
          status: r.status,
          asOf: r.as_of,
          policyVersion: r.policy_version,
          charges: r.charges,
          findings: r.findings,
          refundable: r.refundable ? (JSON.parse(r.refundable) as Record<string, string>) : null,
          createdAt: r.created_at,
          finishedAt: r.finished_at,
        })),
      };
    },
  );
}
