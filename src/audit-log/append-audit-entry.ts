import { newId } from "../shared/ids.js";
import type { DialectCapabilities, Tx } from "../store/database.js";
import { entryHash, GENESIS_HASH } from "./chain.js";

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
 * Appends one entry inside the caller's transaction, so the entry exists exactly when the
 * change it records does. The head row lock (PostgreSQL) orders concurrent writers.
 */
export async function appendAuditEntry(
  tx: Tx,
  caps: DialectCapabilities,
  input: AuditEntryInput,
): Promise<{ seq: number; id: string }> {
  let headQuery = tx.selectFrom("audit_log_head").select(["seq", "hash"]).where("id", "=", 1);
  if (caps.rowLocks) headQuery = headQuery.forUpdate();
  let head = await headQuery.executeTakeFirst();
  if (!head) {
    // First entry ever: create the head; a concurrent first writer hits the primary key.
    await tx.insertInto("audit_log_head").values({ id: 1, seq: 0, hash: GENESIS_HASH }).execute();
    head = { seq: 0, hash: GENESIS_HASH };
  }
  const entry = {
    seq: head.seq + 1,
    id: newId("auditEntry"),
    at: input.at,
    actor: input.actor,
    action: input.action,
    subject_type: input.subjectType,
    subject_id: input.subjectId,
    organisation_id: input.organisationId,
    summary: JSON.stringify(input.summary),
    request_id: input.requestId,
    prev_hash: head.hash,
  };
  const hash = entryHash(entry);
  await tx
    .insertInto("audit_log")
    .values({ ...entry, hash })
    .execute();
  await tx.updateTable("audit_log_head").set({ seq: entry.seq, hash }).where("id", "=", 1).execute();
  return { seq: entry.seq, id: entry.id };
}
