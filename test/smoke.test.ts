import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

const engines = await testEngines();

describe.each(engines)("smoke on %s", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(async () => server?.close());

  it("signs in and lists the caller's organisations", async () => {
    const owner = await login(server.baseUrl, "owner@acme.example");
    const res = await call<{ items: Array<{ name: string }> }>(server.baseUrl, "GET", "/organisations", {
      as: owner,
    });
    expect(res.status).toBe(200);
    expect(res.body.items.map((o) => o.name)).toEqual(["Acme Analytics Ltd"]);
  });
});
