import type { Db } from "../store/database.js";
import { fetchPage, type Page, type PageRequest } from "../store/pagination.js";
import type { PayoutTable } from "../store/schema.js";
import type { PayoutState } from "./payout-state.js";

export interface PayoutFilter {
  organisationId?: string;
  /** Only these customer accounts (an account-scoped API token). */
  accountIds?: readonly string[];
  status?: PayoutState;
}

/** Payouts newest first (ids are time-sortable), with their case's ticket number. */
export async function listPayouts(
  db: Db,
  filter: PayoutFilter,
  page: PageRequest,
): Promise<Page<PayoutTable & { ticket_number: string | null }>> {
  let q = db
    .selectFrom("payouts")
    .innerJoin("cases", "cases.id", "payouts.case_id")
    .selectAll("payouts")
    .select("cases.ticket_number as ticket_number");
  if (filter.organisationId) q = q.where("payouts.organisation_id", "=", filter.organisationId);
  if (filter.accountIds)
    q = q.where("payouts.account_id", "in", filter.accountIds.length ? filter.accountIds : [""]);
  if (filter.status) q = q.where("payouts.status", "=", filter.status);
  return fetchPage(q, "payouts.id", "desc", page);
}
