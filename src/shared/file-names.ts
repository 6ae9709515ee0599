import { validationFailed } from "./errors.js";

export const MAX_FILE_NAME_BYTES = 255;

// C0, DEL and C1 controls, and the bidirectional overrides that disguise "gpj.exe" as "exe.jpg".
const CONTROL_OR_BIDI = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * Why a client-supplied file name is hostile, or null when it is fine. Stored files are
 * content-addressed, so the name is never a path here; one that tries to be a path says the
 * client is not a browser form, and it is refused.
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

export function assertSafeFileName(name: string | undefined, field: string): void {
  const problem = fileNameProblem(name);
  if (problem)
    throw validationFailed([{ field, code: "unsafe_filename", message: `the file name ${problem}` }]);
}
