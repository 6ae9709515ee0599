import { runOrganisationAudit } from "../findings/run-organisation-audit.js";
import { processImport } from "../imports/import-job.js";
import { SYSTEM_ACTORS } from "../shared/context.js";
import type { JobKind } from "./enqueue-job.js";
import type { JobHandler } from "./worker.js";

/** Every job kind and the operation that runs it. */
export const JOB_HANDLERS: Record<JobKind, JobHandler> = {
  "import.process": processImport,
  "audit.run": async (services, payload) => {
    await runOrganisationAudit(
      services,
      { actor: SYSTEM_ACTORS.audit, requestId: null },
      { organisationId: String(payload.organisationId) },
    );
  },
};
