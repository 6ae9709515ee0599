import { sql } from "kysely";
import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, conflict, type FieldError, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction, type Tx } from "../store/database.js";
import type { CaseTable } from "../store/schema.js";
import { addReferenceEvidence, type EvidenceInput, validateEvidenceInputs } from "./case-evidence.js";
import { assertVersion, loadCaseForUpdate, transitionCase } from "./case-transition.js";
import { type CaseState, nextState } from "./lifecycle.js";

/**
 * The reviewer a second review goes to: never the first decision's; of the others with the role the
 * case needs, the one with the fewest open cases (then the oldest account), so appeals spread out.
 */
async function secondReviewer(tx: Tx, row: CaseTable, firstDecider: string): Promise<string | null> {
  const roles =
    row.assigned_role === "senior_reviewer" ? ["senior_reviewer"] : ["reviewer", "senior_reviewer"];
  const candidates = await tx
    .selectFrom("memberships")
    .innerJoin("organisations", "organisations.id", "memberships.organisation_id")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select([
      "users.id",
      sql<number>`(select count(*) from cases c where c.assignee_id = users.id and c.state not in ('decided', 'closed', 'withdrawn'))`.as(
        "load",
      ),
    ])
    .where("organisations.kind", "=", "provider")
    .where("memberships.role", "in", roles)
    .where("users.disabled", "=", 0)
    .where("users.id", "<>", firstDecider)
    .execute();
  candidates.sort((a, b) => Number(a.load) - Number(b.load) || a.id.localeCompare(b.id));
  return candidates[0]?.id ?? null;
}

/**
 * NOTE: an appeal is heard only within the policy's window and only with something new — a new
 * argument, new evidence, or both — and always by a different reviewer. Its decision is final.
 */
export async function appealCase(
  services: Services,
  ctx: WriteContext,
  input: { caseId: string; argument: string; evidence?: readonly EvidenceInput[]; expectedVersion?: number },
): Promise<CaseTable> {
  const errors: FieldError[] = validateEvidenceInputs(input.evidence ?? []);
  if (errors.length) throw validationFailed(errors);
  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, input.caseId);
    assertVersion(row, input.expectedVersion);
    const now = services.clock.now().toISOString();
    if (nextState(row.state as CaseState, "appeal") === null)
      throw new AppError(
        "invalid_transition",
        `A case that is ${row.state.replaceAll("_", " ")} cannot be appealed`,
        {
          extensions: { currentState: row.state, event: "appeal" },
        },
      );
    if (row.state === "decided" && row.appeal_by !== null && now > row.appeal_by)
      throw new AppError("invalid_transition", `The appeal window closed on ${row.appeal_by}`, {
        extensions: { currentState: row.state },
      });
    const first = await tx
      .selectFrom("decisions")
      .selectAll()
      .where("case_id", "=", row.id)
      .where("sequence", "=", 1)
      .executeTakeFirst();
    const newEvidence = await tx
      .selectFrom("case_evidence")
      .select("id")
      .where("case_id", "=", row.id)
      .where("created_at", ">", first?.decided_at ?? now)
      .execute();
    const argument = input.argument.trim();
    if (argument.length < 20 && newEvidence.length === 0 && (input.evidence ?? []).length === 0)
      throw validationFailed([
        {
          field: "argument",
          code: "nothing_new",
          message: "an appeal needs a new argument (at least 20 characters) or new evidence",
        },
      ]);
    const assignee = first ? await secondReviewer(tx, row, first.decided_by) : null;
    if (!first || !assignee) throw conflict("No other reviewer is available to hear this appeal");
    const updated = await transitionCase(tx, services, ctx, row, {
      event: "appeal",
      patch: { assignee_id: assignee },
      note: "Appealed; a different reviewer will decide, and that decision is final.",
      data: { argument, assignee },
    });
    await tx
      .insertInto("appeals")
      .values({
        id: newId("appeal"),
        case_id: row.id,
        decision_id: first.id,
        argument,
        filed_by: ctx.actor,
        filed_at: now,
        assigned_to: assignee,
      })
      .execute();
    await addReferenceEvidence(tx, services, ctx, updated, input.evidence ?? [], "appeal");
    await notifyCustomer(tx, {
      type: "case.appealed",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: now,
      data: { caseId: row.id, ticketNumber: row.ticket_number, state: updated.state },
      email: {
        subject: `[${row.ticket_number}] We received your appeal`,
        text: `Your appeal on refund request ${row.ticket_number} will be decided by a different reviewer. That decision is final.`,
      },
    });
    return updated;
  });
}
