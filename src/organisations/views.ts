import { Type } from "typebox";
import { effectiveKyc } from "../kyc/model.js";
import type { Db } from "../store/database.js";
import type { AccountTable, OrganisationTable } from "../store/schema.js";

export const AccountView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  name: Type.String(),
  externalId: Type.Union([Type.String(), Type.Null()]),
  isBillingAccount: Type.Boolean(),
  currency: Type.String(),
  kyc: Type.Object({
    type: Type.Union([Type.String(), Type.Null()]),
    status: Type.String({ description: "unverified, pending, verified, rejected or expired" }),
    via: Type.Union([Type.String(), Type.Null()]),
    expiresAt: Type.Union([Type.String(), Type.Null()]),
    legalName: Type.Union([Type.String(), Type.Null()]),
  }),
  createdAt: Type.String(),
});

export const OrganisationView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  billingAccountId: Type.Union([Type.String(), Type.Null()]),
  country: Type.Union([Type.String(), Type.Null()]),
  timeZone: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

export function organisationView(o: OrganisationTable) {
  return {
    id: o.id,
    kind: o.kind,
    name: o.name,
    billingAccountId: o.billing_account_id,
    country: o.country,
    timeZone: o.time_zone,
    createdAt: o.created_at,
  };
}

/** Accounts as the API shows them, with KYC resolved against their billing account. */
export async function accountViews(db: Db, accounts: readonly AccountTable[], now: string) {
  const billingIds = [...new Set(accounts.filter((a) => !a.is_billing).map((a) => a.organisation_id))];
  const billing = billingIds.length
    ? await db
        .selectFrom("accounts")
        .selectAll()
        .where("organisation_id", "in", billingIds)
        .where("is_billing", "=", 1)
        .execute()
    : [];
  const billingByOrg = new Map(billing.map((b) => [b.organisation_id, b]));
  return accounts.map((a) => {
    const kyc = effectiveKyc(a, a.is_billing ? null : (billingByOrg.get(a.organisation_id) ?? null), now);
    return {
      id: a.id,
      organisationId: a.organisation_id,
      name: a.name,
      externalId: a.external_id,
      isBillingAccount: a.is_billing === 1,
      currency: a.currency,
      kyc: {
        type: a.kyc_type,
        status: kyc.status,
        via: kyc.via,
        expiresAt: kyc.expiresAt,
        legalName: a.kyc_legal_name,
      },
      createdAt: a.created_at,
    };
  });
}
