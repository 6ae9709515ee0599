import type { Kysely } from "kysely";
import type { DialectCapabilities } from "../database.js";

/**
 * Refund cases: requests grouping one case per line item, the case itself with its state and
 * decision clock, its timeline, evidence, requests for information, decisions and appeals.
 */
export async function up(db: Kysely<unknown>, _caps: DialectCapabilities): Promise<void> {
  // Business days and deadlines follow the customer's region (src/calendar).
  await db.schema.alterTable("organisations").addColumn("country", "text").execute();
  await db.schema.alterTable("organisations").addColumn("time_zone", "text").execute();

  // NOTE: ticket numbers are sequential per provider and year and never reused: a number taken
  // by a transaction that rolls back is simply skipped.
  await db.schema
    .createTable("ticket_counters")
    .addColumn("year", "integer", (c) => c.primaryKey())
    .addColumn("last", "integer", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("refund_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("filed_by", "text", (c) => c.notNull())
    .addColumn("on_behalf_of", "text")
    .addColumn("contact_confirmed", "integer", (c) => c.notNull())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("cases")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("ticket_number", "text", (c) => c.unique())
    .addColumn("request_id", "text", (c) => c.notNull().references("refund_requests.id"))
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("account_id", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("charge_id", "text", (c) => c.notNull().references("charges.id"))
    .addColumn("finding_id", "text")
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("desired_outcome", "text", (c) => c.notNull())
    .addColumn("amount", "text", (c) => c.notNull())
    .addColumn("reserved_amount", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("summary", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("impact_statement", "text", (c) => c.notNull())
    .addColumn("channel", "text", (c) => c.notNull())
    .addColumn("filed_by", "text", (c) => c.notNull())
    .addColumn("on_behalf_of", "text")
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("queue", "text", (c) => c.notNull())
    .addColumn("assigned_role", "text", (c) => c.notNull())
    .addColumn("assignee_id", "text")
    .addColumn("fast_track", "integer", (c) => c.notNull())
    .addColumn("review", "text")
    .addColumn("risk_signals", "text", (c) => c.notNull())
    .addColumn("country", "text")
    .addColumn("time_zone", "text", (c) => c.notNull())
    .addColumn("target_business_days", "integer", (c) => c.notNull())
    .addColumn("paused_business_days", "integer", (c) => c.notNull())
    .addColumn("paused_since", "text")
    .addColumn("due_date", "text")
    .addColumn("due_at", "text")
    .addColumn("submitted_at", "text")
    .addColumn("decided_at", "text")
    .addColumn("closed_at", "text")
    .addColumn("appeal_by", "text")
    .addColumn("pending_decision", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("updated_at", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("cases_by_org").on("cases").columns(["organisation_id", "id"]).execute();
  await db.schema.createIndex("cases_by_charge").on("cases").columns(["charge_id"]).execute();
  await db.schema.createIndex("cases_queue").on("cases").columns(["state", "due_at"]).execute();
  await db.schema.createIndex("cases_by_request").on("cases").columns(["request_id"]).execute();

  await db.schema
    .createTable("case_events")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("case_id", "text", (c) => c.notNull().references("cases.id"))
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("from_state", "text")
    .addColumn("to_state", "text")
    .addColumn("note", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("case_events_by_case").on("case_events").columns(["case_id", "id"]).execute();

  await db.schema
    .createTable("case_evidence")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("case_id", "text", (c) => c.notNull().references("cases.id"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("label", "text", (c) => c.notNull())
    .addColumn("content_type", "text")
    .addColumn("size_bytes", "integer")
    .addColumn("sha256", "text")
    .addColumn("text", "text")
    .addColumn("reference_type", "text")
    .addColumn("reference_id", "text")
    .addColumn("phase", "text", (c) => c.notNull())
    .addColumn("added_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("case_evidence_by_case")
    .on("case_evidence")
    .columns(["case_id", "id"])
    .execute();

  await db.schema
    .createTable("information_requests")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("case_id", "text", (c) => c.notNull().references("cases.id"))
    .addColumn("questions", "text", (c) => c.notNull())
    .addColumn("business_days", "integer", (c) => c.notNull())
    .addColumn("asked_by", "text", (c) => c.notNull())
    .addColumn("asked_at", "text", (c) => c.notNull())
    .addColumn("due_date", "text", (c) => c.notNull())
    .addColumn("due_at", "text", (c) => c.notNull())
    .addColumn("remind_at", "text", (c) => c.notNull())
    .addColumn("reminded_at", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("answer", "text")
    .addColumn("answered_by", "text")
    .addColumn("answered_at", "text")
    .execute();
  await db.schema
    .createIndex("information_requests_by_case")
    .on("information_requests")
    .columns(["case_id", "id"])
    .execute();

  await db.schema
    .createTable("decisions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("case_id", "text", (c) => c.notNull().references("cases.id"))
    .addColumn("sequence", "integer", (c) => c.notNull())
    .addColumn("outcome", "text", (c) => c.notNull())
    .addColumn("amount", "text")
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("rationale", "text", (c) => c.notNull())
    .addColumn("clauses", "text", (c) => c.notNull())
    .addColumn("evidence", "text", (c) => c.notNull())
    .addColumn("alternatives", "text", (c) => c.notNull())
    .addColumn("credit_scope", "text")
    .addColumn("credit_expires_at", "text")
    .addColumn("adjustment", "text")
    .addColumn("proration", "text")
    .addColumn("final", "integer", (c) => c.notNull())
    .addColumn("appeal_by", "text")
    .addColumn("decided_by", "text", (c) => c.notNull())
    .addColumn("decided_at", "text", (c) => c.notNull())
    .addColumn("policy_version", "text", (c) => c.notNull())
    .addColumn("letter_path", "text")
    .addColumn("letter_sha256", "text")
    .execute();
  // One first and at most one second (appeal) decision per case.
  await db.schema
    .createIndex("decisions_case_sequence")
    .on("decisions")
    .columns(["case_id", "sequence"])
    .unique()
    .execute();

  await db.schema
    .createTable("appeals")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("case_id", "text", (c) => c.notNull().references("cases.id"))
    .addColumn("decision_id", "text", (c) => c.notNull().references("decisions.id"))
    .addColumn("argument", "text", (c) => c.notNull())
    .addColumn("filed_by", "text", (c) => c.notNull())
    .addColumn("filed_at", "text", (c) => c.notNull())
    .addColumn("assigned_to", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("appeals_by_case").on("appeals").columns(["case_id"]).unique().execute();

  // Compliance's verdict on a link between two accounts sharing an identity or a card.
  await db.schema
    .createTable("identity_link_reviews")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("account_a", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("account_b", "text", (c) => c.notNull().references("accounts.id"))
    .addColumn("verdict", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("reviewed_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("identity_link_reviews_pair")
    .on("identity_link_reviews")
    .columns(["account_a", "account_b", "id"])
    .execute();
}
