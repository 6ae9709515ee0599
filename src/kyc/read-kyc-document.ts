import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { decrypt, deriveKey } from "../shared/secrets.js";
import { inTransaction } from "../store/database.js";
import { type DocumentContentType, extensionFor, isDocumentContentType } from "./document-rules.js";
import { documentContext } from "./upload-kyc-document.js";

export interface KycDocumentContent {
  id: string;
  contentType: DocumentContentType;
  /** A safe download name made from the id; the uploaded name is never kept. */
  fileName: string;
  bytes: Buffer;
}

/**
 * Decrypts one document of an account. Every read of identity papers is recorded in the
 * audit log, so the customer and compliance can see who looked at them.
 */
export async function readKycDocument(
  services: Services,
  ctx: WriteContext,
  input: { accountId: string; documentId: string },
): Promise<KycDocumentContent> {
  const now = services.clock.now().toISOString();
  return inTransaction(services.store, async (tx) => {
    const row = await tx
      .selectFrom("kyc_documents")
      .innerJoin("accounts", "accounts.id", "kyc_documents.account_id")
      .select([
        "kyc_documents.id",
        "kyc_documents.account_id",
        "kyc_documents.content_type",
        "kyc_documents.ciphertext",
        "accounts.organisation_id",
      ])
      .where("kyc_documents.id", "=", input.documentId)
      .where("kyc_documents.account_id", "=", input.accountId)
      .executeTakeFirst();
    if (!row) throw notFound("Document");
    if (!isDocumentContentType(row.content_type))
      throw new Error(`unreachable: stored document ${row.id} has type ${row.content_type}`);
    // A failed tag check (tampered row, wrong key) throws and surfaces as a 500: never serve it.
    const bytes = decrypt(
      deriveKey(services.config.secretKey, "kyc-documents"),
      Buffer.from(row.ciphertext),
      documentContext(row.account_id, row.id),
    );
    await appendAuditEntry(tx, services.store.capabilities, {
      actor: ctx.actor,
      action: "kyc.document_read",
      subjectType: "account",
      subjectId: row.account_id,
      organisationId: row.organisation_id,
      summary: { documentId: row.id },
      requestId: ctx.requestId,
      at: now,
    });
    return {
      id: row.id,
      contentType: row.content_type,
      fileName: `${row.id}.${extensionFor(row.content_type)}`,
      bytes,
    };
  });
}
