import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf, SESSION_COOKIE, writeContext } from "../http/auth.js";
import { Id, PageQuery, pageOf, problemResponses } from "../http/schemas.js";
import type { Services } from "../shared/context.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import { createApiToken, revokeApiToken } from "./api-tokens.js";
import { createUser } from "./create-user.js";
import { guardOrganisation, require } from "./guard.js";
import { CUSTOMER_ROLES, PROVIDER_ROLES, TOKEN_PERMISSIONS } from "./roles.js";
import { signIn, signOut } from "./sessions.js";

const ApiTokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  accountIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
  permissions: Type.Array(Type.String()),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

export async function identityRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["identity"];

  app.post(
    "/auth/login",
    {
      config: {
        skipCsrf: true,
        rateLimit: { max: services.config.loginAttemptsPerMinute, timeWindow: "1 minute" },
      },
      schema: {
        tags,
        summary: "Sign in with e-mail and password; sets the session cookie",
        security: [],
        body: Type.Object(
          { email: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: 1024 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ userId: Type.String(), csrfToken: Type.String(), expiresAt: Type.String() }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const session = await signIn(services, writeContext(request), request.body);
      reply.setCookie(SESSION_COOKIE, session.sessionToken, {
        httpOnly: true,
        sameSite: "lax",
        secure: request.protocol === "https",
        path: "/",
        expires: new Date(session.expiresAt),
      });
      return { userId: session.userId, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    },
  );

  app.post(
    "/auth/logout",
    {
      schema: {
        tags,
        summary: "End the current session",
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const auth = request.authentication;
      if (auth.kind === "session") await signOut(services, writeContext(request), auth.sessionToken);
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/auth/session",
    { schema: { tags, summary: "Who is signed in: memberships, staff roles, CSRF token" } },
    async (request) => {
      const principal = principalOf(request);
      const auth = request.authentication;
      if (principal.kind === "token") {
        return {
          kind: "token",
          tokenId: principal.tokenId,
          organisationId: principal.organisationId,
          accountIds: principal.accountIds,
          permissions: principal.permissions,
        };
      }
      const user = await services.store.db
        .selectFrom("users")
        .select(["id", "email", "name"])
        .where("id", "=", principal.userId)
        .executeTakeFirstOrThrow();
      return {
        kind: "user",
        user,
        memberships: [...principal.memberships].map(([organisationId, role]) => ({ organisationId, role })),
        providerRoles: principal.providerRoles,
        csrfToken: auth.kind === "session" ? auth.csrfToken : null,
      };
    },
  );

  app.post(
    "/users",
    {
      schema: {
        tags,
        summary: "Create a user (provider admin), optionally with a first membership",
        body: Type.Object(
          {
            email: Type.String({ maxLength: 320 }),
            name: Type.String({ maxLength: 200 }),
            password: Type.String({ maxLength: 1024 }),
            organisationId: Type.Optional(Id("Organisation to join")),
            role: Type.Optional(
              Type.Union([...CUSTOMER_ROLES, ...PROVIDER_ROLES].map((r) => Type.Literal(r))),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ id: Type.String(), email: Type.String() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      require(principalOf(request), "users.manage", { organisationId: null }, "Route");
      return reply.code(201).send(await createUser(services, writeContext(request), request.body));
    },
  );

  const OrgParams = Type.Object({ organisationId: Id("Organisation id") });

  app.get(
    "/organisations/:organisationId/tokens",
    {
      schema: {
        tags,
        summary: "API tokens of an organisation",
        params: OrgParams,
        querystring: PageQuery,
        response: { 200: pageOf(ApiTokenView), ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "tokens.manage",
        request.params.organisationId,
      );
      const page = pageRequest(request.query.limit, request.query.cursor);
      const q = services.store.db.selectFrom("api_tokens").selectAll().where("organisation_id", "=", org.id);
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      return {
        items: items.map((t) => ({
          id: t.id,
          name: t.name,
          accountIds: t.account_ids ? (JSON.parse(t.account_ids) as string[]) : null,
          permissions: JSON.parse(t.permissions) as string[],
          createdAt: t.created_at,
          lastUsedAt: t.last_used_at,
          revokedAt: t.revoked_at,
        })),
        nextCursor,
      };
    },
  );

  app.post(
    "/organisations/:organisationId/tokens",
    {
      schema: {
        tags,
        summary: "Create an API token for a service account; the secret is shown once",
        params: OrgParams,
        body: Type.Object(
          {
            name: Type.String({ maxLength: 200 }),
            accountIds: Type.Optional(
              Type.Union([Type.Array(Id("Account id"), { maxItems: 500 }), Type.Null()]),
            ),
            permissions: Type.Array(Type.Union(TOKEN_PERMISSIONS.map((p) => Type.Literal(p))), {
              minItems: 1,
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            name: Type.String(),
            token: Type.String(),
            accountIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
            permissions: Type.Array(Type.String()),
            createdAt: Type.String(),
          }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "tokens.manage",
        request.params.organisationId,
      );
      const created = await createApiToken(services, writeContext(request), {
        organisationId: org.id,
        ...request.body,
      });
      return reply.code(201).send(created);
    },
  );

  app.post(
    "/organisations/:organisationId/tokens/:tokenId/revoke",
    {
      schema: {
        tags,
        summary: "Revoke an API token",
        params: Type.Object({ organisationId: Id("Organisation id"), tokenId: Id("Token id") }),
        response: { 200: Type.Object({ revokedAt: Type.String() }), ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "tokens.manage",
        request.params.organisationId,
      );
      return revokeApiToken(services, writeContext(request), {
        organisationId: org.id,
        tokenId: request.params.tokenId,
      });
    },
  );
}
