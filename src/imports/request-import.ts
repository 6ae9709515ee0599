import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { BillFormat } from "../billing/charge.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";
import type { ImportTable } from "../store/schema.js";
import type { ImportKind } from "./import-kinds.js";

export interface RequestImportInput {
  organisationId: string;
  kind: ImportKind;
  fileName: string;
  format?: BillFormat;
  onInvalid: "fail" | "collect";
  content: Readable;
}

/**
 * Accepts an uploaded bill or evidence file: stores its bytes content-addressed in the data
 * folder, then records the queued import and its job in one transaction. The job does the
 * import (src/imports/import-job.ts). Re-uploading bytes already imported answers with the
 * earlier import and queues nothing.
 */
export async function requestImport(
  services: Services,
  ctx: WriteContext,
  input: RequestImportInput,
): Promise<{ import: ImportTable; duplicate: boolean }> {
  const dir = join(services.config.dataDir, "uploads");
  await mkdir(dir, { recursive: true });
  const partial = join(dir, `.partial-${randomBytes(8).toString("hex")}`);
  const hash = createHash("sha256");
  try {
    await pipeline(
      input.content,
      async function* (source) {
        for await (const chunk of source) {
          hash.update(chunk as Buffer);
          yield chunk;
        }
      },
      createWriteStream(partial),
    );
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  // The multipart parser truncates over-limit files instead of throwing; it flags them.
  if ((input.content as Readable & { truncated?: boolean }).truncated) {
    await rm(partial, { force: true });
    throw new AppError("payload_too_large", "The file is larger than this server accepts");
  }
  const sha = hash.digest("hex");
  const path = join(dir, sha);
  await rename(partial, path);

  const at = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const earlier = await tx
      .selectFrom("imports")
      .selectAll()
      .where("organisation_id", "=", input.organisationId)
      .where("kind", "=", input.kind)
      .where("content_sha256", "=", sha)
      .where("status", "in", ["queued", "running", "succeeded"])
      .orderBy("id")
      .executeTakeFirst();
    if (earlier) return { import: earlier, duplicate: true };
    const row: ImportTable = {
      id: newId("import"),
      organisation_id: input.organisationId,
      kind: input.kind,
      file_name: input.fileName,
      content_sha256: sha,
      format: input.format ?? null,
      status: "queued",
      rows_total: null,
      rows_imported: 0,
      rows_invalid: 0,
      error: null,
      duplicate_of: null,
      upload_path: path,
      options: JSON.stringify({ onInvalid: input.onInvalid, format: input.format ?? null }),
      created_by: ctx.actor,
      created_at: at,
      started_at: null,
      finished_at: null,
    };
    await tx.insertInto("imports").values(row).execute();
    await enqueueJob(tx, { kind: "import.process", payload: { importId: row.id }, at });
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "import.requested",
      subjectType: "import",
      subjectId: row.id,
      organisationId: input.organisationId,
      summary: { kind: input.kind, file: input.fileName, sha256: sha },
      requestId: ctx.requestId,
      at,
    });
    return { import: row, duplicate: false };
  });
}
