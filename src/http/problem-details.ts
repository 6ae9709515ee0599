import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AppError, ERROR_CODES, type ErrorCode, type FieldError } from "../shared/errors.js";

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
};

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

export function sendProblem(reply: FastifyReply, problem: ProblemDetails): FastifyReply {
  return reply.code(problem.status).type("application/problem+json").send(problem);
}
