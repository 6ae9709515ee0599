import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

const engines = await testEngines();

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance: string;
  requestId: string;
  errors?: Array<{ field: string; code: string }>;
}

describe.each(engines)("bad requests on %s get problem details and write nothing", (engine) => {
  let server: TestServer;
  let admin: Caller;
  let path: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    admin = await login(server.baseUrl, "admin@nimbus.example");
    path = `/organisations/${server.world.customers.acme.organisationId}/accounts`;
  });
  afterAll(async () => server?.close());

  const counts = async () => {
    const db = server.services.store.db;
    const [a, l] = await Promise.all([
      db.selectFrom("accounts").select("id").execute(),
      db.selectFrom("audit_log").select("seq").execute(),
    ]);
    return { accounts: a.length, auditEntries: l.length };
  };

  async function expectProblem(
    res: { status: number; headers: Headers; body: unknown },
    status: number,
    code: string,
  ): Promise<Problem> {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const p = res.body as Problem;
    expect(p).toMatchObject({ status, code, type: `/problems/${code.replaceAll("_", "-")}`, instance: path });
    expect(p.requestId).toBe(res.headers.get("x-request-id"));
    return p;
  }

  const cases: Array<
    [string, () => Promise<{ status: number; headers: Headers; body: unknown }>, number, string]
  > = [
    [
      "malformed JSON",
      () =>
        call(server.baseUrl, "POST", path, {
          as: admin,
          rawBody: '{"name": "x",',
          headers: { "content-type": "application/json" },
        }),
      400,
      "malformed_request",
    ],
    [
      "an empty JSON body",
      () =>
        call(server.baseUrl, "POST", path, {
          as: admin,
          rawBody: "",
          headers: { "content-type": "application/json" },
        }),
      400,
      "malformed_request",
    ],
    [
      "a wrong type (number for a string)",
      () => call(server.baseUrl, "POST", path, { as: admin, body: { name: 12, currency: "USD" } }),
      400,
      "validation_failed",
    ],
    [
      "a missing required field",
      () => call(server.baseUrl, "POST", path, { as: admin, body: { name: "x" } }),
      400,
      "validation_failed",
    ],
    [
      "an unknown field",
      () =>
        call(server.baseUrl, "POST", path, {
          as: admin,
          body: { name: "x", currency: "USD", isBillingAccount: true },
        }),
      400,
      "validation_failed",
    ],
    [
      "an unknown currency",
      () => call(server.baseUrl, "POST", path, { as: admin, body: { name: "x", currency: "ABC" } }),
      400,
      "validation_failed",
    ],
    [
      "a JSON array instead of an object",
      () => call(server.baseUrl, "POST", path, { as: admin, body: [1, 2] }),
      400,
      "validation_failed",
    ],
    [
      "a body over 1 MiB",
      () =>
        call(server.baseUrl, "POST", path, {
          as: admin,
          body: { name: "x".repeat(2 * 1024 * 1024), currency: "USD" },
        }),
      413,
      "payload_too_large",
    ],
    [
      "an unsupported content type",
      () =>
        call(server.baseUrl, "POST", path, {
          as: admin,
          rawBody: "name=x",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        }),
      415,
      "unsupported_media_type",
    ],
    [
      "a prototype-pollution body",
      () =>
        call(server.baseUrl, "POST", path, {
          as: admin,
          rawBody: '{"name":"x","currency":"USD","__proto__":{"admin":true}}',
          headers: { "content-type": "application/json" },
        }),
      400,
      "malformed_request",
    ],
  ];

  it.each(cases)("%s", async (_name, send, status, code) => {
    const before = await counts();
    const res = await send();
    await expectProblem(res, status, code);
    expect(await counts()).toEqual(before);
  });

  it("names every invalid field with a stable code", async () => {
    const res = await call(server.baseUrl, "POST", path, {
      as: admin,
      body: { name: 1, currency: 2, extra: true },
    });
    const p = await expectProblem(res, 400, "validation_failed");
    expect(p.errors?.map((e) => e.field).sort()).toEqual(["body.currency", "body.extra", "body.name"]);
    expect(p.errors?.find((e) => e.field === "body.extra")?.code).toBe("unknown_field");
  });

  it("answers unknown routes and bad query strings with problem details", async () => {
    const missing = await call<Problem>(server.baseUrl, "GET", "/nope", { as: admin });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("not_found");
    const badLimit = await call<Problem>(server.baseUrl, "GET", `${path}?limit=0`, { as: admin });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.code).toBe("validation_failed");
    const badCursor = await call<Problem>(server.baseUrl, "GET", `${path}?cursor=%%%`, { as: admin });
    expect(badCursor.status).toBe(400);
  });

  it("refuses organisation membership on the provider organisation with 409, not a server error", async () => {
    const before = await counts();
    const res = await call<Problem>(
      server.baseUrl,
      "POST",
      `/organisations/${server.world.providerOrganisationId}/members`,
      {
        as: admin,
        body: { email: "viewer@acme.example", role: "viewer" },
      },
    );
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("conflict");
    expect(await counts()).toEqual(before);
  });

  it("documents each problem type at its URI", async () => {
    const res = await call<{ code: string; status: number }>(
      server.baseUrl,
      "GET",
      "/problems/validation-failed",
    );
    expect(res.body).toMatchObject({ code: "validation_failed", status: 400 });
    // An unknown type, or a name every object inherits, is a 404 in problem details like any other.
    for (const slug of ["no-such-problem", "constructor", "__proto__"]) {
      const unknown = await call<{ code: string; status: number }>(
        server.baseUrl,
        "GET",
        `/problems/${slug}`,
      );
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(unknown.body).toMatchObject({ code: "not_found", status: 404 });
    }
  });

  it("pages through a list with an opaque cursor, never repeating an item", async () => {
    const org = server.world.customers.acme.organisationId;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const page = await call<{ items: Array<{ id: string }>; nextCursor: string | null }>(
        server.baseUrl,
        "GET",
        `/organisations/${org}/accounts?limit=1${q}`,
        { as: admin },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const all = await server.services.store.db
      .selectFrom("accounts")
      .select("id")
      .where("organisation_id", "=", org)
      .orderBy("id")
      .execute();
    expect(seen).toEqual(all.map((a) => a.id));
  });
});
