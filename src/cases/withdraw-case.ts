import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Services, WriteContext } from "../shared/context.js";
import { inTransaction } from "../store/database.js";
import type { CaseTable } from "../store/schema.js";
import { assertVersion, loadCaseForUpdate, transitionCase } from "./case-transition.js";

/** The customer withdraws an open case; its reservation on the charge is released. */
export async function withdrawCase(
  services: Services,
  ctx: WriteContext,
  input: { caseId: string; reason: string; expectedVersion?: number },
): Promise<CaseTable> {
  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, input.caseId);
    assertVersion(row, input.expectedVersion);
    const now = services.clock.now().toISOString();
    const updated = await transitionCase(tx, services, ctx, row, {
      event: "withdraw",
      patch: { closed_at: now, paused_since: null, pending_decision: null },
      note: `Withdrawn by the customer${input.reason.trim() ? `: ${input.reason.trim()}` : ""}.`,
      data: { reason: input.reason.trim() },
    });
    await tx
      .updateTable("information_requests")
      .set({ status: "cancelled" })
      .where("case_id", "=", row.id)
      .where("status", "=", "open")
      .execute();
    await notifyCustomer(tx, {
      type: "case.withdrawn",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: now,
      data: { caseId: row.id, ticketNumber: row.ticket_number, state: updated.state, reason: "customer" },
      email: null,
    });
    return updated;
  });
}
