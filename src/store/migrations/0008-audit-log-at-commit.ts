import { type Kysely, sql } from "kysely";
import type { DialectCapabilities } from "../database.js";

/**
 * PostgreSQL links audit-log entries into the hash chain at commit. A transaction writes its
 * entries to `audit_log_pending` without any lock; a deferred trigger moves each into `audit_log`
 * with the next position and hash while the transaction commits. The chain's head is then locked
 * only for the commit itself, not for the client's round trips up to it, so concurrent writers
 * queue far less (bench/ledger.ts). SQLite has one writer at a time and keeps linking inline.
 *
 * `hash_input` is the entry's fields as the text `entryHash` hashes between the position and the
 * previous hash (src/audit-log/chain.ts), made by the same code that the verifier uses.
 */
export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  if (!caps.writableCtes) return;
  await db.schema
    .createTable("audit_log_pending")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("at", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("subject_type", "text", (c) => c.notNull())
    .addColumn("subject_id", "text", (c) => c.notNull())
    .addColumn("organisation_id", "text")
    .addColumn("summary", "text", (c) => c.notNull())
    .addColumn("request_id", "text")
    .addColumn("hash_input", "text", (c) => c.notNull())
    .execute();
  // The head exists from the start, so the first entries of concurrent transactions queue on it.
  await sql`insert into audit_log_head (id, seq, hash) values (1, 0, repeat('0', 64)) on conflict (id) do nothing`.execute(
    db,
  );
  await sql`
    create function audit_log_link() returns trigger language plpgsql as $$
    declare
      head record;
      next_seq bigint;
      next_hash text;
    begin
      select seq, hash into strict head from audit_log_head where id = 1 for update;
      next_seq := head.seq + 1;
      next_hash := encode(sha256(convert_to('[' || next_seq::text || new.hash_input || head.hash || '"]', 'UTF8')), 'hex');
      insert into audit_log (seq, id, at, actor, action, subject_type, subject_id, organisation_id, summary,
        request_id, prev_hash, hash)
      values (next_seq, new.id, new.at, new.actor, new.action, new.subject_type, new.subject_id,
        new.organisation_id, new.summary, new.request_id, head.hash, next_hash);
      update audit_log_head set seq = next_seq, hash = next_hash where id = 1;
      delete from audit_log_pending where id = new.id;
      return null;
    end $$`.execute(db);
  await sql`create constraint trigger audit_log_link after insert on audit_log_pending
    deferrable initially deferred for each row execute function audit_log_link()`.execute(db);
}
