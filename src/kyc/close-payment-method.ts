import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import { paymentMethodView } from "./views.js";

/** A closed method can no longer receive refunds; its fingerprint still links accounts. */
export async function closePaymentMethod(
  services: Services,
  ctx: WriteContext,
  input: { accountId: string; paymentMethodId: string },
): Promise<ReturnType<typeof paymentMethodView>> {
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const row = await tx
      .selectFrom("payment_methods")
      .innerJoin("accounts", "accounts.id", "payment_methods.account_id")
      .select([
        "payment_methods.id",
        "payment_methods.type",
        "payment_methods.label",
        "payment_methods.status",
        "payment_methods.created_at",
        "accounts.organisation_id",
      ])
      .where("payment_methods.id", "=", input.paymentMethodId)
      .where("payment_methods.account_id", "=", input.accountId)
      .executeTakeFirst();
    if (!row) throw notFound("Payment method");
    // Closing twice is harmless and changes nothing.
    if (row.status === "closed") return paymentMethodView(row);
    await tx
      .updateTable("payment_methods")
      .set({ status: "closed" })
      .where("id", "=", row.id)
      .where("status", "=", "active")
      .execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "payment_method.closed",
      subjectType: "account",
      subjectId: input.accountId,
      organisationId: row.organisation_id,
      summary: { paymentMethodId: row.id },
      requestId: ctx.requestId,
      at: now,
    });
    return paymentMethodView({ ...row, status: "closed" });
  });
}
