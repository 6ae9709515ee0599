import { OUTCOMES, type Outcome } from "../audit/finding.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import { Money, parseDecimal } from "../money/index.js";
import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Policy } from "../policy/policy.js";
import { amountFor, type ReviewPolicy } from "../policy/review-policy.js";
import { settleDecision } from "../settlement/settle-decision.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, conflict, type FieldError, forbidden, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction, type Tx } from "../store/database.js";
import type { CaseTable, ChargeTable, DecisionTable } from "../store/schema.js";
import { identityLinksWithVerdicts, kycStatusOf } from "./case-facts.js";
import { assertTransition, assertVersion, loadCaseForUpdate, transitionCase } from "./case-transition.js";
import { loadChargeForUpdate, refundableRemainder } from "./refundable.js";

/** What a reviewer (or the fast-track) decides. Amounts are exact decimal strings. */
export interface DecisionInput {
  outcome: string;
  /** Granted amount; defaults to the requested amount. Not allowed for a partial refund (computed). */
  amount?: string;
  /** Partial refund: the part of the charge period to refund, pro rata of the billed cost. */
  proration?: { from: string; to: string };
  rationale: string;
  clauses: readonly string[];
  /** Evidence considered, in words (defaults to the case's evidence labels). */
  evidence?: readonly string[];
  credit?: { services?: readonly string[]; regions?: readonly string[]; expiresAt?: string };
  adjustment?: string;
  alternatives?: readonly string[];
  expectedVersion?: number;
}

export interface Decider {
  actor: string;
  /** The decider holds `refunds.review_senior`. */
  senior: boolean;
}

const MONEY_OUTCOMES: readonly Outcome[] = ["refund_original_method", "account_credit", "partial_refund"];
/** NOTE: money back to the card or bank needs verified KYC (the foundation's KYC gate). */
const TO_ORIGINAL_METHOD: readonly Outcome[] = ["refund_original_method", "partial_refund"];
const DAY_MS = 86_400_000;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function validateDecision(input: DecisionInput, policy: Policy): FieldError[] {
  const errors: FieldError[] = [];
  if (!(OUTCOMES as readonly string[]).includes(input.outcome))
    errors.push({
      field: "outcome",
      code: "invalid_outcome",
      message: `must be one of ${OUTCOMES.join(", ")}`,
    });
  if (input.rationale.trim().length < 20)
    errors.push({
      field: "rationale",
      code: "too_short",
      message: "explain the decision in at least 20 characters",
    });
  if (input.clauses.length === 0)
    errors.push({ field: "clauses", code: "required", message: "cite at least one policy clause" });
  for (const [i, c] of input.clauses.entries())
    if (!Object.hasOwn(policy.clauses, c))
      errors.push({
        field: `clauses/${i}`,
        code: "unknown_clause",
        message: `${c} is not a clause of policy ${policy.version}`,
      });
  if (input.outcome === "partial_refund") {
    if (!input.proration)
      errors.push({
        field: "proration",
        code: "required",
        message: "a partial refund is prorated: give from and to",
      });
    if (input.amount !== undefined)
      errors.push({
        field: "amount",
        code: "computed",
        message: "a partial refund's amount is computed from the proration",
      });
  } else if (input.proration)
    errors.push({ field: "proration", code: "not_allowed", message: "only a partial refund is prorated" });
  if (input.outcome === "service_adjustment" && !input.adjustment?.trim())
    errors.push({
      field: "adjustment",
      code: "required",
      message: "describe the service adjustment (e.g. the plan change)",
    });
  if (input.credit && input.outcome !== "account_credit")
    errors.push({
      field: "credit",
      code: "not_allowed",
      message: "only an account credit has a scope and expiry",
    });
  if (input.amount !== undefined) {
    try {
      if (!parseDecimal(input.amount, "amount").isPositive())
        errors.push({ field: "amount", code: "not_positive", message: "must be more than zero" });
    } catch {
      errors.push({ field: "amount", code: "invalid_amount", message: "must be a decimal number" });
    }
  }
  return errors;
}

/**
 * NOTE: a partial refund is the billed cost pro rata of the part of the charge period refunded
 * (the overlap of [from, to) with the period), rounded half-up to the currency's minor unit once.
 */
export function proratedAmount(
  charge: Pick<ChargeTable, "billed_cost" | "billing_currency" | "charge_period_start" | "charge_period_end">,
  from: string,
  to: string,
): Money {
  const currency = charge.billing_currency ?? "USD";
  const start = Date.parse(charge.charge_period_start ?? "");
  const end = Date.parse(charge.charge_period_end ?? "");
  // Date.parse reads loose text ("16 April" is 2001-04-16) and offset-less times as local time:
  // only full ISO 8601 instants with a zone are taken.
  const f = ISO_INSTANT.test(from) ? Date.parse(from) : Number.NaN;
  const t = ISO_INSTANT.test(to) ? Date.parse(to) : Number.NaN;
  if (![start, end, f, t].every(Number.isFinite) || end <= start)
    throw validationFailed([
      {
        field: "proration",
        code: "invalid_period",
        message: "from and to must be ISO 8601 instants within a charge with a period",
      },
    ]);
  if (t <= f)
    throw validationFailed([{ field: "proration/to", code: "before_from", message: "must be after from" }]);
  const overlap = Math.max(0, Math.min(end, t) - Math.max(start, f));
  if (overlap === 0)
    throw validationFailed([
      { field: "proration", code: "outside_period", message: "does not overlap the charge period" },
    ]);
  // Milliseconds are integers, so the share is an exact ratio of two integers.
  return Money.of(charge.billed_cost ?? "0", currency)
    .times(String(overlap))
    .dividedBy(String(end - start))
    .roundToMinor();
}

/** Stored instants are UTC ISO strings, so they compare as text wherever they are read. */
function normalisedInstant(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!ISO_INSTANT.test(value))
    throw validationFailed([
      {
        field: "credit/expiresAt",
        code: "invalid_instant",
        message: "must be an ISO 8601 instant with a zone",
      },
    ]);
  return new Date(value).toISOString();
}

export interface KycGate {
  passed: boolean;
  reason: string | null;
}

/** May money go back to the original payment method on this case? */
export async function kycGate(
  tx: Tx,
  row: CaseTable,
  outcome: Outcome,
  amount: Money | null,
  now: string,
  reviewPolicy: ReviewPolicy,
): Promise<KycGate> {
  if (!TO_ORIGINAL_METHOD.includes(outcome)) return { passed: true, reason: null };
  const account = await tx
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", row.account_id)
    .executeTakeFirstOrThrow();
  const status = await kycStatusOf(tx, account, now);
  if (status !== "verified")
    return { passed: false, reason: `the account's identity (KYC) is ${status}, not verified` };
  const threshold = Money.of(amountFor(reviewPolicy.identityCheckAbove, row.currency), row.currency);
  if (amount?.greaterThan(threshold)) {
    const links = await identityLinksWithVerdicts(tx, row.account_id);
    if (links.some((l) => l.verdict === "suspected_abuse"))
      return {
        passed: false,
        reason: "a linked account sharing this identity or card is flagged as suspected abuse",
      };
  }
  return { passed: true, reason: null };
}

export interface StoredDecisionResult {
  case: CaseTable;
  decision: DecisionTable | null;
  /** Set when the refund waits for KYC (the case moved to awaiting_verification). */
  heldForVerification: string | null;
}

/**
 * Records a decision inside the caller's transaction. First decisions move the case to `decided`
 * with an appeal deadline; the decision on appeal is final and closes it. A refund to the original
 * method that fails the KYC gate is held (awaiting_verification) when `holdIfUnverified`.
 */
export async function applyDecision(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  row: CaseTable,
  input: DecisionInput,
  options: { deciderName: string; holdIfUnverified: boolean },
): Promise<StoredDecisionResult> {
  const { policy, reviewPolicy } = services.config;
  const errors = validateDecision(input, policy);
  if (errors.length) throw validationFailed(errors);
  // Before anything is written: a decided case's decision row would otherwise collide with the
  // one it has (the unique index, a 500) instead of answering invalid_transition.
  assertTransition(row, "decide");
  const outcome = input.outcome as Outcome;
  const now = services.clock.now().toISOString();
  const charge = await loadChargeForUpdate(tx, services, row.charge_id);
  const requested = Money.of(row.amount, row.currency);
  let granted: Money | null = null;
  if (outcome === "partial_refund" && input.proration)
    granted = Money.min(proratedAmount(charge, input.proration.from, input.proration.to), requested);
  else if (MONEY_OUTCOMES.includes(outcome))
    granted = input.amount ? Money.of(input.amount, row.currency) : requested;
  if (granted) {
    const remainder = await refundableRemainder(tx, charge, row.id);
    if (granted.greaterThan(remainder))
      throw validationFailed([
        {
          field: "amount",
          code: "amount_exceeds_refundable",
          message: `at most ${remainder.amount} ${row.currency} of this charge remains refundable`,
        },
      ]);
  }

  const gate = await kycGate(tx, row, outcome, granted, now, reviewPolicy);
  if (!gate.passed) {
    if (!options.holdIfUnverified || !["in_review", "escalated"].includes(row.state))
      throw new AppError(
        "conflict",
        `A refund to the original payment method needs ${gate.reason}; decide an account credit or wait for verification`,
        {
          extensions: { reason: "kyc_gate" },
        },
      );
    const held = await transitionCase(tx, services, ctx, row, {
      event: "hold_for_verification",
      patch: {
        pending_decision: JSON.stringify({
          ...input,
          decidedBy: ctx.actor,
          deciderName: options.deciderName,
        }),
      },
      note: `Decision made, waiting for identity verification: ${gate.reason}.`,
      data: { outcome, amount: granted?.amount ?? null },
    });
    await notifyCustomer(tx, {
      type: "case.awaiting_verification",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: now,
      data: { caseId: row.id, ticketNumber: row.ticket_number, state: held.state, reason: gate.reason },
      email: {
        subject: `[${row.ticket_number}] Verify your identity to receive your refund`,
        text:
          `Your refund request ${row.ticket_number} has been reviewed, but a refund to your original payment method ` +
          `needs ${gate.reason}.\n\nComplete identity verification (KYC) in the console; the refund is decided as soon as it is verified.`,
      },
    });
    return { case: held, decision: null, heldForVerification: gate.reason };
  }

  const sequence = row.state === "in_second_review" ? 2 : 1;
  const final = sequence === 2;
  const appealBy = final
    ? null
    : new Date(Date.parse(now) + reviewPolicy.appealWindowDays * DAY_MS).toISOString();
  const evidence =
    input.evidence ??
    (
      await tx
        .selectFrom("case_evidence")
        .select("label")
        .where("case_id", "=", row.id)
        .orderBy("id")
        .execute()
    ).map((e) => e.label);
  const decision: DecisionTable = {
    id: newId("decision"),
    case_id: row.id,
    sequence,
    outcome,
    amount: granted?.toFixedMinor() ?? null,
    currency: row.currency,
    rationale: input.rationale.trim(),
    clauses: JSON.stringify(input.clauses),
    evidence: JSON.stringify(evidence),
    alternatives: JSON.stringify(
      outcome === "denied" ? (input.alternatives ?? reviewPolicy.denialAlternatives) : [],
    ),
    credit_scope:
      outcome === "account_credit"
        ? JSON.stringify({ services: input.credit?.services ?? [], regions: input.credit?.regions ?? [] })
        : null,
    credit_expires_at:
      outcome === "account_credit"
        ? (normalisedInstant(input.credit?.expiresAt) ??
          new Date(Date.parse(now) + reviewPolicy.creditExpiryDays * DAY_MS).toISOString())
        : null,
    adjustment: outcome === "service_adjustment" ? (input.adjustment?.trim() ?? null) : null,
    proration: input.proration ? JSON.stringify(input.proration) : null,
    final: final ? 1 : 0,
    appeal_by: appealBy,
    decided_by: ctx.actor,
    decided_at: now,
    policy_version: policy.version,
    letter_path: null,
    letter_sha256: null,
  };
  await tx.insertInto("decisions").values(decision).execute();
  const updated = await transitionCase(tx, services, ctx, row, {
    event: "decide",
    patch: {
      reserved_amount: granted?.toFixedMinor() ?? "0",
      decided_at: now,
      appeal_by: appealBy,
      pending_decision: null,
      closed_at: final ? now : null,
    },
    note: `Decided: ${outcome.replaceAll("_", " ")}${granted ? ` of ${granted.toFixedMinor()} ${row.currency}` : ""}${final ? " (final, on appeal)" : ""}.`,
    data: { decisionId: decision.id, outcome, amount: decision.amount, sequence },
  });
  await settleDecision(tx, services, ctx, updated, decision);
  await enqueueJob(tx, { kind: "case.letter", payload: { decisionId: decision.id }, at: now });
  if (appealBy) await enqueueJob(tx, { kind: "case.close", payload: { caseId: row.id }, at: appealBy });
  return { case: updated, decision, heldForVerification: null };
}

/** A reviewer's decision through the API: role, assignment and version checks, then `applyDecision`. */
export async function decideCase(
  services: Services,
  ctx: WriteContext,
  decider: Decider & { name: string },
  caseId: string,
  input: DecisionInput,
): Promise<StoredDecisionResult> {
  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, caseId);
    assertVersion(row, input.expectedVersion);
    if (row.assigned_role === "senior_reviewer" && !decider.senior)
      throw forbidden("This case is escalated: a senior reviewer decides it");
    if (row.state === "in_second_review") {
      const first = await tx
        .selectFrom("decisions")
        .select("decided_by")
        .where("case_id", "=", row.id)
        .where("sequence", "=", 1)
        .executeTakeFirstOrThrow();
      if (first.decided_by === decider.actor)
        throw forbidden("An appeal is decided by a different reviewer than the first decision");
      if (row.assignee_id !== null && row.assignee_id !== decider.actor && !decider.senior)
        throw forbidden("This appeal is assigned to another reviewer");
    }
    if (row.state === "appealed")
      throw conflict("Start the second review of this appeal first (claim it)", { currentState: row.state });
    return applyDecision(tx, services, ctx, row, input, {
      deciderName: decider.name,
      holdIfUnverified: true,
    });
  });
}
