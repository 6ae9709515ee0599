import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, PageQuery, pageOf, problemResponses } from "../http/schemas.js";
import { guardAccount, guardOrganisation, require } from "../identity/guard.js";
import { CUSTOMER_ROLES } from "../identity/roles.js";
import type { Services } from "../shared/context.js";
import { conflict } from "../shared/errors.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import { createAccount } from "./create-account.js";
import { createOrganisation } from "./create-organisation.js";
import { removeMember, setMemberRole } from "./manage-members.js";
import { AccountView, accountViews, OrganisationView, organisationView } from "./views.js";

const Currency = Type.String({ pattern: "^[A-Z]{3}$", description: "ISO 4217 code" });

export async function organisationRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["organisations"];
  const db = services.store.db;
  const OrgParams = Type.Object({ organisationId: Id("Organisation id") });
  const now = () => services.clock.now().toISOString();

  app.get(
    "/organisations",
    {
      schema: {
        tags,
        summary: "Organisations visible to the caller",
        querystring: PageQuery,
        response: { 200: pageOf(OrganisationView), ...problemResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const page = pageRequest(request.query.limit, request.query.cursor);
      let q = db.selectFrom("organisations").selectAll().where("kind", "=", "customer");
      if (principal.kind === "token") q = q.where("id", "=", principal.organisationId);
      else if (principal.providerRoles.length === 0) {
        const mine = [...principal.memberships.keys()];
        q = q.where("id", "in", mine.length ? mine : ["-"]);
      }
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      return { items: items.map(organisationView), nextCursor };
    },
  );

  app.post(
    "/organisations",
    {
      schema: {
        tags,
        summary: "Create a customer organisation with its billing account (provider admin)",
        body: Type.Object(
          {
            name: Type.String({ maxLength: 200 }),
            billingAccount: Type.Object(
              {
                name: Type.String({ maxLength: 200 }),
                currency: Currency,
                externalId: Type.Optional(Type.String({ maxLength: 200 })),
              },
              { additionalProperties: false },
            ),
            country: Type.Optional(Type.String({ pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2" })),
            timeZone: Type.Optional(Type.String({ maxLength: 64, description: "IANA time zone" })),
          },
          { additionalProperties: false },
        ),
        response: { 201: OrganisationView, ...problemResponses },
      },
    },
    async (request, reply) => {
      require(principalOf(request), "organisation.create", { organisationId: null }, "Route");
      const created = await createOrganisation(services, writeContext(request), {
        kind: "customer",
        ...request.body,
      });
      const org = await db
        .selectFrom("organisations")
        .selectAll()
        .where("id", "=", created.id)
        .executeTakeFirstOrThrow();
      return reply.code(201).send(organisationView(org));
    },
  );

  app.get(
    "/organisations/:organisationId",
    {
      schema: {
        tags,
        summary: "One organisation",
        params: OrgParams,
        response: { 200: OrganisationView, ...problemResponses },
      },
    },
    async (request) =>
      organisationView(
        await guardOrganisation(
          services,
          principalOf(request),
          "organisation.read",
          request.params.organisationId,
        ),
      ),
  );

  app.get(
    "/organisations/:organisationId/accounts",
    {
      schema: {
        tags,
        summary: "Accounts of an organisation (billing account first)",
        params: OrgParams,
        querystring: PageQuery,
        response: { 200: pageOf(AccountView), ...problemResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const org = await guardOrganisation(services, principal, "account.read", request.params.organisationId);
      const page = pageRequest(request.query.limit, request.query.cursor);
      let q = db.selectFrom("accounts").selectAll().where("organisation_id", "=", org.id);
      // A token scoped to some accounts sees only those.
      if (principal.kind === "token" && principal.accountIds) q = q.where("id", "in", principal.accountIds);
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      return { items: await accountViews(db, items, now()), nextCursor };
    },
  );

  app.post(
    "/organisations/:organisationId/accounts",
    {
      schema: {
        tags,
        summary: "Add a member account, billed with the organisation's billing account",
        params: OrgParams,
        body: Type.Object(
          {
            name: Type.String({ maxLength: 200 }),
            currency: Currency,
            externalId: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: AccountView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "account.manage",
        request.params.organisationId,
      );
      const { id } = await createAccount(services, writeContext(request), {
        organisationId: org.id,
        ...request.body,
      });
      const row = await db.selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      const [view] = await accountViews(db, [row], now());
      return reply.code(201).send(view!);
    },
  );

  app.get(
    "/accounts/:accountId",
    {
      schema: {
        tags,
        summary: "One account with its effective KYC status",
        params: Type.Object({ accountId: Id("Account id") }),
        response: { 200: AccountView, ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "account.read",
        request.params.accountId,
      );
      const [view] = await accountViews(db, [account], now());
      return view!;
    },
  );

  const MemberView = Type.Object({
    id: Type.String(),
    userId: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: Type.String(),
    createdAt: Type.String(),
  });

  app.get(
    "/organisations/:organisationId/members",
    {
      schema: {
        tags,
        summary: "Members and their roles",
        params: OrgParams,
        querystring: PageQuery,
        response: { 200: pageOf(MemberView), ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "members.read",
        request.params.organisationId,
      );
      const page = pageRequest(request.query.limit, request.query.cursor);
      const q = db
        .selectFrom("memberships")
        .innerJoin("users", "users.id", "memberships.user_id")
        .select([
          "memberships.id",
          "memberships.user_id",
          "users.email",
          "users.name",
          "memberships.role",
          "memberships.created_at",
        ])
        .where("memberships.organisation_id", "=", org.id);
      const { items, nextCursor } = await fetchPage(q, "memberships.id", "asc", page);
      return {
        items: items.map((m) => ({
          id: m.id,
          userId: m.user_id,
          email: m.email,
          name: m.name,
          role: m.role,
          createdAt: m.created_at,
        })),
        nextCursor,
      };
    },
  );

  app.post(
    "/organisations/:organisationId/members",
    {
      schema: {
        tags,
        summary: "Add an existing user to the organisation, or change their role",
        params: OrgParams,
        body: Type.Object(
          {
            email: Type.String({ maxLength: 320 }),
            role: Type.Union(CUSTOMER_ROLES.map((r) => Type.Literal(r))),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ membershipId: Type.String(), userId: Type.String(), role: Type.String() }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "members.manage",
        request.params.organisationId,
      );
      if (org.kind !== "customer")
        throw conflict(
          "Provider staff are managed with `refund-desk user create`, not as organisation members",
        );
      return setMemberRole(services, writeContext(request), { organisationId: org.id, ...request.body });
    },
  );

  app.delete(
    "/organisations/:organisationId/members/:membershipId",
    {
      schema: {
        tags,
        summary: "Remove a member",
        params: Type.Object({ organisationId: Id("Organisation id"), membershipId: Id("Membership id") }),
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "members.manage",
        request.params.organisationId,
      );
      await removeMember(services, writeContext(request), {
        organisationId: org.id,
        membershipId: request.params.membershipId,
      });
      return reply.code(204).send(null);
    },
  );
}
