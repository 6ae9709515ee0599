import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { conflict, type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";
import type { PaymentMethodTable } from "../store/schema.js";
import { instrumentHash, recordFingerprint } from "./fingerprints.js";
import { paymentMethodView } from "./views.js";

export const PAYMENT_METHOD_TYPES = ["card", "bank_account", "wallet"] as const;
type PaymentMethodType = PaymentMethodTable["type"];

export interface AddPaymentMethodInput {
  accountId: string;
  type: string;
  label: string;
  /** The gateway's fingerprint of the card or account; kept only as a keyed hash. */
  instrumentFingerprint: string;
}

/** Registers where refunds of an account may be paid to. */
export async function addPaymentMethod(
  services: Services,
  ctx: WriteContext,
  input: AddPaymentMethodInput,
): Promise<ReturnType<typeof paymentMethodView>> {
  const errors: FieldError[] = [];
  const type: PaymentMethodType | undefined = PAYMENT_METHOD_TYPES.find((t) => t === input.type);
  if (!type)
    errors.push({
      field: "type",
      code: "invalid_type",
      message: `must be ${PAYMENT_METHOD_TYPES.join(", ")}`,
    });
  const label = input.label.trim();
  if (label === "") errors.push({ field: "label", code: "required", message: "is required" });
  if (input.instrumentFingerprint.trim() === "")
    errors.push({ field: "instrumentFingerprint", code: "required", message: "is required" });
  if (errors.length || !type) throw validationFailed(errors);
  const hash = instrumentHash(services.config.secretKey, input.instrumentFingerprint);

  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const account = await tx
      .selectFrom("accounts")
      .select(["id", "organisation_id"])
      .where("id", "=", input.accountId)
      .executeTakeFirst();
    if (!account) throw notFound("Account");
    const fingerprint = await recordFingerprint(tx, {
      accountId: account.id,
      kind: "payment_instrument",
      keyedHash: hash,
      at: now,
    });
    if (!fingerprint.created) {
      const active = await tx
        .selectFrom("payment_methods")
        .select("id")
        .where("account_id", "=", account.id)
        .where("fingerprint_id", "=", fingerprint.id)
        .where("status", "=", "active")
        .executeTakeFirst();
      if (active)
        throw conflict("This instrument is already an active payment method of the account", {
          paymentMethodId: active.id,
        });
    }
    const row = { id: newId("paymentMethod"), type, label, status: "active" as const, created_at: now };
    await tx
      .insertInto("payment_methods")
      .values({ ...row, account_id: account.id, fingerprint_id: fingerprint.id })
      .execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "payment_method.added",
      subjectType: "account",
      subjectId: account.id,
      organisationId: account.organisation_id,
      summary: { paymentMethodId: row.id, type, label },
      requestId: ctx.requestId,
      at: now,
    });
    return paymentMethodView(row);
  });
}
