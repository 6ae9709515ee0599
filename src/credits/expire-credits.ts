import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import type { JobHandler } from "../jobs/worker.js";
import { transfer } from "../ledger/journal.js";
import { postJournalEntry } from "../ledger/post-journal-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { newId } from "../shared/ids.js";
import { inTransaction, type Tx } from "../store/database.js";
import { isExpired } from "./apply-credits.js";

/** Who expires credits in the audit log and the ledger. */
export const CREDIT_EXPIRY_ACTOR = "system:credit-expiry";

/**
 * NOTE: the sweep runs at the next credit's expiry, and at least once a day while it runs at all, so a
 * credit created by code that did not schedule its expiry is expired within a day of it. Nothing is
 * lost meanwhile: an invoice never applies an expired credit, and the ledger entry is dated at the
 * expiry, not at the sweep.
 */
export const CREDIT_SWEEP_INTERVAL_MS = 24 * 60 * 60 * 1000;

/**
 * Makes sure a `credit.expire` sweep is queued to run no later than `at` (ISO 8601), inside the
 * caller's transaction. At most one sweep waits in the queue: an earlier `at` moves it forward, a later
 * one leaves it. Call it wherever a credit is created or its expiry changes.
 */
export async function enqueueCreditExpirySweep(tx: Tx, at: string): Promise<string> {
  const runAt = new Date(at).toISOString();
  const queued = await tx
    .selectFrom("jobs")
    .select(["id", "run_after"])
    .where("kind", "=", "credit.expire")
    .where("status", "=", "queued")
    .orderBy("run_after")
    .orderBy("id")
    .executeTakeFirst();
  if (queued) {
    if (queued.run_after > runAt)
      await tx
        .updateTable("jobs")
        .set({ run_after: runAt })
        .where("id", "=", queued.id)
        .where("status", "=", "queued")
        .execute();
    return queued.id;
  }
  return enqueueJob(tx, { kind: "credit.expire", payload: {}, at: runAt, maxAttempts: 10 });
}

export interface ExpiredCredit {
  creditId: string;
  accountId: string;
  currency: string;
  amountMinor: bigint;
  expiresAt: string;
}

/**
 * Expires every active credit whose expiry is at or before now: what remains of it is taken back
 * (status `expired`, a `credit_uses` row of kind `expired`, and the ledger entry `credit_expired`:
 * Dr customer_credit of the account, Cr credit_breakage, posting key `credit:<id>:expired`), each credit
 * in its own transaction with its audit-log entry. Then queues the next sweep.
 * Active credits are few (they are used up or expire), so the sweep reads them all.
 */
export async function expireDueCredits(
  services: Services,
  ctx: WriteContext = { actor: CREDIT_EXPIRY_ACTOR, requestId: null },
): Promise<ExpiredCredit[]> {
  const now = services.clock.now().toISOString();
  // Expiries are compared as instants, not as text: a decision may store one with an offset.
  const active = await services.store.db
    .selectFrom("credit_grants")
    .select(["id", "expires_at"])
    .where("status", "=", "active")
    .execute();
  const due = active
    .filter((g) => isExpired(g.expires_at, now))
    .sort((a, b) => instantOf(a.expires_at, now) - instantOf(b.expires_at, now) || (a.id < b.id ? -1 : 1));
  const expired: ExpiredCredit[] = [];
  for (const { id } of due) {
    const done = await expireCredit(services, ctx, id, now);
    if (done) expired.push(done);
  }
  // The next sweep: at the earliest expiry still ahead, and within a day at the latest.
  const at = active
    .filter((g) => !isExpired(g.expires_at, now))
    .reduce((m, g) => Math.min(m, Date.parse(g.expires_at)), Date.parse(now) + CREDIT_SWEEP_INTERVAL_MS);
  await inTransaction(services.store, (tx) => enqueueCreditExpirySweep(tx, new Date(at).toISOString()));
  return expired;
}

/** An expiry as ms; one that cannot be read counts as `fallback` (it is treated as expired). */
function instantOf(iso: string, fallback: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : Date.parse(fallback);
}

/** One credit, re-read under its row lock: a concurrent invoice may have used it up meanwhile. */
async function expireCredit(
  services: Services,
  ctx: WriteContext,
  creditId: string,
  now: string,
): Promise<ExpiredCredit | null> {
  return inTransaction(services.store, async (tx) => {
    let q = tx.selectFrom("credit_grants").selectAll().where("id", "=", creditId);
    if (services.store.capabilities.rowLocks) q = q.forUpdate();
    const credit = await q.executeTakeFirst();
    if (credit?.status !== "active" || !isExpired(credit.expires_at, now)) return null;
    const remaining = BigInt(credit.remaining_minor);
    await tx
      .updateTable("credit_grants")
      .set({ status: remaining > 0n ? "expired" : "used", remaining_minor: 0, version: credit.version + 1 })
      .where("id", "=", credit.id)
      .execute();
    if (remaining <= 0n) return null;
    await tx
      .insertInto("credit_uses")
      .values({
        id: newId("creditUse"),
        credit_id: credit.id,
        invoice_id: null,
        charge_id: null,
        kind: "expired",
        amount_minor: BigInt(credit.remaining_minor),
        created_at: now,
      })
      .execute();
    // NOTE: a credit that expires unused is breakage: the liability to the customer ends and becomes
    // income (ASC 606 / IFRS 15 breakage on customer credits), dated at the expiry.
    await postJournalEntry(tx, services, ctx, {
      organisationId: credit.organisation_id,
      kind: "credit_expired",
      description: `Account credit ${credit.id} expired with ${credit.remaining_minor} minor units unused`,
      postingKey: `credit:${credit.id}:expired`,
      caseId: credit.case_id,
      creditId: credit.id,
      effectiveAt: new Date(instantOf(credit.expires_at, now)).toISOString(),
      lines: transfer(
        { code: "customer_credit", accountId: credit.account_id },
        { code: "credit_breakage", accountId: null },
        credit.currency,
        remaining,
      ),
    });
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "credit.expired",
      subjectType: "credit_grant",
      subjectId: credit.id,
      organisationId: credit.organisation_id,
      summary: {
        accountId: credit.account_id,
        currency: credit.currency,
        expiredMinor: String(remaining),
        expiresAt: credit.expires_at,
      },
      requestId: ctx.requestId,
      at: now,
    });
    return {
      creditId: credit.id,
      accountId: credit.account_id,
      currency: credit.currency,
      amountMinor: remaining,
      expiresAt: credit.expires_at,
    };
  });
}

/** The `credit.expire` job: one sweep over every organisation's due credits. */
export const expireCredits: JobHandler = async (services) => {
  await expireDueCredits(services);
};
