import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { currency } from "../money/currency.js";
import type { Services, WriteContext } from "../shared/context.js";
import { conflict, type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";

export interface CreateAccountInput {
  organisationId: string;
  name: string;
  currency: string;
  externalId?: string;
}

/** Adds a member account, billed together with the organisation's billing account. */
export async function createAccount(
  services: Services,
  ctx: WriteContext,
  input: CreateAccountInput,
): Promise<{ id: string }> {
  const errors: FieldError[] = [];
  if (input.name.trim() === "") errors.push({ field: "name", code: "required", message: "is required" });
  if (input.externalId !== undefined && input.externalId.trim() === "")
    errors.push({ field: "externalId", code: "required", message: "must not be empty" });
  if (errors.length) throw validationFailed(errors);
  currency(input.currency);

  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const org = await tx
      .selectFrom("organisations")
      .select(["id", "kind"])
      .where("id", "=", input.organisationId)
      .executeTakeFirst();
    if (org?.kind !== "customer") throw notFound("Organisation");
    if (input.externalId) {
      const taken = await tx
        .selectFrom("accounts")
        .select("id")
        .where("organisation_id", "=", org.id)
        .where("external_id", "=", input.externalId)
        .executeTakeFirst();
      if (taken)
        throw conflict("Another account of this organisation has this external id", { field: "externalId" });
    }
    const id = newId("account");
    await tx
      .insertInto("accounts")
      .values({
        id,
        organisation_id: org.id,
        name: input.name.trim(),
        external_id: input.externalId ?? null,
        is_billing: 0,
        currency: input.currency,
        kyc_status: "unverified",
        created_at: now,
        version: 1,
      })
      .execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "account.created",
      subjectType: "account",
      subjectId: id,
      organisationId: org.id,
      summary: { name: input.name.trim(), currency: input.currency, externalId: input.externalId ?? null },
      requestId: ctx.requestId,
      at: now,
    });
    return { id };
  });
}
