import { Type } from "typebox";
import type { JobTable } from "../store/schema.js";

export const JobView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  /** What the job works on: ids only (e.g. `{ "payoutId": "po_…" }`). */
  payload: Type.Record(Type.String(), Type.Unknown()),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  runAfter: Type.String(),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

export function jobView(job: JobTable) {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    payload: JSON.parse(job.payload) as Record<string, unknown>,
    attempts: job.attempts,
    maxAttempts: job.max_attempts,
    lastError: job.last_error,
    runAfter: job.run_after,
    createdAt: job.created_at,
    finishedAt: job.finished_at,
  };
}
