import type { Kysely } from "kysely";
import type { DialectCapabilities } from "../database.js";

/** Money moving: payouts to the original method, account credits and their use by invoices, reconciliation. */
export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const big = caps.bigintType;
  // One payout per refund decision; `attempt` counts re-submissions after a failure.
  await db.schema
    .createTable("payouts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("case_id", "text", (c) => c.notNull().references("cases.id"))
    .addColumn("decision_id", "text", (c) => c.notNull().unique().references("decisions.id"))
    .addColumn("amount_minor", big, (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("payment_id", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("gateway_refund_id", "text")
    .addColumn("failure_code", "text")
    .addColumn("last_error", "text")
    .addColumn("submitted_at", "text")
    .addColumn("settled_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("payouts_by_status").on("payouts").columns(["status", "updated_at"]).execute();
  // Reconciliation finds payouts by the gateway's id and by the day they settled.
  await db.schema.createIndex("payouts_by_gateway_id").on("payouts").columns(["gateway_refund_id"]).execute();
  await db.schema.createIndex("payouts_by_settled_at").on("payouts").columns(["settled_at"]).execute();
  await db.schema.createIndex("payouts_by_org").on("payouts").columns(["organisation_id", "id"]).execute();

  await db.schema
    .createTable("credit_grants")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("case_id", "text")
    .addColumn("decision_id", "text")
    .addColumn("payout_id", "text")
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("amount_minor", big, (c) => c.notNull())
    .addColumn("remaining_minor", big, (c) => c.notNull())
    .addColumn("services", "text", (c) => c.notNull())
    .addColumn("regions", "text", (c) => c.notNull())
    .addColumn("priority", "integer", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .execute();
  // Invoices read an account's charges by period.
  await db.schema
    .createIndex("charges_by_account_period")
    .on("charges")
    .columns(["account_id", "charge_period_start"])
    .execute();
  await db.schema
    .createIndex("credit_grants_by_account")
    .on("credit_grants")
    .columns(["account_id", "status"])
    .execute();

  await db.schema
    .createTable("invoices")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("period_start", "text", (c) => c.notNull())
    .addColumn("period_end", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("charges_minor", big, (c) => c.notNull())
    .addColumn("credits_minor", big, (c) => c.notNull())
    .addColumn("due_minor", big, (c) => c.notNull())
    .addColumn("lines", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("invoices_period")
    .on("invoices")
    .columns(["account_id", "period_start", "currency"])
    .unique()
    .execute();

  await db.schema
    .createTable("credit_uses")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("credit_id", "text", (c) => c.notNull().references("credit_grants.id"))
    .addColumn("invoice_id", "text", (c) => c.references("invoices.id"))
    .addColumn("charge_id", "text")
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("amount_minor", big, (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("credit_uses_by_credit").on("credit_uses").columns(["credit_id"]).execute();
  await db.schema.createIndex("credit_uses_by_invoice").on("credit_uses").columns(["invoice_id"]).execute();

  await db.schema
    .createTable("settlement_imports")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("file_name", "text", (c) => c.notNull())
    .addColumn("content_sha256", "text", (c) => c.notNull().unique())
    .addColumn("settlement_date", "text")
    .addColumn("lines", "integer", (c) => c.notNull())
    .addColumn("matched", "integer", (c) => c.notNull())
    .addColumn("mismatched", "integer", (c) => c.notNull())
    .addColumn("missing_in_ledger", "integer", (c) => c.notNull())
    .addColumn("missing_in_settlement", "integer", (c) => c.notNull())
    .addColumn("report", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("finance_tasks")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("payout_id", "text")
    .addColumn("settlement_import_id", "text")
    .addColumn("summary", "text", (c) => c.notNull())
    .addColumn("details", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("resolved_at", "text")
    .addColumn("resolved_by", "text")
    .execute();
  await db.schema
    .createIndex("finance_tasks_by_status")
    .on("finance_tasks")
    .columns(["status", "created_at"])
    .execute();
}
