import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction, type Tx } from "../store/database.js";
import { lockAccount, updateAccountKyc } from "./account-row.js";
import { type KycStatus, kycExpiry, nextKycStatus } from "./model.js";

export type KycDecision = "verified" | "rejected";

export interface DecideKycInput {
  accountId: string;
  decision: string;
  reason: string;
}

export type KycDecisionOutcome =
  | {
      applied: true;
      status: KycDecision;
      reviewId: string;
      verifiedAt: string | null;
      expiresAt: string | null;
    }
  | { applied: false; reason: "unknown_account" | "not_pending"; currentState: KycStatus | null };

const MAX_REASON = 2000;

/** Field errors of a decision; shared by compliance officers and the automated verifier. */
export function decisionErrors(input: { decision: string; reason: string }): FieldError[] {
  const errors: FieldError[] = [];
  if (input.decision !== "verified" && input.decision !== "rejected")
    errors.push({ field: "decision", code: "invalid_decision", message: "must be verified or rejected" });
  if (input.reason.trim() === "") errors.push({ field: "reason", code: "required", message: "is required" });
  else if (input.reason.length > MAX_REASON)
    errors.push({ field: "reason", code: "too_long", message: `has more than ${MAX_REASON} characters` });
  return errors;
}

/**
 * The decision itself, inside the caller's transaction: only a `pending` account moves, and
 * anything else is reported, not thrown, so the webhook can acknowledge it. Validate first
 * with `decisionErrors`.
 */
export async function applyKycDecision(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  input: { accountId: string; decision: KycDecision; reason: string; at: string; source?: string },
): Promise<KycDecisionOutcome> {
  const account = await lockAccount(tx, services.store.capabilities, input.accountId);
  if (!account) return { applied: false, reason: "unknown_account", currentState: null };
  const next = nextKycStatus(account.kyc_status, input.decision === "verified" ? "approve" : "reject");
  if (next !== input.decision)
    return { applied: false, reason: "not_pending", currentState: account.kyc_status };

  const reason = input.reason.trim();
  const verifiedAt = next === "verified" ? input.at : null;
  const expiresAt = verifiedAt ? kycExpiry(verifiedAt, services.config.kycValidityDays) : null;
  await updateAccountKyc(tx, account, {
    kyc_status: next,
    kyc_verified_at: verifiedAt,
    kyc_expires_at: expiresAt,
    kyc_rejection_reason: next === "rejected" ? reason : null,
  });
  const reviewId = newId("kycReview");
  await tx
    .insertInto("kyc_reviews")
    .values({
      id: reviewId,
      account_id: account.id,
      decision: next,
      reason,
      decided_by: ctx.actor,
      created_at: input.at,
    })
    .execute();
  await appendAuditEntry(tx, services.store.capabilities, {
    actor: ctx.actor,
    action: next === "verified" ? "kyc.verified" : "kyc.rejected",
    subjectType: "account",
    subjectId: account.id,
    organisationId: account.organisation_id,
    summary: { reviewId, reason, expiresAt, ...(input.source ? { source: input.source } : {}) },
    requestId: ctx.requestId,
    at: input.at,
  });
  // Refunds held for this verification are released by the cases job (src/cases/release-verified-cases.ts).
  if (next === "verified")
    await enqueueJob(tx, {
      kind: "case.verification_check",
      payload: { organisationId: account.organisation_id },
      at: input.at,
      coalesce: true,
    });
  return { applied: true, status: next, reviewId, verifiedAt, expiresAt };
}

/** A compliance officer's verdict on a pending submission. */
export async function decideKyc(
  services: Services,
  ctx: WriteContext,
  input: DecideKycInput,
): Promise<Extract<KycDecisionOutcome, { applied: true }>> {
  const errors = decisionErrors(input);
  if (errors.length) throw validationFailed(errors);
  const decision: KycDecision = input.decision === "verified" ? "verified" : "rejected";
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const outcome = await applyKycDecision(tx, services, ctx, { ...input, decision, at: now });
    if (outcome.applied) return outcome;
    if (outcome.reason === "unknown_account") throw notFound("Account");
    throw new AppError(
      "invalid_transition",
      `Only a pending submission can be decided (it is ${outcome.currentState})`,
      {
        extensions: { currentState: outcome.currentState },
      },
    );
  });
}
