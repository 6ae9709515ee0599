import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";

/** Kinds of background work; each has one handler (src/jobs/worker.ts). */
export type JobKind =
  | "import.process"
  | "audit.run"
  | "notification.email"
  | "webhook.deliver"
  | "case.review"
  | "case.letter"
  | "case.close"
  | "case.information_reminder"
  | "case.information_deadline"
  | "case.verification_check"
  | "payout.submit"
  | "payout.check"
  | "credit.expire";

/**
 * Enqueues inside the caller's transaction: the job exists exactly when the change that
 * needs it committed (a transactional outbox).
 */
export async function enqueueJob(
  tx: Tx,
  input: {
    kind: JobKind;
    payload: Record<string, unknown>;
    at: string;
    maxAttempts?: number;
    coalesce?: boolean;
  },
): Promise<string> {
  const payload = JSON.stringify(input.payload);
  if (input.coalesce) {
    // One queued run is enough: it will see everything committed before it starts.
    const queued = await tx
      .selectFrom("jobs")
      .select("id")
      .where("kind", "=", input.kind)
      .where("payload", "=", payload)
      .where("status", "=", "queued")
      .executeTakeFirst();
    if (queued) return queued.id;
  }
  const id = newId("job");
  await tx
    .insertInto("jobs")
    .values({
      id,
      kind: input.kind,
      payload,
      status: "queued",
      attempts: 0,
      max_attempts: input.maxAttempts ?? 5,
      run_after: input.at,
      created_at: input.at,
    })
    .execute();
  return id;
}
