import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { deriveKey, encrypt, sha256Hex } from "../shared/secrets.js";
import { inTransaction } from "../store/database.js";
import { classifyDocument, fileNameProblem } from "./document-rules.js";
import { isKycDocumentKind, KYC_DOCUMENT_KINDS } from "./model.js";
import { type DocumentMeta, kycDocumentView } from "./views.js";

export interface UploadKycDocumentInput {
  accountId: string;
  kind: string | undefined;
  /** As the client sent it; checked, then dropped (we name downloads by document id). */
  fileName: string | undefined;
  /** null when the request had no `file` part. */
  bytes: Buffer | null;
}

/** The associated data of a document's ciphertext: a blob copied to another row fails to open. */
export const documentContext = (accountId: string, documentId: string): string =>
  `kyc-document:${accountId}:${documentId}`;

/**
 * Stores one identity document, encrypted. The same content uploaded again to the same
 * account returns the document already stored (`created: false`) instead of a second copy.
 */
export async function uploadKycDocument(
  services: Services,
  ctx: WriteContext,
  input: UploadKycDocumentInput,
): Promise<{ document: ReturnType<typeof kycDocumentView>; created: boolean }> {
  const errors: FieldError[] = [];
  if (input.kind === undefined || input.kind === "")
    errors.push({ field: "kind", code: "required", message: "send the kind field before the file" });
  else if (!isKycDocumentKind(input.kind))
    errors.push({
      field: "kind",
      code: "invalid_kind",
      message: `must be one of ${KYC_DOCUMENT_KINDS.join(", ")}`,
    });
  if (input.bytes === null) errors.push({ field: "file", code: "required", message: "attach one file" });
  else {
    const nameProblem = fileNameProblem(input.fileName);
    if (nameProblem) errors.push({ field: "file.filename", code: "unsafe_filename", message: nameProblem });
    if (input.bytes.length === 0) errors.push({ field: "file", code: "empty", message: "the file is empty" });
  }
  if (errors.length || input.bytes === null || input.kind === undefined) throw validationFailed(errors);
  const bytes = input.bytes;
  const kind = input.kind;

  // The multipart limit already stops the stream; this guards other callers (CLI, imports).
  if (bytes.length > services.config.maxUploadBytes)
    throw new AppError("payload_too_large", `Files may be at most ${services.config.maxUploadBytes} bytes`);
  const contentType = await classifyDocument(bytes);
  if (!contentType)
    throw new AppError("unsupported_media_type", "Upload a PDF, PNG or JPEG file (judged by its content)");

  const sha256 = sha256Hex(bytes);
  const id = newId("kycDocument");
  const ciphertext = encrypt(
    deriveKey(services.config.secretKey, "kyc-documents"),
    bytes,
    documentContext(input.accountId, id),
  );
  const now = services.clock.now().toISOString();

  return inTransaction(services.store, async (tx) => {
    const account = await tx
      .selectFrom("accounts")
      .select(["id", "organisation_id"])
      .where("id", "=", input.accountId)
      .executeTakeFirst();
    if (!account) throw notFound("Account");
    const inserted = await tx
      .insertInto("kyc_documents")
      .values({
        id,
        account_id: account.id,
        kind,
        content_type: contentType,
        size_bytes: bytes.length,
        sha256,
        ciphertext,
        uploaded_by: ctx.actor,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(["account_id", "sha256"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) {
      const existing: DocumentMeta = await tx
        .selectFrom("kyc_documents")
        .select(["id", "kind", "content_type", "size_bytes", "sha256", "created_at"])
        .where("account_id", "=", account.id)
        .where("sha256", "=", sha256)
        .executeTakeFirstOrThrow();
      return { document: kycDocumentView(existing), created: false };
    }
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "kyc.document_uploaded",
      subjectType: "account",
      subjectId: account.id,
      organisationId: account.organisation_id,
      summary: { documentId: id, kind, contentType, sizeBytes: bytes.length, sha256 },
      requestId: ctx.requestId,
      at: now,
    });
    return {
      document: kycDocumentView({
        id,
        kind,
        content_type: contentType,
        size_bytes: bytes.length,
        sha256,
        created_at: now,
      }),
      created: true,
    };
  });
}
