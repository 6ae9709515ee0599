/**
 * The closed error vocabulary of Refund Desk. Operations throw `AppError` with one of
 * these codes; the HTTP layer maps each to a status and an RFC 9457 problem type once
 * (src/http/problem-details.ts), and the CLI maps each to an exit code once.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: "The request is not valid" },
  malformed_request: { status: 400, title: "The request body could not be read" },
  unauthenticated: { status: 401, title: "Sign in or present an API token" },
  invalid_credentials: { status: 401, title: "The e-mail or password is wrong" },
  forbidden: { status: 403, title: "You may not do this" },
  csrf_failed: { status: 403, title: "The CSRF token is missing or wrong" },
  not_found: { status: 404, title: "Not found" },
  /** The client did not finish sending its request in time (Node's request timeout). */
  request_timeout: { status: 408, title: "The request was not received in time" },
  conflict: { status: 409, title: "The request conflicts with the current state" },
  invalid_transition: { status: 409, title: "This step is not allowed in the current state" },
  idempotency_request_in_progress: {
    status: 409,
    title: "A request with this Idempotency-Key is still being processed",
  },
  payload_too_large: { status: 413, title: "The request or file is too large" },
  unsupported_media_type: { status: 415, title: "This type of content is not accepted" },
  /** The request line and headers exceed Node's limit (16 KiB): a very long URL, or too many cookies. */
  headers_too_large: { status: 431, title: "The request's address or headers are too large" },
  currency_mismatch: { status: 422, title: "Amounts in different currencies cannot be combined" },
  idempotency_key_reused: {
    status: 422,
    title: "This Idempotency-Key was used with a different request",
  },
  invalid_webhook_signature: { status: 401, title: "The webhook signature is not valid" },
  rate_limited: { status: 429, title: "Too many requests" },
  account_locked: { status: 429, title: "Too many failed sign-ins; try again later" },
  internal: { status: 500, title: "Something went wrong on our side" },
  unavailable: { status: 503, title: "The service is not available right now" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem with one field; `code` is stable so a form can show it next to the field. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors: readonly FieldError[];
  /** Extra members for the problem details document (e.g. `currentState`). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      fieldErrors?: readonly FieldError[];
      extensions?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.fieldErrors = options.fieldErrors ?? [];
    this.extensions = options.extensions ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export const notFound = (what: string): AppError => new AppError("not_found", `${what} was not found`);
export const forbidden = (why = "Your role does not allow this action"): AppError =>
  new AppError("forbidden", why);
export const conflict = (why: string, extensions?: Record<string, unknown>): AppError =>
  new AppError("conflict", why, { extensions });

export function validationFailed(fieldErrors: readonly FieldError[], message?: string): AppError {
  return new AppError(
    "validation_failed",
    message ?? fieldErrors.map((e) => `${e.field}: ${e.message}`).join("; "),
    { fieldErrors },
  );
}

/** CLI exit codes: 2 for anything the user can fix in their input, 1 for everything else. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof AppError) {
    const s = error.status;
    return s >= 400 && s < 500 ? 2 : 1;
  }
  return 1;
}
