import { newId } from "../shared/ids.js";
import { deriveKey, keyedHash } from "../shared/secrets.js";
import type { Tx } from "../store/database.js";
import type { IdentityFingerprintTable } from "../store/schema.js";
import { normaliseIdentityNumber } from "./model.js";

export type FingerprintKind = IdentityFingerprintTable["kind"];

/**
 * Identity numbers and card fingerprints are kept only as HMACs under a key derived from the
 * secret key: equal inputs still link accounts, but a copy of the database does not reveal them.
 */
export function identityNumberHash(secretKey: Buffer, identityNumber: string): string {
  return keyedHash(deriveKey(secretKey, "identity-fingerprints"), normaliseIdentityNumber(identityNumber));
}

/** Gateway fingerprints are opaque and case-sensitive; only surrounding spaces are dropped. */
export function instrumentHash(secretKey: Buffer, instrumentFingerprint: string): string {
  return keyedHash(deriveKey(secretKey, "identity-fingerprints"), instrumentFingerprint.trim());
}

/**
 * The fingerprint row of this account, kind and hash, created when missing. Rows are never
 * deleted: an identity number replaced by a later submission still links the accounts it linked.
 */
export async function recordFingerprint(
  tx: Tx,
  input: { accountId: string; kind: FingerprintKind; keyedHash: string; at: string },
): Promise<{ id: string; created: boolean }> {
  const id = newId("identityFingerprint");
  const inserted = await tx
    .insertInto("identity_fingerprints")
    .values({
      id,
      account_id: input.accountId,
      kind: input.kind,
      keyed_hash: input.keyedHash,
      created_at: input.at,
    })
    .onConflict((oc) => oc.columns(["account_id", "kind", "keyed_hash"]).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { id, created: true };
  const existing = await tx
    .selectFrom("identity_fingerprints")
    .select("id")
    .where("account_id", "=", input.accountId)
    .where("kind", "=", input.kind)
    .where("keyed_hash", "=", input.keyedHash)
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}
