import type { Db } from "../store/database.js";
import { fetchPage, type Page, type PageRequest } from "../store/pagination.js";
import type { JobTable } from "../store/schema.js";

/** Dead jobs (out of attempts), newest first (job ids are time-sortable), optionally of one kind. */
export async function listDeadJobs(
  db: Db,
  filter: { kind?: string },
  page: PageRequest,
): Promise<Page<JobTable>> {
  let q = db.selectFrom("jobs").selectAll().where("status", "=", "dead");
  if (filter.kind) q = q.where("kind", "=", filter.kind);
  return fetchPage(q, "id", "desc", page);
}
