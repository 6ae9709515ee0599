import type { Db } from "../store/database.js";
import { type Page, type PageRequest, toPage } from "../store/pagination.js";
import type { JobTable } from "../store/schema.js";

/** Dead jobs (out of attempts), newest first (job ids are time-sortable), optionally of one kind. */
export async function listDeadJobs(
  db: Db,
  filter: { kind?: string },
  page: PageRequest,
): Promise<Page<JobTable>> {
  let q = db.selectFrom("jobs").selectAll().where("status", "=", "dead");
  if (filter.kind) q = q.where("kind", "=", filter.kind);
  if (page.after) q = q.where("id", "<", page.after);
  const rows = await q
    .orderBy("id", "desc")
    .limit(page.limit + 1)
    .execute();
  return toPage(rows, page);
}
