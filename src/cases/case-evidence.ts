import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileTypeFromBuffer } from "file-type";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { fileNameProblem } from "../shared/file-names.js";
import { newId } from "../shared/ids.js";
import { sha256Hex } from "../shared/secrets.js";
import { inTransaction, type Tx } from "../store/database.js";
import type { CaseEvidenceTable, CaseTable } from "../store/schema.js";
import { loadCaseForUpdate, recordCaseEvent } from "./case-transition.js";

/** Evidence given as text or as a pointer to something already imported. Files are uploaded on their own. */
export type EvidenceInput =
  | { kind: "transcript" | "email"; label: string; text: string }
  | { kind: "reference"; type: ReferenceType; id: string };

export const REFERENCE_TYPES = [
  "usage",
  "incident",
  "subscription",
  "promotion",
  "payment",
  "charge",
  "finding",
] as const;
export type ReferenceType = (typeof REFERENCE_TYPES)[number];

export type EvidencePhase = CaseEvidenceTable["phase"];

const MAX_TEXT_CHARS = 200_000;

export function validateEvidenceInputs(items: readonly EvidenceInput[]): FieldError[] {
  const errors: FieldError[] = [];
  items.forEach((e, i) => {
    const at = `evidence/${i}`;
    if (e.kind === "reference") {
      if (!(REFERENCE_TYPES as readonly string[]).includes(e.type))
        errors.push({
          field: `${at}/type`,
          code: "invalid_type",
          message: `must be one of ${REFERENCE_TYPES.join(", ")}`,
        });
      if (e.id.trim() === "") errors.push({ field: `${at}/id`, code: "required", message: "is required" });
      return;
    }
    if (e.text.trim() === "")
      errors.push({ field: `${at}/text`, code: "required", message: "paste the text" });
    if (e.text.length > MAX_TEXT_CHARS)
      errors.push({ field: `${at}/text`, code: "too_long", message: `at most ${MAX_TEXT_CHARS} characters` });
    if (e.label.trim() === "")
      errors.push({ field: `${at}/label`, code: "required", message: "is required" });
  });
  return errors;
}

/** The label a reference gets from the record it points at; null when it is not the organisation's. */
async function referenceLabel(
  tx: Tx,
  organisationId: string,
  type: ReferenceType,
  id: string,
): Promise<string | null> {
  switch (type) {
    case "usage": {
      const r = await tx
        .selectFrom("usage_intervals")
        .select(["resource_id", "start_at", "end_at", "source_ref"])
        .where("organisation_id", "=", organisationId)
        .where("id", "=", id)
        .executeTakeFirst();
      return r ? `Usage of ${r.resource_id} from ${r.start_at} to ${r.end_at} (${r.source_ref})` : null;
    }
    case "incident": {
      const r = await tx
        .selectFrom("incidents")
        .select(["incident_id", "service_name", "region_id", "start_at", "end_at"])
        .where("organisation_id", "=", organisationId)
        .where("id", "=", id)
        .executeTakeFirst();
      return r
        ? `Incident ${r.incident_id}: ${r.service_name} in ${r.region_id}, ${r.start_at} to ${r.end_at}`
        : null;
    }
    case "subscription": {
      const r = await tx
        .selectFrom("subscriptions")
        .select(["subscription_id", "service_name", "cancelled_at"])
        .where("organisation_id", "=", organisationId)
        .where("id", "=", id)
        .executeTakeFirst();
      return r
        ? `Subscription ${r.subscription_id} (${r.service_name})${r.cancelled_at ? `, cancelled ${r.cancelled_at}` : ""}`
        : null;
    }
    case "promotion": {
      const r = await tx
        .selectFrom("promotions")
        .select(["promotion_id", "valid_from", "valid_to"])
        .where("organisation_id", "=", organisationId)
        .where("id", "=", id)
        .executeTakeFirst();
      return r ? `Promotion ${r.promotion_id}, valid ${r.valid_from} to ${r.valid_to}` : null;
    }
    case "payment": {
      const r = await tx
        .selectFrom("payments")
        .select(["payment_id", "amount", "currency", "paid_at"])
        .where("organisation_id", "=", organisationId)
        .where("id", "=", id)
        .executeTakeFirst();
      return r ? `Payment ${r.payment_id}: ${r.amount} ${r.currency} on ${r.paid_at}` : null;
    }
    case "charge": {
      const r = await tx
        .selectFrom("charges")
        .select(["source_ref", "billed_cost", "billing_currency"])
        .where("organisation_id", "=", organisationId)
        .where("id", "=", id)
        .executeTakeFirst();
      return r ? `Charge ${r.source_ref}: ${r.billed_cost} ${r.billing_currency}` : null;
    }
    case "finding": {
      const r = await tx
        .selectFrom("findings")
        .select(["kind", "amount", "currency", "explanation"])
        .where("organisation_id", "=", organisationId)
        .where("id", "=", id)
        .executeTakeFirst();
      return r ? `Audit finding ${id} (${r.kind}, ${r.amount} ${r.currency}): ${r.explanation}` : null;
    }
  }
}

/** Adds text and reference evidence inside the caller's transaction; unknown references fail it. */
export async function addReferenceEvidence(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  row: CaseTable,
  items: readonly EvidenceInput[],
  phase: EvidencePhase,
): Promise<CaseEvidenceTable[]> {
  const at = services.clock.now().toISOString();
  const added: CaseEvidenceTable[] = [];
  const errors: FieldError[] = [];
  for (const [i, e] of items.entries()) {
    const base = {
      id: newId("caseEvidence"),
      case_id: row.id,
      phase,
      added_by: ctx.actor,
      created_at: at,
      content_type: null,
      size_bytes: null,
      sha256: null,
    };
    if (e.kind === "reference") {
      const label = await referenceLabel(tx, row.organisation_id, e.type, e.id);
      if (label === null) {
        errors.push({
          field: `evidence/${i}/id`,
          code: "unknown_reference",
          message: `is not a ${e.type} of this organisation`,
        });
        continue;
      }
      added.push({
        ...base,
        kind: "reference",
        label,
        text: null,
        reference_type: e.type,
        reference_id: e.id,
      });
    } else
      added.push({
        ...base,
        kind: e.kind,
        label: e.label.trim(),
        text: e.text,
        reference_type: null,
        reference_id: null,
      });
  }
  if (errors.length) throw validationFailed(errors);
  if (added.length) await tx.insertInto("case_evidence").values(added).execute();
  return added;
}

/** Accepted uploads. Binary types are judged by their magic bytes; text types must be clean UTF-8. */
export const EVIDENCE_FILE_TYPES = {
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  csv: "text/csv",
  txt: "text/plain",
  json: "application/json",
  eml: "message/rfc822",
} as const;
type EvidenceContentType = (typeof EVIDENCE_FILE_TYPES)[keyof typeof EVIDENCE_FILE_TYPES];

const BINARY_TYPES: readonly string[] = ["application/pdf", "image/png", "image/jpeg"];

/**
 * The content type of an upload, from its content: the name and the declared type are the
 * client's and prove nothing. A text file's name picks among the text types (CSV, TXT, JSON, EML),
 * and then the content must fit (JSON parses, an e-mail starts with header fields).
 */
export async function classifyEvidenceFile(
  bytes: Uint8Array,
  fileName: string,
): Promise<EvidenceContentType | null> {
  if (bytes.length === 0) return null;
  const detected = await fileTypeFromBuffer(bytes);
  if (detected) return BINARY_TYPES.includes(detected.mime) ? (detected.mime as EvidenceContentType) : null;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  // NUL and other C0 controls (but tab, CR, LF, form feed) do not occur in text files.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  if (/[\u0000-\u0008\u000b\u000e-\u001f]/.test(text)) return null;
  const ext = fileName.toLowerCase().split(".").pop() ?? "";
  if (ext === "json") {
    try {
      JSON.parse(text.replace(/^\uFEFF/, ""));
      return "application/json";
    } catch {
      return null;
    }
  }
  if (ext === "eml")
    return /^(?:[!-9;-~]+:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*)+\r?\n/.test(text) ? "message/rfc822" : null;
  if (ext === "csv") return "text/csv";
  if (ext === "txt" || ext === "log" || ext === "md") return "text/plain";
  return null;
}

export function evidenceFilePath(dataDir: string, sha256: string): string {
  return join(dataDir, "evidence", sha256.slice(0, 2), sha256);
}

/**
 * Stores an uploaded file content-addressed (the same bytes once, however often uploaded) and adds
 * it to the case with its timeline event. Allowed while the case is open or being appealed.
 */
export async function addFileEvidence(
  services: Services,
  ctx: WriteContext,
  input: { caseId: string; fileName: string | undefined; bytes: Buffer | null; phase?: EvidencePhase },
): Promise<CaseEvidenceTable> {
  if (input.bytes === null)
    throw validationFailed([{ field: "file", code: "required", message: "attach one file" }]);
  const nameProblem = fileNameProblem(input.fileName);
  if (nameProblem || input.fileName === undefined)
    throw validationFailed([
      { field: "file.filename", code: "unsafe_filename", message: `the file name ${nameProblem}` },
    ]);
  if (input.bytes.length > services.config.maxUploadBytes)
    throw new AppError("payload_too_large", `Files may be at most ${services.config.maxUploadBytes} bytes`);
  const contentType = await classifyEvidenceFile(input.bytes, input.fileName);
  if (!contentType)
    throw new AppError(
      "unsupported_media_type",
      "Attach a PDF, PNG, JPEG, CSV, TXT, JSON or EML file (judged by its content)",
    );
  const sha256 = sha256Hex(input.bytes);
  const path = evidenceFilePath(services.config.dataDir, sha256);
  // Written before the transaction: content-addressed, so a rolled-back upload leaves at most an
  // unreferenced copy of bytes, never a row without its file.
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, input.bytes);
  renameSync(tmp, path);
  const fileName = input.fileName;
  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, input.caseId);
    if (row.state === "closed" || row.state === "withdrawn")
      throw new AppError("invalid_transition", "Evidence cannot be added to a closed or withdrawn case", {
        extensions: { currentState: row.state },
      });
    const phase: EvidencePhase =
      input.phase ??
      (row.state === "awaiting_customer" ? "information" : row.state === "decided" ? "appeal" : "request");
    const evidence: CaseEvidenceTable = {
      id: newId("caseEvidence"),
      case_id: row.id,
      kind: "file",
      label: fileName,
      content_type: contentType,
      size_bytes: input.bytes?.length ?? 0,
      sha256,
      text: null,
      reference_type: null,
      reference_id: null,
      phase,
      added_by: ctx.actor,
      created_at: services.clock.now().toISOString(),
    };
    await tx.insertInto("case_evidence").values(evidence).execute();
    await recordCaseEvent(tx, services, ctx, row, {
      type: "evidence_added",
      note: `File ${fileName} added as evidence.`,
      data: { evidenceId: evidence.id, contentType, sizeBytes: evidence.size_bytes, sha256 },
    });
    return evidence;
  });
}

export async function readEvidenceFile(
  services: Services,
  caseId: string,
  evidenceId: string,
): Promise<{ evidence: CaseEvidenceTable; bytes: Buffer }> {
  const evidence = await services.store.db
    .selectFrom("case_evidence")
    .selectAll()
    .where("case_id", "=", caseId)
    .where("id", "=", evidenceId)
    .executeTakeFirst();
  if (evidence?.kind !== "file" || !evidence.sha256) throw notFound("Evidence file");
  return { evidence, bytes: readFileSync(evidenceFilePath(services.config.dataDir, evidence.sha256)) };
}
