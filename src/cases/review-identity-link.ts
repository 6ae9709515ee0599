import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { findIdentityLinks } from "../kyc/find-identity-links.js";
import type { Services, WriteContext } from "../shared/context.js";
import { type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";
import type { IdentityLinkReviewTable } from "../store/schema.js";

export const LINK_VERDICTS = ["suspected_abuse", "legitimate"] as const;

/**
 * Compliance's verdict on two accounts sharing an identity or a card: `legitimate` (one company's
 * accounts, a family card) or `suspected_abuse`, which keeps larger refunds off the original payment
 * method. The latest verdict on a pair counts; earlier ones stay as history.
 */
export async function reviewIdentityLink(
  services: Services,
  ctx: WriteContext,
  input: { accountId: string; otherAccountId: string; verdict: string; reason: string },
): Promise<IdentityLinkReviewTable> {
  const errors: FieldError[] = [];
  if (!(LINK_VERDICTS as readonly string[]).includes(input.verdict))
    errors.push({
      field: "verdict",
      code: "invalid_verdict",
      message: `must be one of ${LINK_VERDICTS.join(", ")}`,
    });
  if (input.reason.trim().length < 5)
    errors.push({ field: "reason", code: "required", message: "give the reason" });
  if (errors.length) throw validationFailed(errors);
  return inTransaction(services.store, async (tx) => {
    const links = await findIdentityLinks(tx, input.accountId);
    if (!links.some((l) => l.accountId === input.otherAccountId)) throw notFound("Identity link");
    const [a, b] = [input.accountId, input.otherAccountId].sort() as [string, string];
    const row: IdentityLinkReviewTable = {
      id: newId("identityLinkReview"),
      account_a: a,
      account_b: b,
      verdict: input.verdict as IdentityLinkReviewTable["verdict"],
      reason: input.reason.trim(),
      reviewed_by: ctx.actor,
      created_at: services.clock.now().toISOString(),
    };
    await tx.insertInto("identity_link_reviews").values(row).execute();
    const account = await tx
      .selectFrom("accounts")
      .select("organisation_id")
      .where("id", "=", input.accountId)
      .executeTakeFirstOrThrow();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "identity_link.reviewed",
      subjectType: "account",
      subjectId: input.accountId,
      organisationId: account.organisation_id,
      summary: { otherAccountId: input.otherAccountId, verdict: row.verdict, reason: row.reason },
      requestId: ctx.requestId,
      at: row.created_at,
    });
    return row;
  });
}
