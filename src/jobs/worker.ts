import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import type { Services } from "../shared/context.js";
import { isDatabaseUnavailable } from "../store/database.js";
import type { JobTable } from "../store/schema.js";
import type { JobKind } from "./enqueue-job.js";

export type JobHandler = (
  services: Services,
  payload: Record<string, unknown>,
  job: JobTable,
) => Promise<void>;

/** The part of a pino logger the worker uses: each job logs through a child carrying its id. */
export interface JobLogger {
  child(bindings: Record<string, unknown>): JobLogger;
  info(obj: Record<string, unknown>, message: string): void;
  warn(obj: Record<string, unknown>, message: string): void;
  error(obj: Record<string, unknown>, message: string): void;
}

/** How one run of a job ended: done, queued again for a later attempt, or out of attempts. */
export type JobOutcome = "succeeded" | "retry" | "dead";

export interface WorkerOptions {
  workerId: string;
  pollMs?: number;
  /** A claimed job not finished by then is presumed abandoned (its worker died) and retried. */
  leaseMs?: number;
  onError?: (job: JobTable, error: unknown) => void;
  /** One log line per run (succeeded, or failed with its error), with `jobId`, `kind` and `attempt`. */
  logger?: JobLogger;
  /** Called after each run is recorded (metrics). */
  onFinished?: (job: JobTable, outcome: JobOutcome, seconds: number) => void;
}

export interface Worker {
  /** Runs ready jobs until none is left; resolves with how many ran. For tests and the CLI. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The longest a worker waits between polls while the database does not answer (a restart): polls
 * back off from `pollMs`, doubling, to this, so a worker resumes within seconds of the database.
 */
export const MAX_POLL_BACKOFF_MS = 5_000;

/** Exponential backoff: 2 s, 4 s, 8 s … capped at 10 minutes. */
export const retryDelayMs = (attempts: number): number => Math.min(2 ** attempts * 1000, 600_000);

/**
 * Claims one ready job. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets any number of workers
 * share the queue without taking the same job; SQLite has one in-process worker.
 */
export async function claimJob(
  services: Services,
  workerId: string,
  leaseMs: number,
): Promise<JobTable | null> {
  const { store, clock } = services;
  const now = clock.now();
  const at = now.toISOString();
  const lockedUntil = new Date(now.getTime() + leaseMs).toISOString();
  const lock = store.capabilities.rowLocks ? sql`for update skip locked` : sql``;
  const result = await sql<JobTable>`
    update jobs set status = 'running', locked_by = ${workerId}, locked_until = ${lockedUntil},
      attempts = attempts + 1
    where id = (
      select id from jobs
      where (status = 'queued' and run_after <= ${at}) or (status = 'running' and locked_until < ${at})
      order by run_after, id
      limit 1
      ${lock}
    )
    returning *`.execute(store.db);
  return result.rows[0] ?? null;
}

async function finish(services: Services, job: JobTable, error: unknown): Promise<JobOutcome> {
  const now = services.clock.now();
  const db = services.store.db;
  if (error === null) {
    await db
      .updateTable("jobs")
      .set({ status: "succeeded", finished_at: now.toISOString(), locked_by: null, locked_until: null })
      .where("id", "=", job.id)
      .execute();
    return "succeeded";
  }
  const message = error instanceof Error ? error.message : String(error);
  // The database being away says nothing about the job: that run does not use up an attempt, so a
  // long outage does not send every job it caught to the dead list.
  const attempts = isDatabaseUnavailable(error) ? Math.max(job.attempts - 1, 0) : job.attempts;
  const dead = attempts >= job.max_attempts;
  await db
    .updateTable("jobs")
    .set({
      status: dead ? "dead" : "queued",
      attempts,
      last_error: message.slice(0, 4000),
      run_after: new Date(now.getTime() + retryDelayMs(Math.max(attempts, 1))).toISOString(),
      locked_by: null,
      locked_until: null,
      finished_at: dead ? now.toISOString() : null,
    })
    .where("id", "=", job.id)
    .execute();
  return dead ? "dead" : "retry";
}

export function startWorker(
  services: Services,
  handlers: Partial<Record<JobKind, JobHandler>>,
  options: WorkerOptions,
): Worker {
  const pollMs = options.pollMs ?? 500;
  const leaseMs = options.leaseMs ?? 10 * 60_000;
  let stopped = false;
  let running: Promise<number> | null = null;
  let timer: NodeJS.Timeout | null = null;

  /**
   * Records how a run ended. When the database is away at that moment (a restart), the outcome is
   * kept and recorded once it answers again: given up, the job would stay `running` until its lease
   * ends (10 minutes), and a handler that succeeded would be run again.
   */
  async function record(job: JobTable, error: unknown, log: JobLogger | undefined): Promise<JobOutcome> {
    for (let failures = 0; ; failures++) {
      try {
        return await finish(services, job, error);
      } catch (recordError) {
        // Stopping: the lease brings the job back; a shutdown must not wait for the database.
        if (stopped) throw recordError;
        if (failures === 0) log?.warn({ err: recordError }, "could not record the job's outcome; retrying");
        await sleep(pollBackoffMs(failures));
      }
    }
  }

  async function runOne(): Promise<boolean> {
    const job = await claimJob(services, options.workerId, leaseMs);
    if (!job) return false;
    const handler = handlers[job.kind as JobKind];
    const log = options.logger?.child({ jobId: job.id, kind: job.kind, attempt: job.attempts });
    const started = performance.now();
    let failure: unknown = null;
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await handler(services, JSON.parse(job.payload) as Record<string, unknown>, job);
    } catch (error) {
      failure = error ?? new Error("the job failed without an error");
      options.onError?.(job, failure);
    }
    const outcome = await record(job, failure, log);
    const durationMs = Math.round(performance.now() - started);
    if (outcome === "succeeded") log?.info({ durationMs }, "job succeeded");
    else if (outcome === "dead")
      log?.error({ err: failure, durationMs, outcome }, "job failed for the last time: dead");
    else log?.warn({ err: failure, durationMs, outcome }, "job failed; it will be retried");
    options.onFinished?.(job, outcome, (performance.now() - started) / 1000);
    return true;
  }

  async function drainOnce(): Promise<number> {
    let n = 0;
    while (!stopped && (await runOne())) n += 1;
    return n;
  }

  function drain(): Promise<number> {
    // One drain at a time per worker; a caller joins the one in progress.
    running ??= drainOnce().finally(() => {
      running = null;
    });
    return running;
  }

  /** Polls that failed in a row (the database is down): each waits longer, up to MAX_POLL_BACKOFF_MS. */
  let pollFailures = 0;
  const pollBackoffMs = (failures: number) =>
    Math.min(Math.max(pollMs, 100) * 2 ** failures, MAX_POLL_BACKOFF_MS);
  const tick = () => {
    if (stopped) return;
    drain()
      .then(() => {
        if (pollFailures > 0) options.logger?.info({ workerId: options.workerId }, "job worker polls again");
        pollFailures = 0;
      })
      .catch((error) => {
        // The first failure of a streak at error level, the rest as warnings: an outage of a minute
        // is a few lines, not one per poll.
        const fields = { err: error, workerId: options.workerId, failures: pollFailures + 1 };
        if (pollFailures === 0) options.logger?.error(fields, "job worker poll failed");
        else options.logger?.warn(fields, "job worker poll failed again");
        options.onError?.({ id: "-", kind: "-" } as JobTable, error);
        pollFailures += 1;
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, pollFailures === 0 ? pollMs : pollBackoffMs(pollFailures));
      });
  };
  if (pollMs > 0) timer = setTimeout(tick, pollMs);

  return {
    drain,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
