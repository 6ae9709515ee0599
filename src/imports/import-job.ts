import type { BillFormat } from "../billing/charge.js";
import type { JobHandler } from "../jobs/worker.js";
import { AppError } from "../shared/errors.js";
import { importFile } from "./import-file.js";
import { isImportKind } from "./import-kinds.js";
import { clearImportProgress, reportImportProgress } from "./progress.js";

/** Runs a queued import. A bad file fails the import (recorded on it), not the job. */
export const processImport: JobHandler = async (services, payload) => {
  const importId = String(payload.importId);
  const row = await services.store.db
    .selectFrom("imports")
    .selectAll()
    .where("id", "=", importId)
    .executeTakeFirst();
  if (
    !row ||
    row.status === "succeeded" ||
    row.status === "failed" ||
    !row.upload_path ||
    !isImportKind(row.kind)
  )
    return;
  const options = JSON.parse(row.options) as { onInvalid?: "fail" | "collect"; format?: BillFormat | null };
  try {
    await importFile(
      services,
      { actor: row.created_by, requestId: null },
      {
        organisationId: row.organisation_id,
        kind: row.kind,
        path: row.upload_path,
        fileName: row.file_name,
        format: options.format ?? undefined,
        onInvalid: options.onInvalid ?? "fail",
        importId,
        onProgress: (p) => reportImportProgress(importId, p),
      },
    );
  } catch (error) {
    // Bad input is a result the user reads on the import; retrying cannot fix it.
    if (error instanceof AppError && error.status < 500) return;
    throw error;
  } finally {
    clearImportProgress(importId);
  }
};
