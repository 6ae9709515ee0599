import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { conflict, validationFailed } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import { lockAccountOrThrow, updateAccountKyc } from "./account-row.js";

/**
 * A member account names the legal entity it belongs to. When that matches its billing
 * account's verified enterprise name, the member is verified through it (see `effectiveKyc`).
 */
export async function declareLegalName(
  services: Services,
  ctx: WriteContext,
  input: { accountId: string; legalName: string },
): Promise<{ legalName: string }> {
  const legalName = input.legalName.trim();
  if (legalName === "")
    throw validationFailed([{ field: "legalName", code: "required", message: "is required" }]);
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const account = await lockAccountOrThrow(tx, services.store.capabilities, input.accountId);
    // A billing account's legal name is what its own verification checked; only a submission changes it.
    if (account.is_billing === 1)
      throw conflict("A billing account's legal name is set by submitting its own KYC", {
        field: "legalName",
      });
    // Renaming an account under review or still verified would change what was (being) checked.
    const expired = account.kyc_expires_at !== null && account.kyc_expires_at <= now;
    if (account.kyc_status === "pending" || (account.kyc_status === "verified" && !expired))
      throw conflict(
        `The account's own KYC is ${account.kyc_status}; submit again to change its legal name`,
        {
          currentState: account.kyc_status,
        },
      );
    await updateAccountKyc(tx, account, { kyc_legal_name: legalName });
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "kyc.legal_name_declared",
      subjectType: "account",
      subjectId: account.id,
      organisationId: account.organisation_id,
      summary: { legalName, previousLegalName: account.kyc_legal_name },
      requestId: ctx.requestId,
      at: now,
    });
    return { legalName };
  });
}
