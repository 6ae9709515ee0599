import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf } from "../http/auth.js";
import { Id, problemResponses } from "../http/schemas.js";
import { guardOrganisation } from "../identity/guard.js";
import type { Services } from "../shared/context.js";

const Entry = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  subjectType: Type.String(),
  subjectId: Type.String(),
  summary: Type.Unknown(),
  requestId: Type.Union([Type.String(), Type.Null()]),
});

export async function auditLogRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/organisations/:organisationId/audit-log",
    {
      schema: {
        tags: ["audit log"],
        summary: "The organisation's audit-log entries, newest first",
        params: Type.Object({ organisationId: Id("Organisation id") }),
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
            before: Type.Optional(
              Type.Integer({ minimum: 1, description: "Entries with a smaller seq (the cursor)" }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(Entry),
            nextBefore: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "audit_log.read",
        request.params.organisationId,
      );
      const limit = request.query.limit ?? 50;
      let q = services.store.db.selectFrom("audit_log").selectAll().where("organisation_id", "=", org.id);
      if (request.query.before) q = q.where("seq", "<", request.query.before);
      const rows = await q
        .orderBy("seq", "desc")
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map((r) => ({
        seq: r.seq,
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        summary: JSON.parse(r.summary) as unknown,
        requestId: r.request_id,
      }));
      return { items, nextBefore: rows.length > limit ? (items[items.length - 1]?.seq ?? null) : null };
    },
  );
}
