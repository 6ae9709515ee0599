import { processImport } from "../imports/import-job.js";
import type { JobKind } from "./enqueue-job.js";
import type { JobHandler } from "./worker.js";

/** Every job kind and the operation that runs it. */
export const JOB_HANDLERS: Record<JobKind, JobHandler> = {
  "import.process": processImport,
};
