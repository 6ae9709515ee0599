import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { conflict, type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";
import { hashPassword, MIN_PASSWORD_LENGTH } from "./passwords.js";
import { isCustomerRole, isProviderRole } from "./roles.js";

export interface CreateUserInput {
  email: string;
  name: string;
  password: string;
  /** Optional first membership: an organisation and a role valid for its kind. */
  organisationId?: string;
  role?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export async function createUser(
  services: Services,
  ctx: WriteContext,
  input: CreateUserInput,
): Promise<{ id: string; email: string }> {
  const errors: FieldError[] = [];
  const email = normaliseEmail(input.email);
  if (!EMAIL.test(email))
    errors.push({ field: "email", code: "invalid_email", message: "is not an e-mail address" });
  if (input.name.trim() === "") errors.push({ field: "name", code: "required", message: "is required" });
  if (input.password.length < MIN_PASSWORD_LENGTH)
    errors.push({
      field: "password",
      code: "too_short",
      message: `needs ${MIN_PASSWORD_LENGTH} characters or more`,
    });
  if ((input.organisationId === undefined) !== (input.role === undefined))
    errors.push({ field: "role", code: "required_together", message: "organisation and role go together" });
  if (errors.length) throw validationFailed(errors);

  const passwordHash = await hashPassword(input.password, services.config.passwordHashing);
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const existing = await tx.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst();
    if (existing) throw conflict("A user with this e-mail already exists", { field: "email" });
    const id = newId("user");
    await tx
      .insertInto("users")
      .values({
        id,
        email,
        name: input.name.trim(),
        password_hash: passwordHash,
        failed_logins: 0,
        disabled: 0,
        created_at: now,
      })
      .execute();
    if (input.organisationId && input.role) {
      const org = await tx
        .selectFrom("organisations")
        .select(["id", "kind"])
        .where("id", "=", input.organisationId)
        .executeTakeFirst();
      if (!org) throw notFound("Organisation");
      const valid = org.kind === "provider" ? isProviderRole(input.role) : isCustomerRole(input.role);
      if (!valid)
        throw validationFailed([
          { field: "role", code: "invalid_role", message: `is not a role of a ${org.kind} organisation` },
        ]);
      await tx
        .insertInto("memberships")
        .values({
          id: newId("membership"),
          user_id: id,
          organisation_id: org.id,
          role: input.role,
          created_at: now,
        })
        .execute();
    }
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "user.created",
      subjectType: "user",
      subjectId: id,
      organisationId: input.organisationId ?? null,
      summary: { email, role: input.role ?? null },
      requestId: ctx.requestId,
      at: now,
    });
    return { id, email };
  });
}
