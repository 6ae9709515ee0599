import type { Kysely } from "kysely";

/**
 * The reviewers' queue lists open cases by expected decision (overdue first). With an index in that
 * order the database reads the first page and stops, instead of sorting every case on each request
 * (the state filter excludes few rows: most cases in the table are the open ones being listed).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex("cases_by_due").on("cases").columns(["due_at", "id"]).execute();
}
