import { readFileSync, statSync } from "node:fs";
import Ajv, { type ErrorObject } from "ajv";
import { Type } from "typebox";
import { FINDING_KINDS } from "../audit/finding.js";
import { CASE_REASONS } from "../cases/vocabulary.js";
import { type Dec, parseDecimal } from "../money/index.js";
import { AppError, type FieldError } from "../shared/errors.js";
import { DEFAULT_POLICY, KIND_CLAUSE_IDS } from "./default-policy.js";
import type { Policy } from "./policy.js";
import { type AmountByCurrency, DEFAULT_REVIEW_POLICY, type ReviewPolicy } from "./review-policy.js";

/** Policy files larger than this are refused before they are read. */
export const MAX_POLICY_FILE_BYTES = 10 * 1024 * 1024;

/** At most this many problems are listed in one error; the rest are counted. */
const MAX_REPORTED_ERRORS = 50;

const NonEmpty = (maxLength: number) => Type.String({ minLength: 1, maxLength });
/** Checked with `parseDecimal` after the schema (exact decimal strings, never JSON numbers). */
const DecimalString = Type.String({ minLength: 1, maxLength: 100 });
const CLAUSE_ID_PATTERN = "^[a-z0-9][a-z0-9._-]*$";
const ClauseId = Type.String({ pattern: CLAUSE_ID_PATTERN, maxLength: 100 });
const HttpUrl = Type.String({ pattern: '^https?://[^\\s<>"]+$', maxLength: 2000 });
const Count = (maximum: number) => Type.Integer({ minimum: 0, maximum });
const strict = { additionalProperties: false } as const;

const ClauseSchema = Type.Object(
  { title: NonEmpty(300), text: NonEmpty(20_000), source: Type.Optional(HttpUrl) },
  strict,
);

const SlaTierSchema = Type.Object({ below: DecimalString, creditPercent: DecimalString }, strict);

const SlaEntrySchema = Type.Object(
  {
    clauseId: ClauseId,
    providerName: NonEmpty(200),
    serviceName: NonEmpty(200),
    serviceCodes: Type.Array(NonEmpty(200), { maxItems: 100 }),
    scope: NonEmpty(1000),
    thresholdPercent: DecimalString,
    tiers: Type.Array(SlaTierSchema, { minItems: 1, maxItems: 20 }),
    maxCreditPercent: DecimalString,
    sourceUrl: HttpUrl,
    confirmed: Type.Boolean(),
  },
  strict,
);

const Months = Type.Optional(Count(1200));
const ByKindSchema = Type.Object(
  {
    duplicate_charge: Months,
    billed_beyond_usage: Months,
    charged_after_cancellation: Months,
    sla_credit: Months,
    promotion_not_applied: Months,
    rate_above_contract: Months,
    unused_prepaid_credit: Months,
  },
  strict,
);

const ClaimWindowsSchema = Type.Object(
  {
    defaultMonthsAfterCharge: Count(1200),
    slaBillingCyclesAfterIncident: Count(120),
    prepaidDaysAfterTermEnd: Count(36_500),
    byKind: Type.Optional(ByKindSchema),
  },
  strict,
);

const BillingTypeSchema = Type.Union([Type.Literal("subscription"), Type.Literal("pay_as_you_go")]);

const ProductRuleSchema = Type.Object(
  {
    id: NonEmpty(100),
    providerName: NonEmpty(200),
    serviceNames: Type.Array(NonEmpty(200), { minItems: 1, maxItems: 500 }),
    billingTypes: Type.Array(BillingTypeSchema, { minItems: 1, maxItems: 2, uniqueItems: true }),
    noReasonRefund: Type.Union([
      Type.Null(),
      Type.Object(
        { windowDays: Count(3650), oncePerCalendarYearPerService: Type.Boolean(), clauseId: ClauseId },
        strict,
      ),
    ]),
    vouchersRefundableInCash: Type.Boolean(),
    refundFormula: Type.Union([Type.Literal("cash_paid_minus_consumed"), Type.Literal("full")]),
    nonRefundablePromotions: Type.Array(NonEmpty(200), { maxItems: 1000 }),
    currencyMustMatch: Type.Boolean(),
    clauseIds: Type.Array(ClauseId, { maxItems: 100 }),
  },
  strict,
);

/** JSON Schema of a policy file (the `Policy` shape of policy.ts), strict: unknown fields are errors. */
export const POLICY_SCHEMA = Type.Object(
  {
    version: NonEmpty(64),
    clauses: Type.Record(Type.String({ pattern: CLAUSE_ID_PATTERN }), ClauseSchema, {
      additionalProperties: false,
      maxProperties: 10_000,
    }),
    sla: Type.Array(SlaEntrySchema, { maxItems: 10_000 }),
    claimWindows: ClaimWindowsSchema,
    prepaid: Type.Object({ refundablePercent: DecimalString }, strict),
    tolerances: Type.Object({ minimumAmount: DecimalString }, strict),
    products: Type.Array(ProductRuleSchema, { maxItems: 10_000 }),
  },
  strict,
);

// Compile-time check that every Policy is a valid instance of the schema's type (the shape and the
// schema cannot drift apart silently).
type SchemaPolicy = Type.Static<typeof POLICY_SCHEMA>;
const _policyFitsSchema = (p: Policy): SchemaPolicy => ({
  ...p,
  sla: p.sla.map((e) => ({ ...e, serviceCodes: [...e.serviceCodes], tiers: [...e.tiers] })),
  products: p.products.map((r) => ({
    ...r,
    serviceNames: [...r.serviceNames],
    billingTypes: [...r.billingTypes],
    nonRefundablePromotions: [...r.nonRefundablePromotions],
    clauseIds: [...r.clauseIds],
  })),
});
void _policyFitsSchema;

const ajv = new Ajv.default({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
const validateShape = ajv.compile(JSON.parse(JSON.stringify(POLICY_SCHEMA)) as object);

interface Problem {
  path: string;
  code: string;
  message: string;
}

/**
 * Reads a policy file (JSON of the `Policy` shape) and validates it strictly; without a file, the shipped
 * `DEFAULT_POLICY`. Every problem is reported in one validation_failed error (CLI exit 2), one line per
 * problem: `<file>: <JSON path>: <message>`.
 */
export async function loadPolicy(file?: string): Promise<Policy> {
  return loadPolicyFileSync(file);
}

function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw fail(
      label,
      [{ path: "$", code: "malformed_json", message: jsonSyntaxMessage(text, error) }],
      error,
    );
  }
}

/**
 * The server's policy files, read once at start (REFUND_DESK_POLICY, REFUND_DESK_REVIEW_POLICY): a bad
 * file stops the start with every problem listed, rather than failing the first case that needs it.
 */
export function readPolicyFileSync(file: string): string {
  try {
    const info = statSync(file);
    if (!info.isFile()) throw fail(file, [{ path: "$", code: "not_a_file", message: "is not a file" }]);
    if (info.size > MAX_POLICY_FILE_BYTES)
      throw fail(file, [
        { path: "$", code: "too_large", message: `is larger than ${MAX_POLICY_FILE_BYTES} bytes` },
      ]);
    return readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof AppError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw fail(file, [{ path: "$", code: "unreadable", message: `cannot be read (${reason})` }], error);
  }
}

/** Parses and validates the text of a policy file; `label` names the file in error messages. */
export function parsePolicy(text: string, label: string): Policy {
  return validatePolicy(parseJson(text, label), label);
}

/** Validates a parsed policy document against the schema and the cross-references; returns it typed. */
export function validatePolicy(value: unknown, label: string): Policy {
  if (!validateShape(value)) throw fail(label, (validateShape.errors ?? []).map(schemaProblem));
  const policy = value as Policy;
  const problems = semanticProblems(policy);
  if (problems.length > 0) throw fail(label, problems);
  return policy;
}

function fail(label: string, problems: readonly Problem[], cause?: unknown): AppError {
  const shown = problems.slice(0, MAX_REPORTED_ERRORS);
  const lines = shown.map((p) => `${label}: ${p.path}: ${p.message}`);
  if (problems.length > shown.length)
    lines.push(`${label}: … and ${problems.length - shown.length} more problems`);
  const fieldErrors: FieldError[] = shown.map((p) => ({ field: p.path, code: p.code, message: p.message }));
  return new AppError("validation_failed", lines.join("\n"), {
    fieldErrors,
    cause,
    extensions: { file: label },
  });
}

/** `$.sla[0].tiers[1].below` from a JSON pointer (`/sla/0/tiers/1/below`) plus an optional last key. */
function jsonPath(pointer: string, extra?: string): string {
  const segments =
    pointer === ""
      ? []
      : pointer
          .slice(1)
          .split("/")
          .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) segments.push(extra);
  return segments.reduce(
    (path, s) =>
      /^\d+$/.test(s)
        ? `${path}[${s}]`
        : /^[A-Za-z_$][\w$]*$/.test(s)
          ? `${path}.${s}`
          : `${path}[${JSON.stringify(s)}]`,
    "$",
  );
}

function schemaProblem(error: ErrorObject): Problem {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return {
        path: jsonPath(error.instancePath, String(params.missingProperty)),
        code: "required",
        message: "is required",
      };
    case "additionalProperties":
      return {
        path: jsonPath(error.instancePath, String(params.additionalProperty)),
        code: "unknown_field",
        message: "is not a field of a policy here (unknown field)",
      };
    case "pattern":
      return {
        path: jsonPath(error.instancePath),
        code: "invalid_format",
        message:
          error.instancePath.endsWith("sourceUrl") || error.instancePath.endsWith("source")
            ? "must be an http(s) URL"
            : `must match ${String(params.pattern)}`,
      };
    default:
      return {
        path: jsonPath(error.instancePath),
        code: error.keyword,
        message: error.message ?? "is not valid",
      };
  }
}

function jsonSyntaxMessage(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message);
  if (position === null) return `is not valid JSON (${message})`;
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `is not valid JSON at line ${line}, column ${column} (${message})`;
}

function semanticProblems(policy: Policy): Problem[] {
  const problems: Problem[] = [];
  const decimal = (value: string, path: string): Dec | null => {
    try {
      return parseDecimal(value, path);
    } catch (error) {
      const detail =
        error instanceof AppError ? (error.fieldErrors[0]?.message ?? error.message) : String(error);
      problems.push({ path, code: "invalid_decimal", message: `${JSON.stringify(value)} ${detail}` });
      return null;
    }
  };
  const percent = (value: string, path: string): Dec | null => {
    const d = decimal(value, path);
    if (d !== null && (d.isNegative() || d.greaterThan(100))) {
      problems.push({ path, code: "out_of_range", message: `${value} must be a percentage from 0 to 100` });
      return null;
    }
    return d;
  };
  const clauseExists = (id: string, path: string, citedBy: string): void => {
    if (!Object.hasOwn(policy.clauses, id)) {
      problems.push({
        path,
        code: "unknown_clause",
        message: `clause "${id}" cited by ${citedBy} is not defined in $.clauses`,
      });
    }
  };

  for (const kind of FINDING_KINDS) {
    const id = KIND_CLAUSE_IDS[kind];
    if (!Object.hasOwn(policy.clauses, id)) {
      problems.push({
        path: jsonPath("/clauses", id),
        code: "missing_clause",
        message: `is required: ${kind} findings cite it`,
      });
    }
  }

  policy.sla.forEach((entry, i) => {
    const at = `/sla/${i}`;
    clauseExists(
      entry.clauseId,
      jsonPath(at, "clauseId"),
      `SLA entry ${entry.providerName} / ${entry.serviceName}`,
    );
    const threshold = percent(entry.thresholdPercent, jsonPath(at, "thresholdPercent"));
    percent(entry.maxCreditPercent, jsonPath(at, "maxCreditPercent"));
    let previous: Dec | null = null;
    entry.tiers.forEach((tier, j) => {
      const belowPath = jsonPath(`${at}/tiers/${j}`, "below");
      const below = percent(tier.below, belowPath);
      percent(tier.creditPercent, jsonPath(`${at}/tiers/${j}`, "creditPercent"));
      if (below === null) return;
      if (threshold !== null && below.greaterThan(threshold)) {
        problems.push({
          path: belowPath,
          code: "out_of_order",
          message: `${tier.below} is above the threshold ${entry.thresholdPercent}`,
        });
      }
      if (previous !== null && !below.lessThan(previous)) {
        problems.push({
          path: belowPath,
          code: "out_of_order",
          message: "tiers must be sorted from the highest bound down, each bound lower than the one before",
        });
      }
      previous = below;
    });
  });

  percent(policy.prepaid.refundablePercent, "$.prepaid.refundablePercent");
  const minimum = decimal(policy.tolerances.minimumAmount, "$.tolerances.minimumAmount");
  if (minimum?.isNegative()) {
    problems.push({
      path: "$.tolerances.minimumAmount",
      code: "out_of_range",
      message: "must not be negative",
    });
  }

  const ruleIds = new Set<string>();
  policy.products.forEach((rule, i) => {
    const at = `/products/${i}`;
    if (ruleIds.has(rule.id)) {
      problems.push({
        path: jsonPath(at, "id"),
        code: "duplicate_id",
        message: `"${rule.id}" is used by an earlier rule`,
      });
    }
    ruleIds.add(rule.id);
    rule.clauseIds.forEach((id, j) => {
      clauseExists(id, jsonPath(`${at}/clauseIds`, String(j)), `product rule "${rule.id}"`);
    });
    if (rule.noReasonRefund !== null) {
      clauseExists(
        rule.noReasonRefund.clauseId,
        jsonPath(`${at}/noReasonRefund`, "clauseId"),
        `product rule "${rule.id}"`,
      );
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// The review policy (review-policy.ts): thresholds, targets and windows of the review process.

const Amounts = Type.Record(Type.String({ pattern: "^(default|[A-Z]{3})$" }), DecimalString, {
  required: ["default"],
  additionalProperties: false,
  maxProperties: 500,
});
const Days = (maximum: number) => Type.Integer({ minimum: 0, maximum });

/** JSON Schema of a review-policy file (the `ReviewPolicy` shape), strict like the refund policy's. */
export const REVIEW_POLICY_SCHEMA = Type.Object(
  {
    fastTrack: Type.Object(
      {
        findingKinds: Type.Array(Type.Union(FINDING_KINDS.map((k) => Type.Literal(k))), {
          uniqueItems: true,
        }),
        reasons: Type.Array(Type.Union(CASE_REASONS.map((r) => Type.Literal(r))), { uniqueItems: true }),
        maxAmount: Amounts,
      },
      strict,
    ),
    seniorReviewAbove: Amounts,
    identityCheckAbove: Amounts,
    targets: Type.Object({ fastTrackBusinessDays: Days(260), standardBusinessDays: Days(260) }, strict),
    informationRequest: Type.Object(
      {
        defaultBusinessDays: Days(260),
        maxBusinessDays: Days(260),
        reminderBusinessDaysBefore: Days(260),
      },
      strict,
    ),
    appealWindowDays: Days(3660),
    creditExpiryDays: Days(3660),
    denialAlternatives: Type.Array(NonEmpty(2000), { maxItems: 20 }),
  },
  strict,
);

const validateReviewShape = ajv.compile(JSON.parse(JSON.stringify(REVIEW_POLICY_SCHEMA)) as object);

/** Parses and validates the text of a review-policy file; `label` names the file in error messages. */
export function parseReviewPolicy(text: string, label: string): ReviewPolicy {
  const value = parseJson(text, label);
  if (!validateReviewShape(value)) throw fail(label, (validateReviewShape.errors ?? []).map(schemaProblem));
  const policy = value as ReviewPolicy;
  const problems: Problem[] = [];
  const amounts = (table: AmountByCurrency, path: string) => {
    for (const [currency, amount] of Object.entries(table)) {
      const at = jsonPath(path, currency);
      try {
        if (parseDecimal(amount, at).isNegative())
          problems.push({ path: at, code: "out_of_range", message: `${amount} must not be negative` });
      } catch {
        problems.push({
          path: at,
          code: "invalid_decimal",
          message: `${JSON.stringify(amount)} is not a decimal amount`,
        });
      }
    }
  };
  amounts(policy.fastTrack.maxAmount, "/fastTrack/maxAmount");
  amounts(policy.seniorReviewAbove, "/seniorReviewAbove");
  amounts(policy.identityCheckAbove, "/identityCheckAbove");
  const rfi = policy.informationRequest;
  if (rfi.defaultBusinessDays < 1 || rfi.defaultBusinessDays > rfi.maxBusinessDays)
    problems.push({
      path: "$.informationRequest.defaultBusinessDays",
      code: "out_of_range",
      message: `must be from 1 to maxBusinessDays (${rfi.maxBusinessDays})`,
    });
  if (rfi.reminderBusinessDaysBefore >= rfi.defaultBusinessDays)
    problems.push({
      path: "$.informationRequest.reminderBusinessDaysBefore",
      code: "out_of_range",
      message: "must be fewer than defaultBusinessDays, or the reminder would come before the request",
    });
  for (const [name, days] of Object.entries(policy.targets))
    if (days < 1)
      problems.push({
        path: `$.targets.${name}`,
        code: "out_of_range",
        message: "must be at least 1 business day",
      });
  if (problems.length > 0) throw fail(label, problems);
  return Object.freeze(policy);
}

/** Without a file, the shipped default review policy. */
export function loadReviewPolicyFileSync(file: string | undefined): ReviewPolicy {
  return file === undefined ? DEFAULT_REVIEW_POLICY : parseReviewPolicy(readPolicyFileSync(file), file);
}

/** Without a file, the shipped default refund policy. */
export function loadPolicyFileSync(file: string | undefined): Policy {
  return file === undefined ? DEFAULT_POLICY : parsePolicy(readPolicyFileSync(file), file);
}
