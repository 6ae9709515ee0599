import { type Static, Type } from "typebox";
import { validationFailed } from "../shared/errors.js";
import type { Db } from "../store/database.js";
import { DEFAULT_PAGE_SIZE, type Page } from "../store/pagination.js";

export const KycQueueItem = Type.Object({
  accountId: Type.String(),
  accountName: Type.String(),
  organisationId: Type.String(),
  organisationName: Type.String(),
  type: Type.Union([Type.String(), Type.Null()]),
  legalName: Type.Union([Type.String(), Type.Null()]),
  submittedAt: Type.String(),
});

interface QueuePosition {
  submittedAt: string;
  id: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The queue is oldest-first by submission, so its cursor is (submitted_at, id), kept opaque. */
export function encodeQueueCursor(p: QueuePosition): string {
  return Buffer.from(JSON.stringify([p.submittedAt, p.id]), "utf8").toString("base64url");
}

export function decodeQueueCursor(cursor: string | undefined): QueuePosition | null {
  if (cursor === undefined || cursor === "") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === "string" &&
    ISO.test(parsed[0]) &&
    typeof parsed[1] === "string" &&
    /^[a-z]+_[0-9a-z]{26}$/.test(parsed[1])
  )
    return { submittedAt: parsed[0], id: parsed[1] };
  throw validationFailed([
    { field: "cursor", code: "invalid_cursor", message: "is not a cursor this API issued" },
  ]);
}

/** Pending submissions across every customer organisation, the longest-waiting first. */
export async function listKycQueue(
  db: Db,
  query: { limit?: number; cursor?: string },
): Promise<Page<Static<typeof KycQueueItem>>> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = decodeQueueCursor(query.cursor);
  let q = db
    .selectFrom("accounts")
    .innerJoin("organisations", "organisations.id", "accounts.organisation_id")
    .select([
      "accounts.id",
      "accounts.name",
      "accounts.organisation_id",
      "organisations.name as organisation_name",
      "accounts.kyc_type",
      "accounts.kyc_legal_name",
      "accounts.kyc_submitted_at",
    ])
    .where("accounts.kyc_status", "=", "pending");
  if (after)
    q = q.where((eb) =>
      eb.or([
        eb("accounts.kyc_submitted_at", ">", after.submittedAt),
        eb.and([eb("accounts.kyc_submitted_at", "=", after.submittedAt), eb("accounts.id", ">", after.id)]),
      ]),
    );
  const rows = await q
    .orderBy("accounts.kyc_submitted_at")
    .orderBy("accounts.id")
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map((r) => ({
    accountId: r.id,
    accountName: r.name,
    organisationId: r.organisation_id,
    organisationName: r.organisation_name,
    type: r.kyc_type,
    legalName: r.kyc_legal_name,
    // Every pending account was submitted; submitKyc sets both together.
    submittedAt: r.kyc_submitted_at ?? "",
  }));
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > limit && last
      ? encodeQueueCursor({ submittedAt: last.submittedAt, id: last.accountId })
      : null;
  return { items, nextCursor };
}
