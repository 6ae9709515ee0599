/** A small HTTP client for tests: real requests over loopback, with session or token auth. */
export interface Caller {
  cookie?: string;
  csrfToken?: string;
  bearer?: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  as?: Caller;
  body?: unknown;
  rawBody?: RequestInit["body"];
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.as?.cookie) headers.cookie = options.as.cookie;
  if (options.as?.csrfToken && method !== "GET") headers["x-csrf-token"] = options.as.csrfToken;
  if (options.as?.bearer) headers.authorization = `Bearer ${options.as.bearer}`;
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  let body: RequestInit["body"] = options.rawBody;
  if (options.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(options.body);
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export async function login(baseUrl: string, email: string, password = "demo"): Promise<Caller> {
  const res = await call<{ csrfToken: string }>(baseUrl, "POST", "/auth/login", {
    body: { email, password },
  });
  if (res.status !== 200) throw new Error(`login ${email} failed: ${res.status} ${res.text}`);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0]!;
  return { cookie, csrfToken: res.body.csrfToken };
}
