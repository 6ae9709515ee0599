import type { Services, WriteContext } from "../shared/context.js";
import { forbidden } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import type { CaseTable } from "../store/schema.js";
import { assertVersion, loadCaseForUpdate, recordCaseEvent, transitionCase } from "./case-transition.js";

/**
 * A reviewer takes a case from the queue. Taking an appealed case starts its second review, and
 * only the reviewer it was assigned to (never the first decision's) may take it.
 */
export async function claimCase(
  services: Services,
  ctx: WriteContext,
  input: { caseId: string; reviewerId: string; senior: boolean; expectedVersion?: number },
): Promise<CaseTable> {
  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, input.caseId);
    assertVersion(row, input.expectedVersion);
    if (row.assigned_role === "senior_reviewer" && !input.senior)
      throw forbidden("This case is escalated: a senior reviewer takes it");
    if (row.state === "appealed") {
      if (row.assignee_id !== input.reviewerId)
        throw forbidden("This appeal is assigned to another reviewer");
      return transitionCase(tx, services, ctx, row, {
        event: "begin_second_review",
        note: "Second review of the appeal started by a different reviewer.",
        data: { reviewerId: input.reviewerId },
      });
    }
    if (!["submitted", "in_review", "escalated", "awaiting_verification"].includes(row.state))
      throw forbidden(`A case that is ${row.state.replaceAll("_", " ")} is not in the queue`);
    const at = services.clock.now().toISOString();
    const updated = await tx
      .updateTable("cases")
      .set({ assignee_id: input.reviewerId, version: row.version + 1, updated_at: at })
      .where("id", "=", row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordCaseEvent(tx, services, ctx, updated, {
      type: "assigned",
      note: "A reviewer is working on the case.",
      data: { reviewerId: input.reviewerId },
    });
    return updated;
  });
}
