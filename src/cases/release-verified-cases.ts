import { Money } from "../money/index.js";
import type { Services } from "../shared/context.js";
import { inTransaction } from "../store/database.js";
import { loadCaseForUpdate } from "./case-transition.js";
import { applyDecision, type DecisionInput, kycGate } from "./decide-case.js";

interface PendingDecision extends DecisionInput {
  decidedBy: string;
  deciderName: string;
}

/**
 * The `case.verification_check` job, queued when an account's KYC is decided: every case of the
 * organisation waiting for verification whose gate now passes gets the decision its reviewer made.
 */
export async function releaseVerifiedCases(services: Services, organisationId: string): Promise<number> {
  const waiting = await services.store.db
    .selectFrom("cases")
    .select("id")
    .where("organisation_id", "=", organisationId)
    .where("state", "=", "awaiting_verification")
    .orderBy("id")
    .execute();
  let released = 0;
  for (const { id } of waiting) {
    released += await inTransaction(services.store, async (tx) => {
      const row = await loadCaseForUpdate(tx, services, id);
      if (row.state !== "awaiting_verification" || row.pending_decision === null) return 0;
      const pending = JSON.parse(row.pending_decision) as PendingDecision;
      const now = services.clock.now().toISOString();
      const amount = pending.amount
        ? Money.of(pending.amount, row.currency)
        : Money.of(row.amount, row.currency);
      const gate = await kycGate(
        tx,
        row,
        pending.outcome as Parameters<typeof kycGate>[2],
        amount,
        now,
        services.config.reviewPolicy,
      );
      if (!gate.passed) return 0;
      const { decidedBy, deciderName, ...decision } = pending;
      await applyDecision(tx, services, { actor: decidedBy, requestId: null }, row, decision, {
        deciderName,
        holdIfUnverified: false,
      });
      return 1;
    });
  }
  return released;
}
