import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type Engine, openStore, type Store } from "../../src/store/database.js";
import { migrateToLatest } from "../../src/store/migrations/index.js";

/**
 * Every store test runs on SQLite and on the PostgreSQL at 127.0.0.1:5432.
 * REFUND_DESK_TEST_ENGINES=sqlite (or postgres) picks a subset. Outside CI a missing
 * PostgreSQL is skipped with a loud line; with CI=true it fails the run.
 */
export const POSTGRES_ADMIN_URL =
  process.env.REFUND_DESK_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

let reachable: Promise<boolean> | null = null;

function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("select 1");
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

export async function testEngines(): Promise<Engine[]> {
  const wanted = (process.env.REFUND_DESK_TEST_ENGINES ?? "sqlite,postgres")
    .split(",")
    .map((s) => s.trim()) as Engine[];
  const engines: Engine[] = [];
  for (const engine of wanted) {
    if (engine === "postgres" && !(await postgresReachable())) {
      if (process.env.CI === "true")
        throw new Error(`PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL}, and CI=true`);
      console.warn(`\n*** SKIPPED: PostgreSQL suites — nothing answers at ${POSTGRES_ADMIN_URL} ***\n`);
      continue;
    }
    engines.push(engine);
  }
  return engines;
}

export interface TestStore {
  store: Store;
  url: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** A fresh, migrated database: a temporary SQLite file or a new PostgreSQL database. */
export async function openTestStore(engine: Engine): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), "refund-desk-test-"));
  if (engine === "sqlite") {
    const url = `sqlite:${join(dataDir, "test.sqlite")}`;
    const store = openStore(url);
    await migrateToLatest(store);
    return {
      store,
      url,
      dataDir,
      cleanup: async () => {
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `rd_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const store = openStore(url, { poolSize: 5 });
  await migrateToLatest(store);
  return {
    store,
    url,
    dataDir,
    cleanup: async () => {
      await store.close();
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
