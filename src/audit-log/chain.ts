import { createHash } from "node:crypto";
import type { AuditLogTable } from "../store/schema.js";

/**
 * The audit log is a hash chain: each entry's hash covers its own fields and the previous
 * entry's hash, so altering or deleting any row breaks every link after it.
 */
export const GENESIS_HASH = "0".repeat(64);

/** Every stored field of an entry except its own hash. */
export type ChainedFields = Omit<AuditLogTable, "hash">;

export function entryHash(entry: ChainedFields): string {
  // A JSON array fixes field order and escaping, so the hash input is unambiguous.
  const canonical = JSON.stringify([entry.seq, ...contentFields(entry), entry.prev_hash]);
  return createHash("sha256").update(canonical).digest("hex");
}

type ContentFields = Omit<ChainedFields, "seq" | "prev_hash">;

const contentFields = (entry: ContentFields) => [
  entry.id,
  entry.at,
  entry.actor,
  entry.action,
  entry.subject_type,
  entry.subject_id,
  entry.organisation_id,
  entry.summary,
  entry.request_id,
];

/**
 * The hash input of an entry whose chain fields the database fills in (migration 0008):
 * `'[' + seq + middle + prev_hash + '"]'` is exactly the text `entryHash` hashes (a JSON array's
 * elements are joined by commas; seq is an integer and prev_hash is hex, so neither needs escaping).
 */
export function hashInputMiddle(entry: ContentFields): string {
  return `,${JSON.stringify(contentFields(entry)).slice(1, -1)},"`;
}

export type ChainBreak =
  | { kind: "hash_mismatch"; seq: number; id: string }
  | { kind: "prev_hash_mismatch"; seq: number; id: string }
  | { kind: "missing_entry"; expectedSeq: number; foundSeq: number }
  | { kind: "head_mismatch"; headSeq: number; lastSeq: number };

export interface ChainVerifier {
  /** Feed entries in `seq` order; returns the first break seen, if any. */
  push(entry: ChainedFields & { hash: string }): ChainBreak | null;
  /** Compare the end of the chain with the stored head (catches deleting the newest rows). */
  finish(head: { seq: number; hash: string } | null): ChainBreak | null;
  readonly count: number;
}

export function chainVerifier(): ChainVerifier {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  return {
    get count() {
      return count;
    },
    push(entry) {
      if (entry.seq !== expectedSeq) return { kind: "missing_entry", expectedSeq, foundSeq: entry.seq };
      if (entry.prev_hash !== prevHash) return { kind: "prev_hash_mismatch", seq: entry.seq, id: entry.id };
      if (entryHash(entry) !== entry.hash) return { kind: "hash_mismatch", seq: entry.seq, id: entry.id };
      expectedSeq += 1;
      prevHash = entry.hash;
      count += 1;
      return null;
    },
    finish(head) {
      const lastSeq = expectedSeq - 1;
      const headSeq = head?.seq ?? 0;
      const headHash = head?.hash ?? GENESIS_HASH;
      if (headSeq !== lastSeq || headHash !== prevHash) return { kind: "head_mismatch", headSeq, lastSeq };
      return null;
    },
  };
}

export function describeBreak(b: ChainBreak): string {
  switch (b.kind) {
    case "hash_mismatch":
      return `entry ${b.seq} (${b.id}) was altered: its hash does not match its contents`;
    case "prev_hash_mismatch":
      return `entry ${b.seq} (${b.id}) does not link to entry ${b.seq - 1}: an entry before it was altered or replaced`;
    case "missing_entry":
      return `entry ${b.expectedSeq} is missing (next found is ${b.foundSeq}): entries were deleted`;
    case "head_mismatch":
      return `the chain ends at entry ${b.lastSeq} but its head records entry ${b.headSeq}: the newest entries were deleted or altered`;
  }
}
