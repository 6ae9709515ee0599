import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_FAILED_LOGINS } from "../src/identity/sessions.js";
import { call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

const engines = await testEngines();

describe.each(engines)("sign-in, sessions and API tokens on %s", (engine) => {
  let server: TestServer;
  let url: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    url = server.baseUrl;
  });
  afterAll(async () => server?.close());

  describe("POST /auth/login", () => {
    it("sets an httpOnly, SameSite session cookie and returns a CSRF token", async () => {
      const res = await call<{ csrfToken: string; userId: string }>(url, "POST", "/auth/login", {
        body: { email: "Owner@Acme.example ", password: "demo" },
      });
      expect(res.status).toBe(200);
      const cookie = res.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^rd_session=[\w-]{40,};/);
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Lax");
      expect(cookie).not.toContain("Secure");
      expect(res.body.csrfToken.length).toBeGreaterThan(30);
      const stored = await server.services.store.db.selectFrom("sessions").select("token_hash").execute();
      const secret = cookie.split(";")[0]!.split("=")[1]!;
      expect(stored.some((s) => s.token_hash === secret)).toBe(false);
    });

    it("marks the cookie Secure behind an https proxy", async () => {
      const proxied = await startTestServer(engine, { trustProxy: true });
      try {
        const res = await call(proxied.baseUrl, "POST", "/auth/login", {
          body: { email: "owner@acme.example", password: "demo" },
          headers: { "x-forwarded-proto": "https" },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get("set-cookie")).toContain("Secure");
      } finally {
        await proxied.close();
      }
    });

    it("rejects a wrong password with invalid_credentials and the same answer for an unknown e-mail", async () => {
      const wrong = await call<{ code: string }>(url, "POST", "/auth/login", {
        body: { email: "viewer@acme.example", password: "nope" },
      });
      const unknown = await call<{ code: string; detail: string }>(url, "POST", "/auth/login", {
        body: { email: "nobody@acme.example", password: "nope" },
      });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("content-type")).toContain("application/problem+json");
      expect(wrong.body.code).toBe("invalid_credentials");
      expect(unknown.status).toBe(401);
      expect(unknown.body.code).toBe("invalid_credentials");
    });

    it(`locks the account after ${MAX_FAILED_LOGINS} failures, even for the right password`, async () => {
      for (let i = 0; i < MAX_FAILED_LOGINS; i++)
        await call(url, "POST", "/auth/login", {
          body: { email: "billing@globex.example", password: "bad" },
        });
      const locked = await call<{ code: string }>(url, "POST", "/auth/login", {
        body: { email: "billing@globex.example", password: "demo" },
      });
      expect(locked.status).toBe(429);
      expect(locked.body.code).toBe("account_locked");
      server.clock.advance(16 * 60_000);
      const after = await call(url, "POST", "/auth/login", {
        body: { email: "billing@globex.example", password: "demo" },
      });
      expect(after.status).toBe(200);
    });
  });

  it("throttles sign-in attempts per address (rate_limited)", async () => {
    const throttled = await startTestServer(engine, { loginAttemptsPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (
            await call(throttled.baseUrl, "POST", "/auth/login", {
              body: { email: "viewer@acme.example", password: "demo" },
            })
          ).status,
        );
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await throttled.close();
    }
  });

  describe("cookie-authenticated writes", () => {
    it("refuse a write without the CSRF header (csrf_failed) and write nothing", async () => {
      const owner = await login(url, "owner@acme.example");
      const org = server.world.customers.acme.organisationId;
      const before = await server.services.store.db.selectFrom("api_tokens").select("id").execute();
      const res = await call<{ code: string }>(url, "POST", `/organisations/${org}/tokens`, {
        as: { cookie: owner.cookie },
        body: { name: "ci", permissions: ["billing:read"] },
      });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("csrf_failed");
      const after = await server.services.store.db.selectFrom("api_tokens").select("id").execute();
      expect(after.length).toBe(before.length);
    });

    it("end with logout: the cookie no longer authenticates", async () => {
      const owner = await login(url, "owner@acme.example");
      expect((await call(url, "GET", "/auth/session", { as: owner })).status).toBe(200);
      expect((await call(url, "POST", "/auth/logout", { as: owner })).status).toBe(204);
      const res = await call<{ code: string }>(url, "GET", "/auth/session", { as: owner });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("unauthenticated");
    });

    it("expire with the session", async () => {
      const owner = await login(url, "owner@acme.example");
      server.clock.advance(13 * 3_600_000);
      expect((await call(url, "GET", "/auth/session", { as: owner })).status).toBe(401);
    });
  });

  describe("API tokens", () => {
    it("show the secret once, store it hashed, record last use and stop working when revoked", async () => {
      const owner = await login(url, "owner@acme.example");
      const { organisationId, memberAccountIds } = server.world.customers.acme;
      const created = await call<{ id: string; token: string }>(
        url,
        "POST",
        `/organisations/${organisationId}/tokens`,
        {
          as: owner,
          body: {
            name: "FinOps pipeline",
            permissions: ["billing:read", "refunds:write"],
            accountIds: [memberAccountIds[0]],
          },
        },
      );
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^rdk_/);
      const bearer = { bearer: created.body.token };

      const list = await call<{ items: Array<Record<string, unknown>> }>(
        url,
        "GET",
        `/organisations/${organisationId}/tokens`,
        { as: owner },
      );
      expect(JSON.stringify(list.body)).not.toContain(created.body.token);
      expect(list.body.items.find((t) => t.id === created.body.id)?.lastUsedAt).toBeNull();

      const accounts = await call<{ items: Array<{ id: string }> }>(
        url,
        "GET",
        `/organisations/${organisationId}/accounts`,
        { as: bearer },
      );
      expect(accounts.status).toBe(200);
      expect(accounts.body.items.map((a) => a.id)).toEqual([memberAccountIds[0]]);
      // An account outside the token's scope is invisible, not forbidden.
      expect((await call(url, "GET", `/accounts/${memberAccountIds[1]}`, { as: bearer })).status).toBe(404);

      const row = await server.services.store.db
        .selectFrom("api_tokens")
        .selectAll()
        .where("id", "=", created.body.id)
        .executeTakeFirstOrThrow();
      expect(row.token_hash).not.toContain(created.body.token);
      expect(row.last_used_at).not.toBeNull();

      const revoked = await call(
        url,
        "POST",
        `/organisations/${organisationId}/tokens/${created.body.id}/revoke`,
        { as: owner },
      );
      expect(revoked.status).toBe(200);
      const after = await call<{ code: string }>(url, "GET", `/organisations/${organisationId}/accounts`, {
        as: bearer,
      });
      expect(after.status).toBe(401);
      expect(after.body.code).toBe("unauthenticated");
    });

    it("reject an unknown permission or a foreign account with validation_failed and create nothing", async () => {
      const owner = await login(url, "owner@acme.example");
      const { organisationId } = server.world.customers.acme;
      const count = async () =>
        (await server.services.store.db.selectFrom("api_tokens").select("id").execute()).length;
      const before = await count();
      const foreign = await call<{ code: string; errors: Array<{ field: string; code: string }> }>(
        url,
        "POST",
        `/organisations/${organisationId}/tokens`,
        {
          as: owner,
          body: {
            name: "x",
            permissions: ["billing:read"],
            accountIds: [server.world.customers.globex.billingAccountId],
          },
        },
      );
      expect(foreign.status).toBe(400);
      expect(foreign.body.errors[0]).toMatchObject({ field: "accountIds", code: "unknown_account" });
      const unknown = await call<{ code: string }>(url, "POST", `/organisations/${organisationId}/tokens`, {
        as: owner,
        body: { name: "x", permissions: ["everything"] },
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe("validation_failed");
      expect(await count()).toBe(before);
    });
  });
});
