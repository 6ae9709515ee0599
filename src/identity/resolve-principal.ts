import type { Services } from "../shared/context.js";
import { sha256Hex } from "../shared/secrets.js";
import type { Principal } from "./authorization.js";
import {
  type CustomerRole,
  isCustomerRole,
  isProviderRole,
  isTokenPermission,
  type ProviderRole,
} from "./roles.js";

export interface SessionPrincipal {
  principal: Principal & { kind: "user" };
  sessionId: string;
  csrfToken: string;
}

interface MembershipRow {
  organisation_id: string | null;
  role: string | null;
  kind: string | null;
}

function principalFromMemberships(
  userId: string,
  rows: readonly MembershipRow[],
): Principal & { kind: "user" } {
  const memberships = new Map<string, CustomerRole>();
  const providerRoles: ProviderRole[] = [];
  for (const r of rows) {
    if (r.organisation_id === null || r.role === null) continue;
    if (r.kind === "provider" && isProviderRole(r.role)) providerRoles.push(r.role);
    else if (r.kind === "customer" && isCustomerRole(r.role)) memberships.set(r.organisation_id, r.role);
  }
  return { kind: "user", userId, memberships, providerRoles };
}

/**
 * The session and the user's memberships in one query (a row per membership, or one row with none):
 * this runs before every signed-in request, where a second round trip showed.
 */
export async function principalForSession(
  services: Services,
  sessionToken: string,
): Promise<SessionPrincipal | null> {
  const now = services.clock.now().toISOString();
  const rows = await services.store.db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .leftJoin("memberships", "memberships.user_id", "sessions.user_id")
    .leftJoin("organisations", "organisations.id", "memberships.organisation_id")
    .select([
      "sessions.id",
      "sessions.user_id",
      "sessions.csrf_token",
      "sessions.expires_at",
      "users.disabled",
      "memberships.organisation_id",
      "memberships.role",
      "organisations.kind",
    ])
    .where("sessions.token_hash", "=", sha256Hex(sessionToken))
    .execute();
  const session = rows[0];
  if (!session || session.expires_at <= now || session.disabled) return null;
  return {
    principal: principalFromMemberships(session.user_id, rows),
    sessionId: session.id,
    csrfToken: session.csrf_token,
  };
}

/** Bearer tokens look like `rdk_<id>_<secret>`; only the hash of the whole string is stored. */
export async function principalForApiToken(services: Services, bearer: string): Promise<Principal | null> {
  const row = await services.store.db
    .selectFrom("api_tokens")
    .select(["id", "organisation_id", "account_ids", "permissions", "revoked_at", "last_used_at"])
    .where("token_hash", "=", sha256Hex(bearer))
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  const now = services.clock.now();
  // Last-used is kept to the minute: one write a minute per token, not one per request.
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > 60_000) {
    await services.store.db
      .updateTable("api_tokens")
      .set({ last_used_at: now.toISOString() })
      .where("id", "=", row.id)
      .execute();
  }
  const accountIds = row.account_ids === null ? null : (JSON.parse(row.account_ids) as string[]);
  const permissions = (JSON.parse(row.permissions) as string[]).filter(isTokenPermission);
  return { kind: "token", tokenId: row.id, organisationId: row.organisation_id, accountIds, permissions };
}
