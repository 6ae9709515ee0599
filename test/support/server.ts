import type { AddressInfo } from "node:net";
import { type Config, loadConfig } from "../../src/config.js";
import { type DemoWorld, seedDemo } from "../../src/demo/seed-demo.js";
import { type App, buildApp } from "../../src/http/app.js";
import { JOB_HANDLERS } from "../../src/jobs/handlers.js";
import { startWorker, type Worker } from "../../src/jobs/worker.js";
import { fixedClock } from "../../src/shared/clock.js";
import type { Services } from "../../src/shared/context.js";
import type { Engine } from "../../src/store/database.js";
import { openTestStore } from "./engines.js";

export const TEST_SECRET_KEY = "11".repeat(32);

export function testConfig(dataDir: string, overrides: Partial<Config> = {}): Config {
  const base = loadConfig(
    {
      REFUND_DESK_DATA_DIR: dataDir,
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
      REFUND_DESK_LOG_LEVEL: "silent",
    },
    { warn: () => {} },
  );
  // Real argon2id, at a cost that keeps a suite of many sign-ins fast.
  // Suites sign in many times from one address; the login throttle has its own test.
  return {
    ...base,
    passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
    loginAttemptsPerMinute: 10_000,
    ...overrides,
  };
}

export interface TestServer {
  baseUrl: string;
  app: App;
  services: Services;
  clock: ReturnType<typeof fixedClock>;
  world: DemoWorld;
  /** Background jobs run only when a test drains them, so each step is observable. */
  worker: Worker;
  close(): Promise<void>;
}

/** The real HTTP server on a loopback port, over a fresh database seeded with the demo world. */
export async function startTestServer(engine: Engine, overrides: Partial<Config> = {}): Promise<TestServer> {
  const testStore = await openTestStore(engine);
  const clock = fixedClock("2026-05-04T10:00:00.000Z");
  const services: Services = {
    store: testStore.store,
    config: testConfig(testStore.dataDir, overrides),
    clock,
  };
  const world = await seedDemo(services);
  if (!world) throw new Error("fresh test database already had demo data");
  const app = await buildApp(services, { logger: false });
  const worker = startWorker(services, JOB_HANDLERS, { workerId: "test", pollMs: 0 });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    app,
    services,
    clock,
    world,
    worker,
    close: async () => {
      await worker.stop();
      await app.close();
      await testStore.cleanup();
    },
  };
}
