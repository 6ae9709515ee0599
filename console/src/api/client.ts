import type { FieldError, Problem } from "./types";

/** An API call that answered with a problem (or never reached the server: code `network`). */
export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "ApiError";
    this.problem = problem;
  }
}

// The session's CSRF token: cookie-authenticated writes must echo it in X-CSRF-Token.
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

// Told when the server says the session is gone, so the shell can show the sign-in page.
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** A fresh Idempotency-Key per user action: a retried click or a replayed request has its effect once. */
export const newIdempotencyKey = (): string => crypto.randomUUID();

/**
 * A step on a case (`POST /cases/{id}/<step>`): sent with the version the user saw (a step on a
 * case changed meanwhile answers 409) and a fresh Idempotency-Key (a retried click acts once).
 */
export function caseStep<T = unknown>(
  c: { id: string; version: number },
  step: string,
  body: Record<string, unknown> = {},
): Promise<T> {
  return api<T>(
    "POST",
    `/cases/${encodeURIComponent(c.id)}/${step}`,
    { ...body, expectedVersion: c.version },
    { idempotencyKey: newIdempotencyKey() },
  );
}

const networkProblem = (): Problem => ({
  title: "network",
  status: 0,
  code: "network",
});

async function problemOf(res: Response): Promise<Problem> {
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      const body = (await res.json()) as Partial<Problem>;
      return { ...body, title: body.title ?? res.statusText, status: body.status ?? res.status };
    } catch {
      // A proxy's error page or a cut-off body: fall through to the status line.
    }
  }
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status };
}

function handleProblem(problem: Problem, path: string): never {
  if (problem.status === 401 && !path.startsWith("/auth/")) for (const l of signedOutListeners) l();
  throw new ApiError(problem);
}

export interface CallOptions {
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(networkProblem());
  }
  if (!res.ok) handleProblem(await problemOf(res), path);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal): Promise<T> =>
  api<T>("GET", path, undefined, { signal });

/** A query string from the values that are set, in order. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * Uploads one file as multipart/form-data with progress. fetch() cannot report upload progress,
 * so this one call uses XMLHttpRequest. `fields` go before the file: the server reads only the
 * fields that precede it (imports' `kind`, KYC documents' `kind`).
 */
export function uploadFile<T>(
  path: string,
  file: File,
  onProgress: (fraction: number) => void,
  idempotencyKey: string,
  fields: Readonly<Record<string, string>> = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("accept", "application/json");
    if (csrfToken) xhr.setRequestHeader("x-csrf-token", csrfToken);
    xhr.setRequestHeader("idempotency-key", idempotencyKey);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(networkProblem()));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as T);
        return;
      }
      const p = (body ?? {}) as Partial<Problem>;
      try {
        handleProblem({ ...p, title: p.title ?? xhr.statusText, status: p.status ?? xhr.status }, path);
      } catch (error) {
        reject(error);
      }
    };
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/**
 * Field errors keyed by the form field they belong to: the server names `body.summary`,
 * `items`, `clauses/0` or `proration/to`; a form shows each next to `summary`, `items`, `clauses`, `proration`.
 */
export function fieldErrors(problem: Problem | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of problem?.errors ?? []) {
    const key = fieldKey(e);
    out[key] = [...(out[key] ?? []), e.message];
  }
  return out;
}

export function fieldKey(e: Pick<FieldError, "field">): string {
  const path = e.field.replace(/^(body|querystring|params)[./]?/, "");
  return path.split(/[./]/)[0] || "form";
}

/** Every page of a list, up to `max` items (the console's lists are a customer's own, so small). */
export async function getAll<T>(path: string, signal?: AbortSignal, max = 1000): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page: { items: T[]; nextCursor: string | null } = await get(
      `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      signal,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}
