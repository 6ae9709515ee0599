import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";
import type { FinanceTaskTable } from "../store/schema.js";

/**
 * Kinds of payout work that needs a person in finance:
 * - `payout_failed`: the gateway refused or failed the refund (not a closed card);
 * - `payout_no_gateway`: no gateway is configured, so the refund cannot be sent;
 * - `payout_stuck`: the gateway did not answer through every retry of the submission;
 * - `payout_mismatch`: the gateway reports an amount, currency or refund id we did not send.
 */
export const PAYOUT_TASK_KINDS = [
  "payout_failed",
  "payout_no_gateway",
  "payout_stuck",
  "payout_mismatch",
] as const;
export type PayoutTaskKind = (typeof PAYOUT_TASK_KINDS)[number];

/**
 * Opens a task for finance about a payout, inside the caller's transaction, with its audit-log
 * entry. One open task per payout and kind: a job that runs again, or a second webhook, does not
 * pile up copies of the same problem.
 */
export async function openPayoutTask(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  input: {
    kind: PayoutTaskKind;
    payoutId: string;
    organisationId: string;
    summary: string;
    details: Record<string, unknown>;
  },
): Promise<FinanceTaskTable> {
  const open = await tx
    .selectFrom("finance_tasks")
    .selectAll()
    .where("payout_id", "=", input.payoutId)
    .where("kind", "=", input.kind)
    .where("status", "=", "open")
    .executeTakeFirst();
  if (open) return open;
  const at = services.clock.now().toISOString();
  const task: FinanceTaskTable = {
    id: newId("financeTask"),
    kind: input.kind,
    status: "open",
    payout_id: input.payoutId,
    settlement_import_id: null,
    summary: input.summary,
    details: JSON.stringify(input.details),
    created_at: at,
    resolved_at: null,
    resolved_by: null,
  };
  await tx.insertInto("finance_tasks").values(task).execute();
  await appendAuditEntry(tx, services.store.capabilities, {
    actor: ctx.actor,
    action: "finance_task.opened",
    subjectType: "finance_task",
    subjectId: task.id,
    organisationId: input.organisationId,
    summary: { kind: task.kind, payoutId: input.payoutId, summary: task.summary },
    requestId: ctx.requestId,
    at,
  });
  return task;
}
