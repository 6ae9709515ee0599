/**
 * One server for bench/load.ts, in its own process so the load generator does not share its event
 * loop. `--mode app` is the product's API (no background worker: the bench measures the API, and
 * the jobs it enqueues wait); `--mode bare` is the reference: a bare Fastify route that inserts one
 * row into the same store. Prints `listening <port>` when ready.
 */
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { sql } from "kysely";
import { buildApp } from "../src/http/app.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { newId } from "../src/shared/ids.js";
import { openStore } from "../src/store/database.js";
import { arg, benchConfig } from "./support.js";

const mode = arg("mode", "app");
const config = benchConfig(arg("data", ""), {
  REFUND_DESK_DATABASE_URL: arg("db", ""),
  // The limiter stays in the request path; its ceiling is lifted so it does not decide the figure.
  REFUND_DESK_RATE_LIMIT_PER_MINUTE: "100000000",
});
const store = openStore(config.databaseUrl, { poolSize: Number(arg("pool", "20")) });

let listen: () => Promise<AddressInfo>;
if (mode === "bare") {
  await sql`create table if not exists bench_rows (id text primary key, created_at text not null, payload text not null)`.execute(
    store.db,
  );
  const app = Fastify({ logger: false });
  app.post("/bare", async (request, reply) => {
    await sql`insert into bench_rows (id, created_at, payload) values (${newId("case")}, ${new Date().toISOString()}, ${JSON.stringify(request.body)})`.execute(
      store.db,
    );
    return reply.code(201).send({ ok: true });
  });
  listen = async () => {
    await app.listen({ host: "127.0.0.1", port: 0 });
    return app.server.address() as AddressInfo;
  };
} else {
  const services: Services = { store, config, clock: systemClock };
  const app = await buildApp(services, { logger: false });
  listen = async () => {
    await app.listen({ host: "127.0.0.1", port: 0 });
    return app.server.address() as AddressInfo;
  };
}
const { port } = await listen();
process.stdout.write(`listening ${port}\n`);
process.once("SIGTERM", () => process.exit(0));
