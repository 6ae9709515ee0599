import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { normaliseEmail } from "../identity/create-user.js";
import { isCustomerRole } from "../identity/roles.js";
import type { Services, WriteContext } from "../shared/context.js";
import { conflict, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";

/** Adds an existing user to a customer organisation with a role (or changes their role). */
export async function setMemberRole(
  services: Services,
  ctx: WriteContext,
  input: { organisationId: string; email: string; role: string },
): Promise<{ membershipId: string; userId: string; role: string }> {
  const role = input.role;
  if (!isCustomerRole(role))
    throw validationFailed([{ field: "role", code: "invalid_role", message: "is not a customer role" }]);
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const user = await tx
      .selectFrom("users")
      .select("id")
      .where("email", "=", normaliseEmail(input.email))
      .executeTakeFirst();
    if (!user)
      throw validationFailed([{ field: "email", code: "unknown_user", message: "no user has this e-mail" }]);
    const existing = await tx
      .selectFrom("memberships")
      .select(["id", "role"])
      .where("user_id", "=", user.id)
      .where("organisation_id", "=", input.organisationId)
      .executeTakeFirst();
    if (existing?.role === "owner" && role !== "owner")
      await assertAnotherOwner(tx, input.organisationId, user.id);
    const membershipId = existing?.id ?? newId("membership");
    if (existing) await tx.updateTable("memberships").set({ role }).where("id", "=", existing.id).execute();
    else
      await tx
        .insertInto("memberships")
        .values({
          id: membershipId,
          user_id: user.id,
          organisation_id: input.organisationId,
          role,
          created_at: now,
        })
        .execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: existing ? "member.role_changed" : "member.added",
      subjectType: "membership",
      subjectId: membershipId,
      organisationId: input.organisationId,
      summary: { userId: user.id, role, previousRole: existing?.role ?? null },
      requestId: ctx.requestId,
      at: now,
    });
    return { membershipId, userId: user.id, role };
  });
}

export async function removeMember(
  services: Services,
  ctx: WriteContext,
  input: { organisationId: string; membershipId: string },
): Promise<void> {
  const now = services.clock.now().toISOString();
  await inTransaction(services.store, async (tx) => {
    const m = await tx
      .selectFrom("memberships")
      .select(["id", "user_id", "role"])
      .where("id", "=", input.membershipId)
      .where("organisation_id", "=", input.organisationId)
      .executeTakeFirst();
    if (!m) throw notFound("Member");
    if (m.role === "owner") await assertAnotherOwner(tx, input.organisationId, m.user_id);
    await tx.deleteFrom("memberships").where("id", "=", m.id).execute();
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "member.removed",
      subjectType: "membership",
      subjectId: m.id,
      organisationId: input.organisationId,
      summary: { userId: m.user_id, role: m.role },
      requestId: ctx.requestId,
      at: now,
    });
  });
}

// NOTE: an organisation without an owner could never manage members or tokens again.
async function assertAnotherOwner(
  tx: Parameters<Parameters<typeof inTransaction>[1]>[0],
  organisationId: string,
  userId: string,
): Promise<void> {
  const other = await tx
    .selectFrom("memberships")
    .select("id")
    .where("organisation_id", "=", organisationId)
    .where("role", "=", "owner")
    .where("user_id", "!=", userId)
    .executeTakeFirst();
  if (!other) throw conflict("An organisation keeps at least one owner");
}
