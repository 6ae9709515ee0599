import { type SelectQueryBuilder, type StringReference, sql } from "kysely";
import { validationFailed } from "../shared/errors.js";

/** Cursor pagination over time-sortable ids: the cursor is the last id seen, opaque to clients. */
export interface PageRequest {
  limit: number;
  after: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Ids this API issues: prefixed ULIDs (`acct_01…`). Lists keyed otherwise pass their own pattern. */
const PREFIXED_ULID = /^[a-z]+_[0-9a-z]{26}$/;

export function pageRequest(
  limit: number | undefined,
  cursor: string | undefined,
  idPattern: RegExp = PREFIXED_ULID,
): PageRequest {
  const size = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
    throw validationFailed([
      { field: "limit", code: "out_of_range", message: `must be 1 to ${MAX_PAGE_SIZE}` },
    ]);
  if (cursor === undefined || cursor === "") return { limit: size, after: null };
  const after = Buffer.from(cursor, "base64url").toString("utf8");
  if (!idPattern.test(after))
    throw validationFailed([
      { field: "cursor", code: "invalid_cursor", message: "is not a cursor this API issued" },
    ]);
  return { limit: size, after };
}

/** Call with up to `limit + 1` rows ordered by id: the extra row only says another page exists. */
export function toPage<T extends { id: string }>(rows: T[], req: PageRequest): Page<T> {
  const items = rows.slice(0, req.limit);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > req.limit && last ? Buffer.from(last.id, "utf8").toString("base64url") : null;
  return { items, nextCursor };
}

/**
 * Runs `query` for one page ordered by `column` (the id column, e.g. `"id"` or `"payouts.id"`): the
 * cursor is the last id seen, so the next page starts strictly past it in `direction`.
 */
export async function fetchPage<DB, TB extends keyof DB, O extends { id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: StringReference<DB, TB>,
  direction: "asc" | "desc",
  page: PageRequest,
): Promise<Page<O>> {
  // `sql.ref`: with `DB` generic, Kysely cannot work out that the column compares with a string.
  const q = page.after
    ? query.where(sql.ref<string>(column), direction === "asc" ? ">" : "<", page.after)
    : query;
  const rows = await q
    .orderBy(column, direction)
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page);
}
