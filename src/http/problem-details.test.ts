import Fastify from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../shared/errors.js";
import { isDatabaseUnavailable } from "../store/database.js";
import { RETRY_AFTER_SECONDS, sendProblem, toProblem } from "./problem-details.js";

/**
 * A database that is down, restarting or out of connections is answered 503 `unavailable` with
 * Retry-After and nothing of the driver's error; any other unexpected error stays a 500 `internal`.
 * (test/fault-postgres-restart.test.ts shows it on a real PostgreSQL stopped and crashed.)
 */

/** A pg server error as the driver builds it from the backend's message. */
function serverError(code: string, message: string): Error {
  const error = new pg.DatabaseError(message, message.length, "error");
  error.code = code;
  return error;
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A real refusal: pg connecting to a port where nothing listens. */
async function refusedConnection(): Promise<unknown> {
  const probe = Fastify();
  await probe.listen({ host: "127.0.0.1", port: 0 });
  const { port } = probe.server.address() as { port: number };
  await probe.close();
  const client = new pg.Client({ host: "127.0.0.1", port, user: "nobody", connectionTimeoutMillis: 2000 });
  client.on("error", () => {});
  try {
    await client.connect();
    return null;
  } catch (error) {
    return error;
  }
}

const UNAVAILABLE: Array<[string, () => unknown]> = [
  [
    "57P01 terminating connection (pg_ctl stop -m fast)",
    () => serverError("57P01", "terminating connection due to administrator command"),
  ],
  [
    "57P02 crash shutdown",
    () => serverError("57P02", "terminating connection because of crash of another server process"),
  ],
  [
    "57P03 the database system is starting up",
    () => serverError("57P03", "the database system is starting up"),
  ],
  [
    "57P03 the database system is shutting down",
    () => serverError("57P03", "the database system is shutting down"),
  ],
  ["08006 connection failure", () => serverError("08006", "connection failure")],
  ["08001 unable to connect", () => serverError("08001", "could not connect to server")],
  ["53300 too many connections", () => serverError("53300", "sorry, too many clients already")],
  ["ECONNREFUSED", () => withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")],
  ["ECONNRESET", () => withCode("read ECONNRESET", "ECONNRESET")],
  ["ETIMEDOUT", () => withCode("connect ETIMEDOUT 10.0.0.1:5432", "ETIMEDOUT")],
  ["EPIPE", () => withCode("write EPIPE", "EPIPE")],
  [
    "a refusal behind several addresses (AggregateError)",
    () => Object.assign(new AggregateError([withCode("x", "ECONNREFUSED")], ""), { code: "ECONNREFUSED" }),
  ],
  ["pg: Connection terminated unexpectedly", () => new Error("Connection terminated unexpectedly")],
  [
    "pg: not queryable after a connection error",
    () => new Error("Client has encountered a connection error and is not queryable"),
  ],
  ["pg-pool: connection timeout", () => new Error("timeout exceeded when trying to connect")],
  [
    "pg-pool: terminated due to connection timeout",
    () =>
      new Error("Connection terminated due to connection timeout", {
        cause: new Error("Connection terminated unexpectedly"),
      }),
  ],
  [
    "wrapped as the cause of another error",
    () =>
      new Error("loading the session failed", { cause: withCode("connect ECONNREFUSED", "ECONNREFUSED") }),
  ],
];

const NOT_UNAVAILABLE: Array<[string, () => unknown]> = [
  ["23505 unique violation", () => serverError("23505", "duplicate key value violates unique constraint")],
  ["42P01 undefined table", () => serverError("42P01", 'relation "cases" does not exist')],
  ["40001 serialization failure", () => serverError("40001", "could not serialize access")],
  ["57014 query cancelled", () => serverError("57014", "canceling statement due to statement timeout")],
  ["a plain bug", () => new TypeError("Cannot read properties of undefined (reading 'id')")],
  ["a string", () => "Connection terminated unexpectedly"],
  [
    "a message that merely mentions a connection",
    () => new Error("Connection terminated unexpectedly by the user?"),
  ],
];

const request = { url: "/cases?limit=5", id: "req_test" } as Parameters<typeof toProblem>[1];

describe("isDatabaseUnavailable", () => {
  it.each(UNAVAILABLE)("%s: the database cannot serve now", (_, make) => {
    expect(isDatabaseUnavailable(make())).toBe(true);
  });
  it.each(NOT_UNAVAILABLE)("%s: not an outage", (_, make) => {
    expect(isDatabaseUnavailable(make())).toBe(false);
  });
  it("recognises pg's own error for a refused connection", async () => {
    const error = await refusedConnection();
    expect(error).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(error)).toBe(true);
  });
});

describe("toProblem › when the database is unreachable", () => {
  it.each(UNAVAILABLE)("%s → 503 unavailable, without the driver's words", (_, make) => {
    const problem = toProblem(make(), request);
    expect(problem).toMatchObject({
      type: "/problems/unavailable",
      status: 503,
      code: "unavailable",
      instance: "/cases",
      requestId: "req_test",
    });
    expect(problem.detail).toMatch(/not reachable right now/);
    expect(JSON.stringify(problem)).not.toMatch(/ECONN|57P|08006|terminat|pg|timeout exceeded/i);
  });
  it.each(NOT_UNAVAILABLE)("%s → 500 internal, as before", (_, make) => {
    expect(toProblem(make(), request)).toMatchObject({ status: 500, code: "internal" });
  });
  it("keeps an AppError's own code even when its cause is an outage", () => {
    const error = new AppError("conflict", "Case changed", { cause: withCode("x", "ECONNREFUSED") });
    expect(toProblem(error, request)).toMatchObject({ status: 409, code: "conflict" });
  });
});

describe("sendProblem", () => {
  const app = Fastify();
  beforeAll(async () => {
    app.setErrorHandler((error, req, reply) => sendProblem(reply, toProblem(error, req)));
    app.get("/down", async () => {
      throw serverError("57P01", "terminating connection due to administrator command");
    });
    app.get("/bug", async () => {
      throw new Error("boom");
    });
    app.get("/ready-later", async (req, reply) =>
      sendProblem(reply.header("retry-after", "30"), toProblem(new AppError("unavailable", "later"), req)),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it("answers a database outage 503 problem details with Retry-After", async () => {
    const res = await app.inject({ method: "GET", url: "/down" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.headers["retry-after"]).toBe(String(RETRY_AFTER_SECONDS));
    expect(res.json()).toMatchObject({ status: 503, code: "unavailable" });
    expect(res.body).not.toContain("administrator");
  });
  it("keeps a Retry-After the route chose", async () => {
    const res = await app.inject({ method: "GET", url: "/ready-later" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("30");
  });
  it("sends no Retry-After with a 500", async () => {
    const res = await app.inject({ method: "GET", url: "/bug" });
    expect(res.statusCode).toBe(500);
    expect(res.headers["retry-after"]).toBeUndefined();
    expect(res.body).not.toContain("boom");
  });
});
