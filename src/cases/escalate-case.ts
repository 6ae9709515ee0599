import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Services, WriteContext } from "../shared/context.js";
import { forbidden } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import type { CaseTable } from "../store/schema.js";
import { assertVersion, loadCaseForUpdate, transitionCase } from "./case-transition.js";
import { isOverdue } from "./decision-clock.js";

/**
 * Moves a case to a senior reviewer. A reviewer may escalate any case in review; the customer may
 * ask for it only once the case is past its expected decision date.
 */
export async function escalateCase(
  services: Services,
  ctx: WriteContext,
  input: { caseId: string; by: "reviewer" | "customer"; reason: string; expectedVersion?: number },
): Promise<CaseTable> {
  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, input.caseId);
    assertVersion(row, input.expectedVersion);
    const now = services.clock.now().toISOString();
    if (input.by === "customer" && !isOverdue(row, now))
      throw forbidden(
        `You can ask for escalation once the case is past its expected decision date (${row.due_date})`,
      );
    const updated = await transitionCase(tx, services, ctx, row, {
      event: "escalate",
      patch: { assigned_role: "senior_reviewer", assignee_id: null },
      note:
        input.by === "customer"
          ? "Escalated to a senior reviewer at the customer's request: the case is overdue."
          : `Escalated to a senior reviewer${input.reason.trim() ? `: ${input.reason.trim()}` : ""}.`,
      data: { by: input.by, reason: input.reason.trim() },
    });
    await notifyCustomer(tx, {
      type: "case.escalated",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: now,
      data: { caseId: row.id, ticketNumber: row.ticket_number, state: updated.state, by: input.by },
      email: null,
    });
    return updated;
  });
}
