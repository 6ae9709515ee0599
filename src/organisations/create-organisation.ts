import { IANAZone } from "luxon";
import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { defaultTimeZone } from "../calendar/index.js";
import { currency } from "../money/currency.js";
import type { Services, WriteContext } from "../shared/context.js";
import { type FieldError, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";

export interface CreateOrganisationInput {
  kind: "provider" | "customer";
  name: string;
  /** The billing (master) account, created with the organisation; customers only. */
  billingAccount?: { name: string; currency: string; externalId?: string };
  /** ISO 3166-1 alpha-2; whose public holidays count in business-day deadlines. */
  country?: string;
  /** IANA time zone; defaults from the country (src/calendar). */
  timeZone?: string;
}

export async function createOrganisation(
  services: Services,
  ctx: WriteContext,
  input: CreateOrganisationInput,
): Promise<{ id: string; billingAccountId: string | null }> {
  const errors: FieldError[] = [];
  if (input.name.trim() === "") errors.push({ field: "name", code: "required", message: "is required" });
  if (input.kind === "customer" && !input.billingAccount)
    errors.push({
      field: "billingAccount",
      code: "required",
      message: "a customer organisation needs a billing account",
    });
  if (input.kind === "provider" && input.billingAccount)
    errors.push({
      field: "billingAccount",
      code: "not_allowed",
      message: "the provider has no billing account",
    });
  if (input.country !== undefined && !/^[A-Z]{2}$/.test(input.country))
    errors.push({ field: "country", code: "invalid_country", message: "must be an ISO 3166-1 alpha-2 code" });
  if (input.timeZone !== undefined && !IANAZone.isValidZone(input.timeZone))
    errors.push({ field: "timeZone", code: "invalid_time_zone", message: "must be an IANA time zone" });
  if (input.billingAccount) currency(input.billingAccount.currency);
  if (errors.length) throw validationFailed(errors);

  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const id = newId("organisation");
    const billingAccountId = input.billingAccount ? newId("account") : null;
    await tx
      .insertInto("organisations")
      .values({
        id,
        kind: input.kind,
        name: input.name.trim(),
        billing_account_id: null,
        country: input.country ?? null,
        time_zone: input.timeZone ?? (input.country ? defaultTimeZone(input.country) : null),
        created_at: now,
      })
      .execute();
    if (input.billingAccount && billingAccountId) {
      await tx
        .insertInto("accounts")
        .values({
          id: billingAccountId,
          organisation_id: id,
          name: input.billingAccount.name.trim() || input.name.trim(),
          external_id: input.billingAccount.externalId ?? null,
          is_billing: 1,
          currency: input.billingAccount.currency,
          kyc_status: "unverified",
          created_at: now,
          version: 1,
        })
        .execute();
      await tx
        .updateTable("organisations")
        .set({ billing_account_id: billingAccountId })
        .where("id", "=", id)
        .execute();
    }
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "organisation.created",
      subjectType: "organisation",
      subjectId: id,
      organisationId: input.kind === "customer" ? id : null,
      summary: { kind: input.kind, name: input.name.trim(), billingAccountId },
      requestId: ctx.requestId,
      at: now,
    });
    return { id, billingAccountId };
  });
}
