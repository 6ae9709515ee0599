import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, notFound, validationFailed } from "../shared/errors.js";
import type { Db } from "../store/database.js";
import { inTransaction } from "../store/database.js";
import { fetchPage, type Page, type PageRequest } from "../store/pagination.js";
import type { FinanceTaskTable } from "../store/schema.js";

export const FINANCE_TASK_STATUSES = ["open", "resolved"] as const;
export type FinanceTaskStatus = (typeof FINANCE_TASK_STATUSES)[number];

export const MAX_NOTE_CHARS = 2000;

/** Finance's work list, oldest first (the longest waiting on top), one page at a time. */
export async function listFinanceTasks(
  db: Db,
  filter: { status?: FinanceTaskStatus; kind?: string; settlementImportId?: string },
  page: PageRequest,
): Promise<Page<FinanceTaskTable>> {
  let q = db.selectFrom("finance_tasks").selectAll();
  if (filter.status) q = q.where("status", "=", filter.status);
  if (filter.kind) q = q.where("kind", "=", filter.kind);
  if (filter.settlementImportId) q = q.where("settlement_import_id", "=", filter.settlementImportId);
  return fetchPage(q, "id", "asc", page);
}

/**
 * Closes an open finance task with a note saying what was done (a corrected payout, a call with the
 * gateway, a reversing entry). The note is kept in the task's details and in the audit log. The
 * update only takes an `open` task, so two people resolving at once cannot both succeed.
 */
export async function resolveFinanceTask(
  services: Services,
  ctx: WriteContext,
  input: { taskId: string; note: string },
): Promise<FinanceTaskTable> {
  const note = input.note.trim();
  if (note === "")
    throw validationFailed([{ field: "note", code: "required", message: "say what was done about it" }]);
  if (note.length > MAX_NOTE_CHARS)
    throw validationFailed([
      { field: "note", code: "too_long", message: `must be at most ${MAX_NOTE_CHARS} characters` },
    ]);
  return inTransaction(services.store, async (tx) => {
    const task = await tx
      .selectFrom("finance_tasks")
      .selectAll()
      .where("id", "=", input.taskId)
      .executeTakeFirst();
    if (!task) throw notFound("Finance task");
    const at = services.clock.now().toISOString();
    // Other flows open tasks too (the payout flow); their details may not be an object.
    const prior: unknown = JSON.parse(task.details);
    const base =
      typeof prior === "object" && prior !== null && !Array.isArray(prior) ? prior : { details: prior };
    const details = { ...base, resolution: { note, by: ctx.actor, at } };
    const updated = await tx
      .updateTable("finance_tasks")
      .set({ status: "resolved", resolved_at: at, resolved_by: ctx.actor, details: JSON.stringify(details) })
      .where("id", "=", task.id)
      .where("status", "=", "open")
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw new AppError("invalid_transition", "This finance task is already resolved", {
        extensions: { currentState: "resolved" },
      });
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "finance_task.resolved",
      subjectType: "finance_task",
      subjectId: task.id,
      organisationId: null,
      summary: {
        kind: task.kind,
        payoutId: task.payout_id,
        settlementImportId: task.settlement_import_id,
        note,
      },
      requestId: ctx.requestId,
      at,
    });
    return {
      ...task,
      status: "resolved" as const,
      resolved_at: at,
      resolved_by: ctx.actor,
      details: JSON.stringify(details),
    };
  });
}
