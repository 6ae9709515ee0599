import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, notFound } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import type { JobTable } from "../store/schema.js";

/**
 * An admin sends a dead job back to the queue, usually after fixing what made it fail (a gateway
 * key, an SMTP server, a full disk): it runs again as soon as a worker is free, with its full
 * number of attempts. Only a dead job can be retried: a queued or running one is already on its
 * way, and a succeeded one must not run twice. Job handlers are idempotent, so a retry of a job
 * whose effect partly happened completes it rather than repeating it.
 */
export async function retryDeadJob(
  services: Services,
  ctx: WriteContext,
  input: { jobId: string },
): Promise<JobTable> {
  return inTransaction(services.store, async (tx) => {
    const at = services.clock.now().toISOString();
    // The write comes first: on SQLite it takes the write lock up front; the status guard makes
    // two admins retrying at once requeue it once.
    const requeued = await tx
      .updateTable("jobs")
      .set({
        status: "queued",
        attempts: 0,
        run_after: at,
        locked_by: null,
        locked_until: null,
        finished_at: null,
      })
      .where("id", "=", input.jobId)
      .where("status", "=", "dead")
      .returningAll()
      .executeTakeFirst();
    if (!requeued) {
      const job = await tx
        .selectFrom("jobs")
        .select("status")
        .where("id", "=", input.jobId)
        .executeTakeFirst();
      if (!job) throw notFound("Job");
      throw new AppError("invalid_transition", `Only a dead job can be retried; this one is ${job.status}`, {
        extensions: { currentState: job.status, event: "retry" },
      });
    }
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "job.retried",
      subjectType: "job",
      subjectId: requeued.id,
      // Provider-side operations work: it shows in no customer's audit log.
      organisationId: null,
      summary: { kind: requeued.kind, lastError: requeued.last_error?.slice(0, 500) ?? null },
      requestId: ctx.requestId,
      at,
    });
    return requeued;
  });
}
