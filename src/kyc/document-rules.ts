import { fileTypeFromBuffer } from "file-type";

/** The only content we keep: scans and photos of identity papers. */
export const DOCUMENT_CONTENT_TYPES = ["application/pdf", "image/png", "image/jpeg"] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];

const EXTENSIONS: Record<DocumentContentType, string> = {
  "application/pdf": "pdf",
  "image/png": "png",
  "image/jpeg": "jpg",
};

export const extensionFor = (type: DocumentContentType): string => EXTENSIONS[type];

export const isDocumentContentType = (t: string): t is DocumentContentType =>
  (DOCUMENT_CONTENT_TYPES as readonly string[]).includes(t);

/**
 * The type of an upload, from its magic bytes alone: the file name and the declared content
 * type are chosen by the client and prove nothing. null when it is anything we do not accept.
 */
export async function classifyDocument(bytes: Uint8Array): Promise<DocumentContentType | null> {
  if (bytes.length === 0) return null;
  const detected = await fileTypeFromBuffer(bytes);
  return detected && isDocumentContentType(detected.mime) ? detected.mime : null;
}

export { fileNameProblem } from "../shared/file-names.js";
