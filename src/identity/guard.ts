import type { Services } from "../shared/context.js";
import { forbidden, notFound } from "../shared/errors.js";
import type { AccountTable, OrganisationTable } from "../store/schema.js";
import { type Action, authorize, type Principal, type Target } from "./authorization.js";

/**
 * Route-side checks: load the object, ask `authorize`, and answer 404 for anything the
 * principal may not even see (missing and foreign look the same), 403 for a visible
 * object the role may not act on.
 */
export function require(principal: Principal, action: Action, target: Target, what: string): void {
  const decision = authorize(principal, action, target);
  if (decision === "hidden") throw notFound(what);
  if (decision === "deny") throw forbidden();
}

export async function guardOrganisation(
  services: Services,
  principal: Principal,
  action: Action,
  organisationId: string,
): Promise<OrganisationTable> {
  const org = await services.store.db
    .selectFrom("organisations")
    .selectAll()
    .where("id", "=", organisationId)
    .executeTakeFirst();
  if (!org) throw notFound("Organisation");
  require(principal, action, { organisationId: org.kind === "customer" ? org.id : null }, "Organisation");
  return org;
}

export async function guardAccount(
  services: Services,
  principal: Principal,
  action: Action,
  accountId: string,
): Promise<AccountTable> {
  const account = await services.store.db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!account) throw notFound("Account");
  require(principal, action, { organisationId: account.organisation_id, accountId: account.id }, "Account");
  return account;
}
