import { validationFailed } from "./errors.js";

/**
 * Where the NUL character (U+0000) occurs in parsed JSON: the JSON Pointer of each string value or
 * member name that holds it ("" for the root).
 * NOTE: PostgreSQL text cannot hold it (the driver's error would be a 500) while SQLite stores it;
 * no field of this API has a use for it, so every body — through a route's schema or a webhook's own
 * parser — is refused with a field error on both engines.
 * Walked without recursion: a rejected body may nest a million levels deep.
 */
export function nulCharacterPaths(data: unknown): string[] {
  const found: string[] = [];
  const pending: Array<[unknown, string]> = [[data, ""]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === "string") {
      if (value.includes("\u0000")) found.push(path);
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) pending.push([v, `${path}/${i}`]);
    } else if (value !== null && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (key.includes("\u0000")) found.push(path);
        pending.push([v, `${path}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`]);
      }
    }
  }
  return found;
}

export const NUL_CHARACTER_MESSAGE = "must not contain the NUL character (U+0000)";

/** For bodies a handler parses itself (signed webhooks): a validation error naming each place. */
export function rejectNulCharacters(payload: unknown): void {
  const paths = nulCharacterPaths(payload);
  if (paths.length === 0) return;
  throw validationFailed(
    paths.map((path) => ({
      field: path === "" ? "body" : path.slice(1).replaceAll("/", "."),
      code: "nul_character",
      message: NUL_CHARACTER_MESSAGE,
    })),
  );
}
