import type { Kysely } from "kysely";
import type { DialectCapabilities } from "../database.js";

/** FOCUS charge columns kept as text: amounts are exact decimal strings, times ISO UTC. */
export const CHARGE_TEXT_COLUMNS = [
  "billing_account_id",
  "billing_account_name",
  "sub_account_id",
  "sub_account_name",
  "provider_name",
  "publisher_name",
  "invoice_issuer_name",
  "invoice_id",
  "billing_period_start",
  "billing_period_end",
  "charge_period_start",
  "charge_period_end",
  "charge_category",
  "charge_class",
  "charge_frequency",
  "charge_description",
  "service_name",
  "service_category",
  "region_id",
  "region_name",
  "availability_zone",
  "resource_id",
  "resource_name",
  "resource_type",
  "sku_id",
  "sku_price_id",
  "pricing_category",
  "consumed_quantity",
  "consumed_unit",
  "pricing_quantity",
  "pricing_unit",
  "list_unit_price",
  "contracted_unit_price",
  "billed_cost",
  "effective_cost",
  "list_cost",
  "contracted_cost",
  "billing_currency",
  "commitment_discount_id",
  "commitment_discount_status",
  "commitment_discount_type",
  "commitment_discount_category",
  "commitment_discount_quantity",
  "commitment_discount_unit",
  "tags",
  "extensions",
] as const;

export async function up(db: Kysely<unknown>, _caps: DialectCapabilities): Promise<void> {
  await db.schema
    .createTable("imports")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("file_name", "text", (c) => c.notNull())
    .addColumn("content_sha256", "text", (c) => c.notNull())
    .addColumn("format", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("rows_total", "integer")
    .addColumn("rows_imported", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("rows_invalid", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("error", "text")
    .addColumn("duplicate_of", "text")
    .addColumn("upload_path", "text")
    .addColumn("options", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("started_at", "text")
    .addColumn("finished_at", "text")
    .execute();
  await db.schema.createIndex("imports_by_org").on("imports").columns(["organisation_id", "id"]).execute();
  await db.schema
    .createIndex("imports_by_content")
    .on("imports")
    .columns(["organisation_id", "kind", "content_sha256"])
    .execute();

  let charges = db.schema
    .createTable("charges")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("import_id", "text", (c) => c.notNull().references("imports.id"))
    .addColumn("source_ref", "text", (c) => c.notNull())
    .addColumn("month", "text", (c) => c.notNull());
  for (const col of CHARGE_TEXT_COLUMNS) charges = charges.addColumn(col, "text");
  await charges.execute();
  await db.schema
    .createIndex("charges_by_account")
    .on("charges")
    .columns(["organisation_id", "account_id", "id"])
    .execute();
  await db.schema
    .createIndex("charges_by_month")
    .on("charges")
    .columns(["organisation_id", "month", "id"])
    .execute();
  await db.schema
    .createIndex("charges_by_service")
    .on("charges")
    .columns(["organisation_id", "service_name", "id"])
    .execute();
  await db.schema
    .createIndex("charges_by_resource")
    .on("charges")
    .columns(["organisation_id", "resource_id"])
    .execute();
  await db.schema.createIndex("charges_by_import").on("charges").columns(["import_id"]).execute();

  const evidence = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
      .addColumn("import_id", "text", (c) => c.notNull().references("imports.id"))
      .addColumn("source_ref", "text", (c) => c.notNull());

  await evidence("usage_intervals")
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("start_at", "text", (c) => c.notNull())
    .addColumn("end_at", "text", (c) => c.notNull())
    .addColumn("quantity", "text")
    .addColumn("unit", "text")
    .execute();
  await db.schema
    .createIndex("usage_by_resource")
    .on("usage_intervals")
    .columns(["organisation_id", "resource_id"])
    .execute();

  await evidence("subscriptions")
    .addColumn("subscription_id", "text", (c) => c.notNull())
    .addColumn("account_ref", "text", (c) => c.notNull())
    .addColumn("resource_id", "text")
    .addColumn("service_name", "text", (c) => c.notNull())
    .addColumn("term", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("renews_at", "text")
    .addColumn("auto_renew", "integer", (c) => c.notNull())
    .addColumn("cancelled_at", "text")
    .execute();

  await evidence("incidents")
    .addColumn("incident_id", "text", (c) => c.notNull())
    .addColumn("service_name", "text", (c) => c.notNull())
    .addColumn("region_id", "text", (c) => c.notNull())
    .addColumn("resource_ids", "text", (c) => c.notNull())
    .addColumn("start_at", "text", (c) => c.notNull())
    .addColumn("end_at", "text", (c) => c.notNull())
    .addColumn("status_page_url", "text")
    .execute();

  await evidence("promotions")
    .addColumn("promotion_id", "text", (c) => c.notNull())
    .addColumn("code", "text")
    .addColumn("account_ref", "text", (c) => c.notNull())
    .addColumn("service_names", "text", (c) => c.notNull())
    .addColumn("region_ids", "text", (c) => c.notNull())
    .addColumn("discount_percent", "text")
    .addColumn("credit_amount", "text")
    .addColumn("currency", "text")
    .addColumn("valid_from", "text", (c) => c.notNull())
    .addColumn("valid_to", "text", (c) => c.notNull())
    .execute();

  await evidence("payments")
    .addColumn("payment_id", "text", (c) => c.notNull())
    .addColumn("account_ref", "text", (c) => c.notNull())
    .addColumn("invoice_id", "text")
    .addColumn("method", "text", (c) => c.notNull())
    .addColumn("instrument_fingerprint_id", "text")
    .addColumn("amount", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("paid_at", "text", (c) => c.notNull())
    .execute();

  // Durable background jobs: enqueued in the transaction of the change that causes them.
  await db.schema
    .createTable("jobs")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("max_attempts", "integer", (c) => c.notNull().defaultTo(5))
    .addColumn("run_after", "text", (c) => c.notNull())
    .addColumn("locked_by", "text")
    .addColumn("locked_until", "text")
    .addColumn("last_error", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .execute();
  await db.schema.createIndex("jobs_ready").on("jobs").columns(["status", "run_after"]).execute();
}
