import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import type { DialectCapabilities, Store } from "../database.js";
import * as m0001 from "./0001-foundation.js";
import * as m0002 from "./0002-billing-data.js";
import * as m0003 from "./0003-findings.js";
import * as m0004 from "./0004-cases.js";
import * as m0005 from "./0005-notifications.js";
import * as m0006 from "./0006-ledger.js";
import * as m0007 from "./0007-settlement.js";
import * as m0008 from "./0008-audit-log-at-commit.js";
import * as m0009 from "./0009-queue-order.js";

interface MigrationModule {
  up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void>;
}

/** One ordered list for both engines; engine differences come in through `caps`. */
const MIGRATIONS: ReadonlyArray<readonly [string, MigrationModule]> = [
  ["0001-foundation", m0001],
  ["0002-billing-data", m0002],
  ["0003-findings", m0003],
  ["0004-cases", m0004],
  ["0005-notifications", m0005],
  ["0006-ledger", m0006],
  ["0007-settlement", m0007],
  ["0008-audit-log-at-commit", m0008],
  ["0009-queue-order", m0009],
];

class InCodeMigrations implements MigrationProvider {
  constructor(private readonly caps: DialectCapabilities) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, module] of MIGRATIONS) out[name] = { up: (db) => module.up(db, this.caps) };
    return out;
  }
}

export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = new Migrator({ db: store.db, provider: new InCodeMigrations(store.capabilities) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/** True when every migration this build knows has run (the readiness check). */
export async function migrationsAreCurrent(store: Store): Promise<boolean> {
  const migrator = new Migrator({ db: store.db, provider: new InCodeMigrations(store.capabilities) });
  const all = await migrator.getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
