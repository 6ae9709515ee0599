import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AppError, ERROR_CODES, type ErrorCode, type FieldError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { isDatabaseUnavailable } from "../store/database.js";

/** RFC 9457 problem details; `type` is stable per error code and documented at that path. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  requestId: string;
  errors?: readonly FieldError[];
  [extension: string]: unknown;
}

export const problemType = (code: ErrorCode): string => `/problems/${code.replaceAll("_", "-")}`;

/** Errors raised by Fastify and its plugins before our code runs, by their stable codes. */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_EMPTY_JSON_BODY: "malformed_request",
  FST_ERR_CTP_INVALID_JSON_BODY: "malformed_request",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "malformed_request",
  FST_INVALID_MULTIPART_CONTENT_TYPE: "unsupported_media_type",
  FST_REQ_FILE_TOO_LARGE: "payload_too_large",
  FST_FILES_LIMIT: "payload_too_large",
  FST_FIELDS_LIMIT: "payload_too_large",
  FST_PARTS_LIMIT: "payload_too_large",
  FST_PROTO_VIOLATION: "malformed_request",
  // Raised by the router, before any route: reach us through Fastify's `frameworkErrors` option.
  FST_ERR_BAD_URL: "malformed_request",
  FST_ERR_MAX_PARAM_LENGTH: "malformed_request",
};

/**
 * The multipart parser (busboy) reports a broken form — a body that does not match its boundary,
 * one cut short, a boundary missing or over 254 characters — as plain `Error`s without a code.
 * They are the client's doing: known by their fixed messages, they answer 400, not 500.
 */
const MALFORMED_MULTIPART =
  /^(Unexpected end of multipart data|.* terminated early due to unexpected end of multipart data|Multipart: Boundary not found|Boundary required|The needle cannot .*)$/;

function classify(error: unknown): {
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
  ext: Record<string, unknown>;
} {
  if (error instanceof AppError) {
    return {
      code: error.code,
      detail: error.message,
      errors: error.fieldErrors.length ? [...error.fieldErrors] : undefined,
      ext: { ...error.extensions },
    };
  }
  const fe = error as Partial<FastifyError> & {
    validation?: Array<{
      instancePath?: string;
      message?: string;
      keyword?: string;
      params?: Record<string, unknown>;
    }>;
  };
  if (fe.validation) {
    const errors = fe.validation.map((v) => {
      const missing = v.keyword === "required" ? String(v.params?.missingProperty ?? "") : "";
      const extra = v.keyword === "additionalProperties" ? String(v.params?.additionalProperty ?? "") : "";
      const path = `${fe.validationContext ?? "body"}${(v.instancePath ?? "").replaceAll("/", ".")}`;
      const field = missing ? `${path}.${missing}` : extra ? `${path}.${extra}` : path;
      const code = v.keyword === "additionalProperties" ? "unknown_field" : (v.keyword ?? "invalid");
      return { field, code, message: extra ? "is not a known field" : (v.message ?? "is not valid") };
    });
    return {
      code: "validation_failed",
      detail: errors.map((e) => `${e.field} ${e.message}`).join("; "),
      errors,
      ext: {},
    };
  }
  if (fe.code && FRAMEWORK_CODES[fe.code]) {
    return { code: FRAMEWORK_CODES[fe.code]!, detail: fe.message ?? "", ext: {} };
  }
  if (error instanceof Error && !fe.code && MALFORMED_MULTIPART.test(error.message))
    return {
      code: "malformed_request",
      detail: `The multipart body is malformed: ${error.message}`,
      ext: {},
    };
  // The database is down, restarting or out of connections: not a bug of ours, and the same request
  // soon will likely succeed. Nothing about the driver's error reaches the client.
  if (isDatabaseUnavailable(error))
    return {
      code: "unavailable",
      detail:
        "The database is not reachable right now. Try again in a few seconds; a request sent again with its Idempotency-Key takes effect once",
      ext: {},
    };
  if (fe.statusCode === 429)
    return { code: "rate_limited", detail: fe.message ?? "Too many requests", ext: {} };
  if (fe.statusCode === 413) return { code: "payload_too_large", detail: fe.message ?? "", ext: {} };
  if (fe.statusCode === 415) return { code: "unsupported_media_type", detail: fe.message ?? "", ext: {} };
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { code: "malformed_request", detail: fe.message ?? "", ext: {} };
  }
  return {
    code: "internal",
    detail: "An unexpected error occurred; the request id identifies it in our logs",
    ext: {},
  };
}

export function toProblem(error: unknown, request: FastifyRequest): ProblemDetails {
  const { code, detail, errors, ext } = classify(error);
  const meta = ERROR_CODES[code];
  return {
    ...ext,
    type: problemType(code),
    title: meta.title,
    status: meta.status,
    detail,
    instance: request.url.split("?")[0] ?? request.url,
    code,
    requestId: String(request.id),
    ...(errors ? { errors } : {}),
  };
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser rejects before there is a request — the
 * request line and headers over Node's size limit, a client too slow to send them, a malformed
 * request — answered as problem details like every other 4xx, then the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has no one left to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const code: ErrorCode =
    error.code === "HPE_HEADER_OVERFLOW"
      ? "headers_too_large"
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? "request_timeout"
        : "malformed_request";
  const meta = ERROR_CODES[code];
  const body = JSON.stringify({
    type: problemType(code),
    title: meta.title,
    status: meta.status,
    detail: code === "malformed_request" ? "The HTTP request could not be parsed" : meta.title,
    code,
    requestId: newId("request"),
  });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${meta.status} ${STATUS_CODES[meta.status] ?? ""}\r\nConnection: close\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

/** Seconds a client should wait before trying again after a 503. */
export const RETRY_AFTER_SECONDS = 5;

export function sendProblem(reply: FastifyReply, problem: ProblemDetails): FastifyReply {
  // RFC 9110 §10.2.3: a 503 says when to come back, so clients and proxies retry instead of failing.
  if (problem.status === 503 && !reply.hasHeader("retry-after"))
    reply.header("retry-after", String(RETRY_AFTER_SECONDS));
  return reply.code(problem.status).type("application/problem+json").send(problem);
}
