import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";

/** Kinds of background work; each has one handler (src/jobs/worker.ts). */
export type JobKind = "import.process";

/**
 * Enqueues inside the caller's transaction: the job exists exactly when the change that
 * needs it committed (a transactional outbox).
 */
export async function enqueueJob(
  tx: Tx,
  input: { kind: JobKind; payload: Record<string, unknown>; at: string; maxAttempts?: number },
): Promise<string> {
  const id = newId("job");
  await tx
    .insertInto("jobs")
    .values({
      id,
      kind: input.kind,
      payload: JSON.stringify(input.payload),
      status: "queued",
      attempts: 0,
      max_attempts: input.maxAttempts ?? 5,
      run_after: input.at,
      created_at: input.at,
    })
    .execute();
  return id;
}
