import { newId } from "../shared/ids.js";
import type { DialectCapabilities, Tx } from "../store/database.js";
import type { AuditLogPendingTable } from "../store/schema.js";
import { entryHash, GENESIS_HASH, hashInputMiddle } from "./chain.js";

/** Who did it: `usr_…`, `tok_…`, or `system:<name>` for the CLI, jobs and webhooks. */
export type ActorRef = string;

export interface AuditEntryInput {
  actor: ActorRef;
  action: string;
  subjectType: string;
  subjectId: string;
  organisationId: string | null;
  /** What changed, for people; never secrets or identity numbers. */
  summary: Record<string, unknown>;
  requestId: string | null;
  at: string;
}

/**
 * The row PostgreSQL keeps for an entry until its transaction commits (migration 0008): the fields
 * as stored, and the text the database hashes between the entry's position and the previous hash.
 * For a writer that puts the entry into a statement of its own (the ledger's one-statement posting).
 */
export function pendingAuditRow(input: AuditEntryInput): AuditLogPendingTable {
  const fields = entryFields(input);
  return { ...fields, hash_input: hashInputMiddle(fields) };
}

function entryFields(input: AuditEntryInput) {
  // Stored text is UTF-8: a lone surrogate would be stored as U+FFFD but hashed as itself, and
  // the entry would then fail verification. Hash what is stored.
  const text = <T extends string | null>(s: T): T => (s === null ? s : (s.toWellFormed() as T));
  return {
    id: newId("auditEntry"),
    at: input.at,
    actor: text(input.actor),
    action: text(input.action),
    subject_type: text(input.subjectType),
    subject_id: text(input.subjectId),
    organisation_id: text(input.organisationId),
    summary: JSON.stringify(input.summary),
    request_id: text(input.requestId),
  };
}

/**
 * Appends one entry inside the caller's transaction, so the entry exists exactly when the
 * change it records does. On PostgreSQL the entry is linked into the chain while the transaction
 * commits (migration 0008), so concurrent writers hold the chain's head only for their commit;
 * SQLite, with one writer at a time, links it here.
 */
export async function appendAuditEntry(
  tx: Tx,
  caps: DialectCapabilities,
  input: AuditEntryInput,
): Promise<{ id: string }> {
  if (caps.writableCtes) {
    const row = pendingAuditRow(input);
    await tx.insertInto("audit_log_pending").values(row).execute();
    return { id: row.id };
  }
  const fields = entryFields(input);
  let head = await tx
    .selectFrom("audit_log_head")
    .select(["seq", "hash"])
    .where("id", "=", 1)
    .executeTakeFirst();
  if (!head) {
    await tx.insertInto("audit_log_head").values({ id: 1, seq: 0, hash: GENESIS_HASH }).execute();
    head = { seq: 0, hash: GENESIS_HASH };
  }
  const entry = { seq: head.seq + 1, ...fields, prev_hash: head.hash };
  const hash = entryHash(entry);
  await tx
    .insertInto("audit_log")
    .values({ ...entry, hash })
    .execute();
  await tx.updateTable("audit_log_head").set({ seq: entry.seq, hash }).where("id", "=", 1).execute();
  return { id: entry.id };
}
