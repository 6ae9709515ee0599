import type { Services } from "../shared/context.js";
import { inTransaction } from "../store/database.js";
import { loadCaseForUpdate, transitionCase } from "./case-transition.js";

/** The `case.close` job: a decided case not appealed by its deadline is closed. */
export async function closeDecidedCase(services: Services, caseId: string): Promise<void> {
  await inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, caseId);
    const now = services.clock.now().toISOString();
    if (row.state !== "decided" || row.appeal_by === null) return;
    if (now < row.appeal_by) throw new Error(`case ${row.id} may be appealed until ${row.appeal_by}`);
    await transitionCase(tx, services, { actor: "system:deadlines", requestId: null }, row, {
      event: "close",
      patch: { closed_at: now },
      note: "Closed: the appeal window ended.",
    });
  });
}
