import type { Db } from "../store/database.js";
import type { IdentityFingerprintTable } from "../store/schema.js";

export type SharedIdentity = IdentityFingerprintTable["kind"];

export interface IdentityLink {
  accountId: string;
  accountName: string;
  organisationId: string;
  organisationName: string;
  /** What this account shares with the other one, in a fixed order. */
  shared: SharedIdentity[];
  /** Compliance's latest verdict on the link (`POST /accounts/{id}/links/{other}/review`), if any. */
  review: {
    verdict: "suspected_abuse" | "legitimate";
    reason: string;
    reviewedBy: string;
    reviewedAt: string;
  } | null;
}

const ORDER: readonly SharedIdentity[] = ["identity_number", "payment_instrument"];

/**
 * Other accounts, in any organisation, that submitted the same identity number or registered
 * the same payment instrument as this one: one person behind several tenants. Closed payment
 * methods and replaced identity numbers still count; the evidence does not expire.
 * Accepts a transaction too, so refund review can ask inside its own.
 */
export async function findIdentityLinks(db: Db, accountId: string): Promise<IdentityLink[]> {
  const rows = await db
    .selectFrom("identity_fingerprints as mine")
    .innerJoin("identity_fingerprints as theirs", (join) =>
      join
        .onRef("theirs.kind", "=", "mine.kind")
        .onRef("theirs.keyed_hash", "=", "mine.keyed_hash")
        .onRef("theirs.account_id", "<>", "mine.account_id"),
    )
    .innerJoin("accounts", "accounts.id", "theirs.account_id")
    .innerJoin("organisations", "organisations.id", "accounts.organisation_id")
    .select([
      "accounts.id as account_id",
      "accounts.name as account_name",
      "organisations.id as organisation_id",
      "organisations.name as organisation_name",
      "theirs.kind",
    ])
    .where("mine.account_id", "=", accountId)
    .distinct()
    .orderBy("account_id")
    .execute();
  const links = new Map<string, IdentityLink>();
  for (const r of rows) {
    let link = links.get(r.account_id);
    if (!link) {
      link = {
        accountId: r.account_id,
        accountName: r.account_name,
        organisationId: r.organisation_id,
        organisationName: r.organisation_name,
        shared: [],
        review: null,
      };
      links.set(r.account_id, link);
    }
    if (!link.shared.includes(r.kind)) link.shared.push(r.kind);
  }
  for (const link of links.values()) link.shared.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  if (links.size > 0) {
    // Reviews key a pair in id order; newest first, so the first seen per pair is the latest.
    const reviews = await db
      .selectFrom("identity_link_reviews")
      .selectAll()
      .where((eb) => eb.or([eb("account_a", "=", accountId), eb("account_b", "=", accountId)]))
      .orderBy("id", "desc")
      .execute();
    for (const r of reviews) {
      const link = links.get(r.account_a === accountId ? r.account_b : r.account_a);
      if (link && link.review === null)
        link.review = {
          verdict: r.verdict,
          reason: r.reason,
          reviewedBy: r.reviewed_by,
          reviewedAt: r.created_at,
        };
    }
  }
  return [...links.values()];
}
