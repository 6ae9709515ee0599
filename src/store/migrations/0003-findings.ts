import type { Kysely } from "kysely";
import type { DialectCapabilities } from "../database.js";

export async function up(db: Kysely<unknown>, _caps: DialectCapabilities): Promise<void> {
  await db.schema
    .createTable("audit_runs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("as_of", "text", (c) => c.notNull())
    .addColumn("policy_version", "text")
    .addColumn("charges", "integer")
    .addColumn("findings", "integer")
    .addColumn("refundable", "text")
    .addColumn("error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .execute();
  await db.schema
    .createIndex("audit_runs_by_org")
    .on("audit_runs")
    .columns(["organisation_id", "id"])
    .execute();

  // A finding is identified by its deterministic id within its organisation, so a re-run
  // updates it instead of duplicating it.
  await db.schema
    .createTable("findings")
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.references("accounts.id"))
    .addColumn("provider_account_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("amount", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("claimable", "integer", (c) => c.notNull())
    .addColumn("charge_refs", "text", (c) => c.notNull())
    .addColumn("explanation", "text", (c) => c.notNull())
    .addColumn("evidence", "text", (c) => c.notNull())
    .addColumn("clauses", "text", (c) => c.notNull())
    .addColumn("details", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("audit_run_id", "text", (c) => c.notNull())
    .addColumn("first_found_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("findings_pk", ["organisation_id", "id"])
    .execute();
  await db.schema
    .createIndex("findings_by_account")
    .on("findings")
    .columns(["organisation_id", "account_id", "kind"])
    .execute();
}
