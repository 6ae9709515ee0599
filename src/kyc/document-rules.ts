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

export const MAX_FILE_NAME_BYTES = 255;

// C0, DEL and C1 controls, and the bidirectional overrides that disguise "gpj.exe" as "exe.jpg".
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * Why a client-supplied file name is hostile, or null when it is fine. The name is never used
 * as a path here, but one that tries to be a path says the client is not a browser form.
 */
export function fileNameProblem(name: string | undefined): string | null {
  if (name === undefined || name.trim() === "") return "is empty";
  if (Buffer.byteLength(name, "utf8") > MAX_FILE_NAME_BYTES)
    return `is longer than ${MAX_FILE_NAME_BYTES} bytes`;
  if (name.includes("/") || name.includes("\\")) return "contains a path separator";
  if (name.includes("..")) return "contains ..";
  if (CONTROL_OR_BIDI.test(name)) return "contains control characters";
  return null;
}
