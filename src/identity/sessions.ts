import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { randomToken, sha256Hex } from "../shared/secrets.js";
import { inTransaction } from "../store/database.js";
import { normaliseEmail } from "./create-user.js";
import { burnPasswordCheck, verifyPassword } from "./passwords.js";

/** NOTE: OWASP authentication guidance: lock an account briefly after repeated failures. */
export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;

export interface SignedIn {
  userId: string;
  /** Goes into the httpOnly session cookie; only its hash is stored. */
  sessionToken: string;
  /** Sent back in `X-CSRF-Token` on every cookie-authenticated write. */
  csrfToken: string;
  expiresAt: string;
}

export async function signIn(
  services: Services,
  ctx: WriteContext,
  input: { email: string; password: string },
): Promise<SignedIn> {
  const { store, clock, config } = services;
  const email = normaliseEmail(input.email);
  const user = await store.db
    .selectFrom("users")
    .select(["id", "password_hash", "failed_logins", "locked_until", "disabled"])
    .where("email", "=", email)
    .executeTakeFirst();
  const now = clock.now();
  if (!user || user.disabled) {
    await burnPasswordCheck(input.password, config.passwordHashing);
    throw new AppError("invalid_credentials", "The e-mail or password is wrong");
  }
  if (user.locked_until && user.locked_until > now.toISOString()) {
    throw new AppError("account_locked", `Too many failed sign-ins; try again after ${user.locked_until}`, {
      extensions: { lockedUntil: user.locked_until },
    });
  }
  const ok = await verifyPassword(user.password_hash, input.password);
  const at = now.toISOString();
  if (!ok) {
    const failures = user.failed_logins + 1;
    const locked = failures >= MAX_FAILED_LOGINS;
    await inTransaction(store, async (tx) => {
      await tx
        .updateTable("users")
        .set({
          failed_logins: locked ? 0 : failures,
          locked_until: locked ? new Date(now.getTime() + LOCKOUT_MINUTES * 60_000).toISOString() : null,
        })
        .where("id", "=", user.id)
        .execute();
      await appendAuditEntry(tx, store.capabilities, {
        actor: ctx.actor,
        action: locked ? "user.locked_out" : "user.sign_in_failed",
        subjectType: "user",
        subjectId: user.id,
        organisationId: null,
        summary: { failures },
        requestId: ctx.requestId,
        at,
      });
    });
    throw new AppError("invalid_credentials", "The e-mail or password is wrong");
  }
  const sessionToken = randomToken();
  const csrfToken = randomToken();
  const expiresAt = new Date(now.getTime() + config.sessionTtlHours * 3_600_000).toISOString();
  await inTransaction(store, async (tx) => {
    const id = newId("session");
    await tx
      .insertInto("sessions")
      .values({
        id,
        token_hash: sha256Hex(sessionToken),
        user_id: user.id,
        csrf_token: csrfToken,
        created_at: at,
        expires_at: expiresAt,
        last_seen_at: at,
      })
      .execute();
    await tx
      .updateTable("users")
      .set({ failed_logins: 0, locked_until: null })
      .where("id", "=", user.id)
      .execute();
    await appendAuditEntry(tx, store.capabilities, {
      actor: user.id,
      action: "user.signed_in",
      subjectType: "session",
      subjectId: id,
      organisationId: null,
      summary: {},
      requestId: ctx.requestId,
      at,
    });
  });
  return { userId: user.id, sessionToken, csrfToken, expiresAt };
}

export async function signOut(services: Services, ctx: WriteContext, sessionToken: string): Promise<void> {
  const { store, clock } = services;
  await inTransaction(store, async (tx) => {
    const session = await tx
      .selectFrom("sessions")
      .select(["id", "user_id"])
      .where("token_hash", "=", sha256Hex(sessionToken))
      .executeTakeFirst();
    if (!session) return;
    await tx.deleteFrom("sessions").where("id", "=", session.id).execute();
    await appendAuditEntry(tx, store.capabilities, {
      actor: ctx.actor,
      action: "user.signed_out",
      subjectType: "session",
      subjectId: session.id,
      organisationId: null,
      summary: {},
      requestId: ctx.requestId,
      at: clock.now().toISOString(),
    });
  });
}
