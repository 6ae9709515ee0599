import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

const engines = await testEngines();

describe.each(engines)("Idempotency-Key on %s", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(async () => server?.close());

  const accounts = async (orgId: string) =>
    (
      await server.services.store.db
        .selectFrom("accounts")
        .select("id")
        .where("organisation_id", "=", orgId)
        .execute()
    ).length;

  it("replays the first response for the same key and creates the account once", async () => {
    const owner = await login(server.baseUrl, "admin@nimbus.example");
    const org = server.world.customers.acme.organisationId;
    const before = await accounts(org);
    const body = { name: "Acme — staging", currency: "USD" };
    const first = await call<{ id: string }>(server.baseUrl, "POST", `/organisations/${org}/accounts`, {
      as: owner,
      body,
      idempotencyKey: "k-1",
    });
    const second = await call<{ id: string }>(server.baseUrl, "POST", `/organisations/${org}/accounts`, {
      as: owner,
      body,
      idempotencyKey: "k-1",
    });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await accounts(org)).toBe(before + 1);
  });

  it("keeps a replayable answer sealed: a secret shown once is not readable in the table", async () => {
    const owner = await login(server.baseUrl, "owner@acme.example");
    const org = server.world.customers.acme.organisationId;
    const create = () =>
      call<{ id: string; secret: string }>(
        server.baseUrl,
        "POST",
        `/organisations/${org}/webhook-endpoints`,
        {
          as: owner,
          body: { url: "https://198.51.100.7/hooks", events: ["case.decided"] },
          idempotencyKey: "k-secret",
        },
      );
    const first = await create();
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^whsec_/);
    const stored = await server.services.store.db
      .selectFrom("idempotency_keys")
      .select("response_body")
      .where("key", "=", "k-secret")
      .executeTakeFirstOrThrow();
    expect(stored.response_body).toMatch(/^sealed:v1:/);
    expect(stored.response_body).not.toContain(first.body.secret);
    expect(stored.response_body).not.toContain(first.body.id);
    const replay = await create();
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    // Sealed under another secret key (one rotated since): not readable, so reported lost, not a 500.
    const other = `sealed:v1:${Buffer.alloc(64, 7).toString("base64")}`;
    await server.services.store.db
      .updateTable("idempotency_keys")
      .set({ response_body: other })
      .where("key", "=", "k-secret")
      .execute();
    const lost = await create();
    expect(lost.status).toBe(409);
    expect(lost.body).toMatchObject({ reason: "idempotency_answer_lost" });
  });

  it("rejects the same key with a different body (idempotency_key_reused) and writes nothing", async () => {
    const admin = await login(server.baseUrl, "admin@nimbus.example");
    const org = server.world.customers.acme.organisationId;
    await call(server.baseUrl, "POST", `/organisations/${org}/accounts`, {
      as: admin,
      body: { name: "A", currency: "USD" },
      idempotencyKey: "k-2",
    });
    const before = await accounts(org);
    const res = await call<{ code: string }>(server.baseUrl, "POST", `/organisations/${org}/accounts`, {
      as: admin,
      body: { name: "B", currency: "USD" },
      idempotencyKey: "k-2",
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe("idempotency_key_reused");
    expect(await accounts(org)).toBe(before);
  });

  it("keeps keys per caller: another user's identical key is a new request", async () => {
    const a = await login(server.baseUrl, "admin@nimbus.example");
    const b = await login(server.baseUrl, "owner@acme.example");
    const org = server.world.customers.acme.organisationId;
    const body = { name: "Acme — shared key", currency: "USD" };
    const one = await call<{ id: string }>(server.baseUrl, "POST", `/organisations/${org}/accounts`, {
      as: a,
      body,
      idempotencyKey: "same",
    });
    const two = await call<{ id: string }>(server.baseUrl, "POST", `/organisations/${org}/accounts`, {
      as: b,
      body,
      idempotencyKey: "same",
    });
    expect(one.status).toBe(201);
    expect(two.status).toBe(201);
    expect(two.body.id).not.toBe(one.body.id);
  });

  it("replays an error response too, without running the request again", async () => {
    const admin = await login(server.baseUrl, "admin@nimbus.example");
    const org = server.world.customers.acme.organisationId;
    const body = { name: "Bad", currency: "XYZ" };
    const first = await call<{ code: string }>(server.baseUrl, "POST", `/organisations/${org}/accounts`, {
      as: admin,
      body,
      idempotencyKey: "k-3",
    });
    const again = await call<{ code: string }>(server.baseUrl, "POST", `/organisations/${org}/accounts`, {
      as: admin,
      body,
      idempotencyKey: "k-3",
    });
    expect(first.status).toBe(400);
    expect(again.status).toBe(400);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it("rejects a malformed key", async () => {
    const admin = await login(server.baseUrl, "admin@nimbus.example");
    const res = await call<{ code: string }>(
      server.baseUrl,
      "POST",
      `/organisations/${server.world.customers.acme.organisationId}/accounts`,
      {
        as: admin,
        body: { name: "x", currency: "USD" },
        idempotencyKey: "x".repeat(300),
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("validation_failed");
  });
});
