import { sql } from "kysely";
import type { Store } from "../store/database.js";
import { migrationsAreCurrent } from "../store/migrations/index.js";

/**
 * What `/readyz` answers. `ready` only when the database answers a query and every migration
 * this build knows has run; a process in front of an older schema must not take traffic (its
 * queries would fail on missing tables or columns).
 */
export type Readiness =
  | { ready: true; appliedMigrations: number; lastMigration: string | null }
  | {
      ready: false;
      reason: "database_unreachable" | "migrations_pending";
      detail: string;
      appliedMigrations?: number;
      lastMigration?: string | null;
    };

/**
 * Migrations are only ever added, so once this process has seen the schema current it stays
 * current; later probes then cost one `select 1` instead of introspecting the catalogue.
 */
const knownCurrent = new WeakSet<Store>();

export async function checkReadiness(store: Store): Promise<Readiness> {
  try {
    await sql`select 1`.execute(store.db);
  } catch (error) {
    return {
      ready: false,
      reason: "database_unreachable",
      detail: `The database does not answer: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  try {
    const applied = await appliedMigrations(store);
    const last = applied.at(-1) ?? null;
    if (knownCurrent.has(store))
      return { ready: true, appliedMigrations: applied.length, lastMigration: last };
    if (await migrationsAreCurrent(store)) {
      knownCurrent.add(store);
      return { ready: true, appliedMigrations: applied.length, lastMigration: last };
    }
    return {
      ready: false,
      reason: "migrations_pending",
      detail:
        applied.length === 0
          ? "The database has no Refund Desk schema yet: run `refund-desk migrate`"
          : `The database schema is behind this build (last applied: ${last}): run \`refund-desk migrate\``,
      appliedMigrations: applied.length,
      lastMigration: last,
    };
  } catch (error) {
    return {
      ready: false,
      reason: "database_unreachable",
      detail: `The migration state could not be read: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/**
 * Names of the applied migrations, in order. The database answered `select 1` just before, so
 * a failing read here means Kysely's bookkeeping table does not exist yet: nothing applied.
 */
async function appliedMigrations(store: Store): Promise<string[]> {
  try {
    const result = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      store.db,
    );
    return result.rows.map((r) => r.name);
  } catch {
    return [];
  }
}
