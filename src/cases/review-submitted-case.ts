import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Policy } from "../policy/policy.js";
import type { Services, WriteContext } from "../shared/context.js";
import { inTransaction } from "../store/database.js";
import { loadReviewFacts } from "./case-facts.js";
import { loadCaseForUpdate, recordCaseEvent, transitionCase } from "./case-transition.js";
import { applyDecision } from "./decide-case.js";
import { expectedDecision, regionOf } from "./decision-clock.js";
import { type ReviewResult, reviewCase } from "./initial-review.js";

export const FAST_TRACK_ACTOR = "system:fast-track";

/** The customer-facing words of the reason a fast-tracked case was approved. */
function fastTrackRationale(result: ReviewResult): string {
  const passed = result.checks.map((c) => `- ${c.detail}`).join("\n");
  return (
    "Approved automatically: the audit's finding was re-confirmed against the billing record, the amount is within " +
    "the fast-track limit, the account's identity is verified and there is no risk signal.\n" +
    `Checks:\n${passed}`
  );
}

/**
 * The automatic initial review (the `case.review` job): runs the pure review over the facts and
 * routes the case — a fast-track approval, a reviewer's queue, or a senior reviewer above the
 * escalation threshold. A case no longer `submitted` (withdrawn meanwhile, or reviewed by a job that
 * ran twice) is left alone.
 */
export async function reviewSubmittedCase(services: Services, caseId: string): Promise<void> {
  const ctx: WriteContext = { actor: "system:initial-review", requestId: null };
  await inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, caseId);
    if (row.state !== "submitted") return;
    const now = services.clock.now().toISOString();
    const facts = await loadReviewFacts(tx, row, now);
    const { policy, reviewPolicy } = services.config;
    const result = reviewCase(facts, policy, reviewPolicy);
    const due = expectedDecision(
      row.submitted_at ?? now,
      result.targetBusinessDays,
      row.paused_business_days,
      regionOf(row),
    );
    const patch = {
      review: JSON.stringify({ ...result, reviewedAt: now, policyVersion: policy.version }),
      risk_signals: JSON.stringify(result.riskSignals),
      queue: result.queue,
      fast_track: result.route.to === "fast_track" ? 1 : 0,
      target_business_days: result.targetBusinessDays,
      due_date: due.date,
      due_at: due.endsAt,
    };
    if (result.route.to === "fast_track") {
      const reviewed = await tx
        .updateTable("cases")
        .set({ ...patch, version: row.version + 1, updated_at: now })
        .where("id", "=", row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordCaseEvent(tx, services, ctx, reviewed, {
        type: "initial_review",
        note: "Initial review passed every check: fast-tracked.",
        data: { route: result.route.to, riskSignals: result.riskSignals },
      });
      await applyDecision(
        tx,
        services,
        { actor: FAST_TRACK_ACTOR, requestId: null },
        reviewed,
        {
          outcome: result.route.outcome,
          rationale: fastTrackRationale(result),
          clauses: [...new Set([...result.policy.clauses, ...kindClauses(policy, facts.finding?.kind)])],
        },
        { deciderName: "Refund Desk fast-track review", holdIfUnverified: false },
      );
      return;
    }
    const senior = result.route.to === "senior_reviewer";
    const moved = await transitionCase(tx, services, ctx, row, {
      event: senior ? "escalate" : "begin_review",
      patch: { ...patch, assigned_role: senior ? "senior_reviewer" : "reviewer" },
      note: senior
        ? `Initial review done; the amount is above the senior-review threshold, so a senior reviewer decides. Expected decision by ${due.date}.`
        : `Initial review done; in the ${result.queue} queue. Expected decision by ${due.date}.`,
      data: {
        route: result.route.to,
        queue: result.queue,
        riskSignals: result.riskSignals,
        checks: result.checks,
      },
    });
    if (senior)
      await notifyCustomer(tx, {
        type: "case.escalated",
        organisationId: moved.organisation_id,
        subjectId: moved.id,
        occurredAt: now,
        data: {
          caseId: moved.id,
          ticketNumber: moved.ticket_number,
          state: moved.state,
          expectedDecisionBy: moved.due_date,
        },
        email: null,
      });
  });
}

function kindClauses(policy: Policy, kind: string | undefined): string[] {
  if (!kind) return [];
  const id = kind.replaceAll("_", "-");
  return Object.hasOwn(policy.clauses, id) ? [id] : [];
}
