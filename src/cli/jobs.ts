import type { Command } from "commander";
import { jobView } from "../operations/job-views.js";
import { listDeadJobs } from "../operations/list-dead-jobs.js";
import { retryDeadJob } from "../operations/retry-dead-job.js";
import { SYSTEM_ACTORS } from "../shared/context.js";
import { validationFailed } from "../shared/errors.js";
import { pageRequest } from "../store/pagination.js";
import { action, openServices } from "./runtime.js";

const cli = { actor: SYSTEM_ACTORS.cli, requestId: null };
const JOB_ID = /^job_[0-9a-z]{26}$/;

export function registerJobs(program: Command): void {
  const jobs = program.command("jobs").description("Background jobs: the dead-letter list and retries");

  jobs
    .command("dead")
    .description("List jobs that ran out of attempts, newest first")
    .option("--kind <kind>", "only jobs of this kind (e.g. payout.submit)")
    .option("--limit <n>", "how many (1 to 200)", "50")
    .option("--cursor <cursor>", "the next page, as printed after the list")
    .option("--format <format>", "table or json", "table")
    .action(
      action(async (opts: { kind?: string; limit: string; cursor?: string; format: string }) => {
        if (opts.format !== "table" && opts.format !== "json")
          throw validationFailed([
            { field: "--format", code: "invalid_format", message: "must be table or json" },
          ]);
        const request = pageRequest(Number(opts.limit), opts.cursor, JOB_ID);
        const services = await openServices();
        try {
          const page = await listDeadJobs(services.store.db, { kind: opts.kind }, request);
          const items = page.items.map(jobView);
          if (opts.format === "json") {
            process.stdout.write(`${JSON.stringify({ items, nextCursor: page.nextCursor }, null, 2)}\n`);
            return;
          }
          if (items.length === 0) {
            process.stdout.write("No dead jobs.\n");
            return;
          }
          for (const job of items) {
            const error = (job.lastError ?? "").replace(/\s+/g, " ").slice(0, 100);
            process.stdout.write(
              `${job.id}  ${job.kind.padEnd(26)} ${String(job.attempts).padStart(2)}/${job.maxAttempts}  ` +
                `${job.finishedAt ?? ""}  ${error}\n`,
            );
          }
          if (page.nextCursor) process.stdout.write(`More: --cursor ${page.nextCursor}\n`);
        } finally {
          await services.store.close();
        }
      }),
    );

  jobs
    .command("retry")
    .description("Send a dead job back to the queue with its full number of attempts (audited)")
    .argument("<id>", "the job id (job_…)")
    .action(
      action(async (id: string) => {
        const services = await openServices();
        try {
          const job = await retryDeadJob(services, cli, { jobId: id });
          process.stdout.write(
            `Job ${job.id} (${job.kind}) is queued again; a worker runs it with up to ${job.max_attempts} attempts.\n`,
          );
        } finally {
          await services.store.close();
        }
      }),
    );
}
