import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { randomToken, sha256Hex } from "../shared/secrets.js";
import { inTransaction, type Tx } from "../store/database.js";
import { isTokenPermission, type TokenPermission } from "./roles.js";

export interface CreateApiTokenInput {
  organisationId: string;
  name: string;
  /** null or omitted: every account of the organisation. */
  accountIds?: readonly string[] | null;
  permissions: readonly string[];
}

export interface CreatedApiToken {
  id: string;
  name: string;
  /** The secret, shown this once; only its hash is stored. */
  token: string;
  accountIds: string[] | null;
  permissions: TokenPermission[];
  createdAt: string;
}

export async function createApiToken(
  services: Services,
  ctx: WriteContext,
  input: CreateApiTokenInput,
): Promise<CreatedApiToken> {
  const errors: FieldError[] = [];
  if (input.name.trim() === "") errors.push({ field: "name", code: "required", message: "is required" });
  if (input.permissions.length === 0)
    errors.push({ field: "permissions", code: "required", message: "name at least one permission" });
  for (const p of input.permissions)
    if (!isTokenPermission(p))
      errors.push({ field: "permissions", code: "unknown_permission", message: `${p} is not a permission` });
  if (input.accountIds && input.accountIds.length === 0)
    errors.push({
      field: "accountIds",
      code: "required",
      message: "name at least one account, or leave it out for all",
    });
  if (errors.length) throw validationFailed(errors);
  const permissions = [...new Set(input.permissions)].filter(isTokenPermission);
  const accountIds = input.accountIds ? [...new Set(input.accountIds)] : null;

  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    if (accountIds) await assertAccountsOfOrganisation(tx, input.organisationId, accountIds);
    const id = newId("apiToken");
    const token = `rdk_${randomToken(32)}`;
    await tx
      .insertInto("api_tokens")
      .values({
        id,
        organisation_id: input.organisationId,
        name: input.name.trim(),
        token_hash: sha256Hex(token),
        account_ids: accountIds ? JSON.stringify(accountIds) : null,
        permissions: JSON.stringify(permissions),
        created_by: ctx.actor,
        created_at: now,
      })
      .execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "api_token.created",
      subjectType: "api_token",
      subjectId: id,
      organisationId: input.organisationId,
      summary: { name: input.name.trim(), accountIds, permissions },
      requestId: ctx.requestId,
      at: now,
    });
    return { id, name: input.name.trim(), token, accountIds, permissions, createdAt: now };
  });
}

async function assertAccountsOfOrganisation(tx: Tx, organisationId: string, accountIds: readonly string[]) {
  const found = await tx
    .selectFrom("accounts")
    .select("id")
    .where("organisation_id", "=", organisationId)
    .where("id", "in", accountIds)
    .execute();
  const known = new Set(found.map((a) => a.id));
  const unknown = accountIds.filter((a) => !known.has(a));
  if (unknown.length)
    throw validationFailed([
      {
        field: "accountIds",
        code: "unknown_account",
        message: `not accounts of this organisation: ${unknown.join(", ")}`,
      },
    ]);
}

export async function revokeApiToken(
  services: Services,
  ctx: WriteContext,
  input: { organisationId: string; tokenId: string },
): Promise<{ revokedAt: string }> {
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const row = await tx
      .selectFrom("api_tokens")
      .select(["id", "revoked_at"])
      .where("id", "=", input.tokenId)
      .where("organisation_id", "=", input.organisationId)
      .executeTakeFirst();
    if (!row) throw notFound("API token");
    // Revoking twice is harmless and keeps the first time.
    if (row.revoked_at) return { revokedAt: row.revoked_at };
    await tx.updateTable("api_tokens").set({ revoked_at: now }).where("id", "=", row.id).execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "api_token.revoked",
      subjectType: "api_token",
      subjectId: row.id,
      organisationId: input.organisationId,
      summary: {},
      requestId: ctx.requestId,
      at: now,
    });
    return { revokedAt: now };
  });
}
