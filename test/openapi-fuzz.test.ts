import { randomBytes } from "node:crypto";
import { join } from "node:path";
import fc from "fast-check";
import { sql } from "kysely";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../src/audit-log/verify-audit-log.js";
import { EVIDENCE_KINDS } from "../src/billing/evidence.js";
import { DEMO_CUSTOMERS, DEMO_STAFF } from "../src/demo/seed-demo.js";
import { GATEWAY_REFUND_STATUSES } from "../src/gateway/gateway.js";
import { generateDataset } from "../src/generator/generate-dataset.js";
import { TOKEN_PERMISSIONS } from "../src/identity/roles.js";
import { importFile } from "../src/imports/import-file.js";
import { JOB_HANDLERS } from "../src/jobs/handlers.js";
import { CASE_EVENT_TYPES } from "../src/notifications/customer-notice.js";
import { PAYOUT_TASK_KINDS } from "../src/settlement/finance-tasks.js";
import { newId } from "../src/shared/ids.js";
import type { Store } from "../src/store/database.js";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import {
  type BodyPlan,
  Bulky,
  framingAttacks,
  type Hint,
  type JsonSchema,
  jsonBodyPlan,
  type Mode,
  type MultipartFields,
  multipartBodyPlan,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  type PathParamPlan,
  pathParamPlan,
  type QueryPlan,
  queryPlan,
  RealId,
  toJsonText,
  toText,
  validValue,
} from "./support/openapi-arbitraries.js";
import {
  decideRefunds,
  importRefundCharges,
  trialBalance,
  unbalancedEntries,
  verifyKyc,
} from "./support/refunds.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { PNG } from "./support/uploads.js";

/**
 * A request fuzzer driven by the OpenAPI document the server serves (issue 8). For every
 * operation it sends fast-check-generated requests — real ids and garbage in the path, valid and
 * invalid query strings, bodies built from the request schema and then broken, multipart files of
 * random bytes, signed and unsigned webhooks, missing or wrong CSRF tokens, credentials and
 * Idempotency-Keys — as no one, Acme's owner and its API token, a reviewer, compliance, finance
 * and an admin. Most requests break one part only (so that they get past the first check), some
 * break none, some everything at once. It checks what must hold for any input:
 *
 * 1. never a 5xx;
 * 2. every 4xx is RFC 9457 problem details whose `status` is the HTTP status;
 * 3. a write answered 4xx changes nothing in the store (row counts of every table and the
 *    audit-log head), and replaying a POST with its Idempotency-Key changes nothing either;
 * 4. after all of it, the audit log verifies and the ledger's trial balance is zero per currency.
 *
 * REFUND_DESK_FUZZ_RUNS sets the runs per operation (default 40), REFUND_DESK_FUZZ_SEED replays a seed,
 * REFUND_DESK_FUZZ_REPORT=1 (or 2) prints the statuses (and some 400s) of each operation.
 */
const engines = await testEngines();

const RUNS_PER_OPERATION = Number(process.env.REFUND_DESK_FUZZ_RUNS ?? 40);
const SEED = process.env.REFUND_DESK_FUZZ_SEED ? Number(process.env.REFUND_DESK_FUZZ_SEED) : undefined;
/**
 * What one engine's fuzzing may take: on a loaded machine each operation's runs stop at its share
 * of what is left (fewer requests, never a failure for it), so the file stays within minutes.
 */
const ENGINE_BUDGET_MS = Number(process.env.REFUND_DESK_FUZZ_BUDGET_MS ?? 60_000);

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(24, 5).toString("base64")}`;
/** Small, so an upload over the limit costs little; the rule it tests does not depend on the size. */
const MAX_UPLOAD_BYTES = 64 * 1024;

/**
 * Operations not fuzzed, each with why. Empty: every operation of the document is fuzzed —
 * `/metrics` answers loopback callers, webhook endpoints are registered only with addresses
 * that need no DNS (and no job runs while fuzzing, so nothing is ever delivered), and the
 * gateway is not configured, so no payout leaves the machine. (Routes the document hides —
 * `/openapi.json`, `/docs`, `/problems/{slug}`, the console's pages — are not operations of it.)
 */
const EXCLUDED_OPERATIONS: Readonly<Record<string, string>> = {};

/** The callers: sessions of demo users, and no one. Their own memberships are never fuzz targets. */
const CALLER_LOGINS = {
  customer: "owner@acme.example",
  reviewer: "reviewer@nimbus.example",
  admin: "admin@nimbus.example",
  // Only they may decide KYC, review identity links, run invoices and reconcile: the deeper paths.
  compliance: "compliance@nimbus.example",
  finance: "finance@nimbus.example",
} as const;
/** `token`: an API token of Acme's with every permission (no session, no CSRF). */
type CallerName = "anonymous" | "token" | keyof typeof CALLER_LOGINS;
const isSessionCaller = (c: CallerName): c is keyof typeof CALLER_LOGINS => c in CALLER_LOGINS;

/** Which table each path parameter names a row of: its pool of real ids. */
const PATH_POOLS: Readonly<Record<string, string>> = {
  organisationId: "organisations",
  accountId: "accounts",
  otherAccountId: "accounts",
  tokenId: "api_tokens",
  membershipId: "memberships",
  documentId: "kyc_documents",
  paymentMethodId: "payment_methods",
  importId: "imports",
  chargeId: "charges",
  findingId: "findings",
  caseId: "cases",
  evidenceId: "case_evidence",
  informationRequestId: "information_requests",
  decisionId: "decisions",
  invoiceId: "invoices",
  endpointId: "webhook_endpoints",
  deliveryId: "webhook_deliveries",
  payoutId: "payouts",
  reconciliationId: "settlement_imports",
  taskId: "finance_tasks",
  jobId: "jobs",
};
const POOL_TABLES = [...new Set(Object.values(PATH_POOLS))];

/** The form fields each multipart operation reads, with their valid values. */
const MULTIPART_FIELDS: Readonly<Record<string, MultipartFields>> = {
  "POST /accounts/{accountId}/kyc/documents": {
    kind: ["passport", "national_id", "driving_licence", "business_licence", "proof_of_address", "other"],
  },
  "POST /organisations/{organisationId}/imports": {
    kind: ["charges", "usage", "subscriptions", "incidents", "promotions", "payments"],
    format: ["focus", "alibaba", "azure-ea", "aws-cur", "gcp-export"],
    onInvalid: ["fail", "collect"],
  },
  "POST /cases/{caseId}/evidence/files": {},
  "POST /reconciliations": { settlementDate: ["2026-05-03", "2026-02-30", "yesterday"] },
};

/**
 * Signed webhooks: the document declares no body (the handler reads the raw bytes), so their
 * payloads are described here, for the generator to build valid ones and break them.
 */
const WEBHOOK_BODIES: Readonly<Record<string, JsonSchema>> = {
  "POST /webhooks/gateway": {
    type: "object",
    required: ["type", "timestamp", "data"],
    properties: {
      type: { enum: ["refund.updated"] },
      timestamp: { type: "string", format: "date-time" },
      data: {
        type: "object",
        required: [
          "gatewayRefundId",
          "idempotencyKey",
          "status",
          "amountMinor",
          "currency",
          "createdAt",
          "updatedAt",
        ],
        properties: {
          gatewayRefundId: { type: "string", pattern: "^re_[a-z0-9]{4,12}$" },
          idempotencyKey: { type: "string", maxLength: 64 },
          status: { enum: [...GATEWAY_REFUND_STATUSES] },
          amountMinor: { type: "string", pattern: "^[1-9][0-9]{0,6}$" },
          currency: { enum: ["USD", "CNY", "EUR"] },
          failureCode: {
            anyOf: [{ type: "null" }, { enum: ["card_closed", "insufficient_funds", "do_not_honor"] }],
          },
          createdAt: { type: "string", format: "date-time" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
    },
  },
  "POST /webhooks/kyc-verifier": {
    type: "object",
    required: ["type", "data"],
    properties: {
      type: { enum: ["kyc.verdict", "kyc.document_expired"] },
      data: {
        type: "object",
        required: ["accountId", "verdict", "reason"],
        properties: {
          accountId: { type: "string", maxLength: 64 },
          verdict: { enum: ["verified", "rejected"] },
          reason: { type: "string", maxLength: 300 },
        },
      },
    },
  },
};

/**
 * Tables a request answered 4xx may still change, each with why (found by reading the code the
 * fuzzer's first runs pointed at). Everything else must be exactly as before.
 */
const REJECTION_WRITES: ReadonlyArray<{
  table: string;
  operations: "every" | readonly string[];
  why: string;
}> = [
  {
    table: "idempotency_keys",
    operations: "every",
    why: "a 4xx answer to a POST with an Idempotency-Key is stored, so that a retry replays it (src/http/idempotency.ts)",
  },
  {
    table: "audit_log",
    operations: ["POST /auth/login"],
    why: "a failed sign-in is recorded on purpose, with the lockout it may cause (user.sign_in_failed, src/identity/sessions.ts)",
  },
  {
    table: "audit_log_head",
    operations: ["POST /auth/login"],
    why: "the audit-log head advances with that entry",
  },
];

const JOB_KINDS = Object.keys(JOB_HANDLERS);

const CLAUSES = [
  "billing-errors-refunded",
  "duplicate-charge",
  "billed-beyond-usage",
  "sla-credit",
  "claim-windows",
  "no-reason-refunds",
  "refund-currency",
  "no-such-clause",
];

/** E-mails the generator may use: demo users who are not callers (never lock a caller out), and made-up ones. */
const FUZZ_EMAILS = [
  ...DEMO_STAFF.map((s) => s.email),
  ...DEMO_CUSTOMERS.flatMap((c) => c.users.map((u) => u.email)),
].filter((e) => !(Object.values(CALLER_LOGINS) as string[]).includes(e));

const real = (pool: string) => fc.nat().map((slot) => new RealId(pool, slot));
const day = fc
  .date({ min: new Date("2025-06-01T00:00:00Z"), max: new Date("2026-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const month = fc
  .tuple(fc.integer({ min: 2025, max: 2027 }), fc.integer({ min: 1, max: 12 }))
  .map(([y, m]) => `${y}-${String(m).padStart(2, "0")}`);
const amount = fc.oneof(
  fc.constantFrom(
    "0.01",
    "1",
    "10.00",
    "45.50",
    "100.00",
    "0",
    "-1",
    "1e3",
    "0.000001",
    "999999999999.99",
    "12,50",
  ),
  fc
    .tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 99 }))
    .map(([u, c]) => `${u}.${String(c).padStart(2, "0")}`),
);
/** A settlement file whose idempotency keys are real payout ids, resolved when sent. */
class SettlementCsv {
  constructor(
    readonly header: string,
    readonly rows: ReadonlyArray<readonly [RealId | string, string, string, string, string, string, string]>,
  ) {}
  text(resolve: (id: RealId) => string): string {
    const lines = this.rows.map(
      ([key, payment, type, amountMinor, currency, status, ref]) =>
        `2026-05-03,re_${ref},${key instanceof RealId ? resolve(key) : key},${payment},${type},${amountMinor},${currency},${status},0`,
    );
    return `${[this.header, ...lines].join("\n")}\n`;
  }
  [fc.toStringMethod](): string {
    return `SettlementCsv(${this.rows.length} rows)`;
  }
}

const settlementCsv = fc
  .array(
    fc.tuple(
      fc.oneof(real("payouts"), fc.constant("")),
      fc.constantFrom("pay_fuzz_1", "pay_fuzz_2", "pay_unknown"),
      fc.constantFrom("refund", "chargeback", "x"),
      fc.oneof(fc.integer({ min: 1, max: 20_000 }).map(String), fc.constantFrom("-5", "abc", "")),
      fc.constantFrom("USD", "CNY", "usd"),
      fc.constantFrom("succeeded", "failed", "??"),
      fc.stringMatching(/^[a-z0-9]{6}$/),
    ),
    { maxLength: 4 },
  )
  .map((rows) => {
    // Plan values (real ids) are resolved when the request is sent: keep them in a row array.
    const header =
      "settlement_date,gateway_refund_id,idempotency_key,payment_id,type,amount_minor,currency,status,fee_minor";
    return new SettlementCsv(header, rows);
  });

/** What the schema cannot say: which ids are real, what amounts, periods and addresses look like. */
const hint: Hint = (name, schema) => {
  const orSchema = (domain: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 4, arbitrary: domain }, { weight: 1, arbitrary: validValue(schema) });
  switch (name) {
    // Mostly Acme's production account and its charges, so that a body's ids go together.
    case "accountId":
    case "accountIds[]":
      return orSchema(fc.oneof(real("favoured:accounts"), real("accounts")));
    case "organisationId":
      return orSchema(real("organisations"));
    case "chargeId":
      return orSchema(fc.oneof(real("favoured:charges"), real("charges")));
    case "findingId":
      return orSchema(real("findings"));
    case "caseId":
      return orSchema(real("cases"));
    case "reconciliationId":
      return orSchema(real("settlement_imports"));
    case "cursor":
      // Cursors are opaque: the real ones are those earlier pages answered with.
      return orSchema(real("cursors"));
    case "idempotencyKey":
      return orSchema(real("payouts"));
    case "id":
      return orSchema(fc.oneof(real("charges"), real("findings")));
    case "amount":
    case "amountMinor":
      return orSchema(amount);
    case "email":
      return orSchema(fc.oneof(fc.constantFrom(...FUZZ_EMAILS), fc.emailAddress()));
    case "password":
      return orSchema(fc.constant("demo"));
    case "period":
      return orSchema(month);
    case "from":
    case "to":
      return schema.maxLength === 7 ? orSchema(month) : orSchema(fc.oneof(day, month));
    case "periodStart":
    case "periodEnd":
    case "asOf":
    case "settlementDate":
      return orSchema(day);
    case "currency":
      return orSchema(fc.constantFrom("USD", "CNY", "EUR", "XXX"));
    case "url":
      // Literal addresses only: registering a host name would look it up in DNS.
      return fc.constantFrom(
        "https://203.0.113.7/hooks/refund-desk",
        "http://203.0.113.7:8080/x",
        "https://[2001:db8::7]/h",
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
        "http://[::1]/x",
        "https://user:pass@203.0.113.7/x",
        "ftp://203.0.113.7/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "not a url",
      );
    case "events[]":
      return orSchema(fc.constantFrom("*", ...CASE_EVENT_TYPES, "case.unknown"));
    case "clauses[]":
      return orSchema(fc.constantFrom(...CLAUSES));
    case "csv":
      return fc.oneof({ weight: 3, arbitrary: settlementCsv }, { weight: 1, arbitrary: validValue(schema) });
    case "expectedVersion":
      return fc.integer({ min: 1, max: 4 });
    case "timeZone":
      return orSchema(fc.constantFrom("Europe/London", "Asia/Shanghai", "Mars/Olympus"));
    case "kind":
      return orSchema(fc.constantFrom(...JOB_KINDS, ...PAYOUT_TASK_KINDS, "reconciliation_mismatch"));
    case "identityNumber":
      return orSchema(fc.constantFrom("P1234567", "HRB-99887"));
    default:
      return undefined;
  }
};

interface RequestPlan {
  /** The part this plan breaks on purpose. */
  fault: Fault;
  caller: CallerName;
  csrf: "ok" | "missing" | "wrong";
  /** The caller's credentials as they are, or replaced by ones that name no one. */
  auth: "ok" | "unknown-bearer" | "basic" | "garbage-cookie";
  params: Record<string, PathParamPlan>;
  query: QueryPlan;
  body: BodyPlan;
  idempotencyKey: string | null;
  replay: boolean;
  signature: "valid" | "stale" | "garbage" | "none";
}

/** The part of a request a plan breaks: none, one of them, or (chaos) any number at once. */
type Fault = "none" | "path" | "query" | "body" | "headers" | "chaos";

function planArbitrary(op: Operation): fc.Arbitrary<RequestPlan> {
  const write = op.method !== "GET";
  const webhookSchema = WEBHOOK_BODIES[op.key];
  const multipart = MULTIPART_FIELDS[op.key];
  const faults: Array<{ weight: number; fault: Fault }> = [
    { weight: 4, fault: "none" },
    { weight: 2, fault: "chaos" },
  ];
  if (op.pathParams.length) faults.push({ weight: 1, fault: "path" });
  if (op.queryParams.length || !write) faults.push({ weight: 1, fault: "query" });
  if (write) faults.push({ weight: 2, fault: "body" });
  if (write) faults.push({ weight: 1, fault: "headers" });

  const modeOf = (part: Fault, fault: Fault): Mode =>
    fault === "chaos" ? "any" : fault === part ? "broken" : "valid";
  const params = (mode: Mode) => {
    const shape: Record<string, fc.Arbitrary<PathParamPlan>> = {};
    for (const p of op.pathParams) {
      const pool = PATH_POOLS[p.name]!;
      shape[p.name] = pathParamPlan(
        pool,
        POOL_TABLES.filter((t) => t !== pool),
        mode,
      );
    }
    return fc.record(shape);
  };
  const body = (mode: Mode): fc.Arbitrary<BodyPlan> => {
    if (multipart && op.jsonBody)
      return fc.oneof(
        multipartBodyPlan(multipart, MAX_UPLOAD_BYTES, mode),
        jsonBodyPlan(op.jsonBody, hint, mode),
      );
    if (multipart) return multipartBodyPlan(multipart, MAX_UPLOAD_BYTES, mode);
    if (op.jsonBody) return jsonBodyPlan(op.jsonBody, hint, mode);
    if (webhookSchema) return jsonBodyPlan(webhookSchema, hint, mode);
    // fetch sends no body with a GET.
    if (!write) return fc.constant<BodyPlan>({ kind: "none" });
    const none = fc.constantFrom<BodyPlan>({ kind: "none" }, { kind: "json", value: {} });
    if (mode === "valid") return none;
    if (mode === "broken") return framingAttacks();
    return fc.oneof(none, framingAttacks());
  };
  // A key shared by many requests: its second use with another request must answer 422.
  const goodKey = fc.oneof(
    { weight: 6, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constant("fuzz-shared-key") },
  );
  const badKey = fc.constantFrom("", " ", "k".repeat(256), "cl\u00e9", "tab\tkey");
  const idempotencyKey = (mode: Mode): fc.Arbitrary<string | null> =>
    op.method !== "POST"
      ? fc.constant(null)
      : mode === "valid"
        ? fc.option(fc.uuid(), { nil: null, freq: 2 })
        : mode === "broken"
          ? badKey
          : fc.option(fc.oneof({ weight: 6, arbitrary: goodKey }, { weight: 1, arbitrary: badKey }), {
              nil: null,
              freq: 2,
            });
  const csrf = (mode: Mode): fc.Arbitrary<RequestPlan["csrf"]> =>
    mode === "valid"
      ? fc.constant("ok")
      : mode === "broken"
        ? fc.constantFrom("missing", "wrong")
        : fc.oneof(
            { weight: 18, arbitrary: fc.constant<"ok">("ok") },
            { weight: 1, arbitrary: fc.constantFrom<"missing" | "wrong">("missing", "wrong") },
          );
  const auth = (mode: Mode): fc.Arbitrary<RequestPlan["auth"]> => {
    const bad = fc.constantFrom<RequestPlan["auth"]>("unknown-bearer", "basic", "garbage-cookie");
    if (mode === "valid") return fc.constant("ok");
    if (mode === "broken") return bad;
    return fc.oneof({ weight: 18, arbitrary: fc.constant<"ok">("ok") }, { weight: 1, arbitrary: bad });
  };
  const signature = (mode: Mode): fc.Arbitrary<RequestPlan["signature"]> =>
    !webhookSchema
      ? fc.constant("none")
      : mode === "valid"
        ? fc.constant("valid")
        : mode === "broken"
          ? fc.constantFrom("stale", "garbage", "none")
          : fc.constantFrom("valid", "valid", "valid", "stale", "garbage", "none");

  // Built once per operation (building arbitraries per run costs more than the requests).
  const planFor = (fault: Fault, which: string) => {
    const headers = modeOf("headers", fault);
    const pick = (name: string) => (headers === "broken" ? (which === name ? "broken" : "valid") : headers);
    return fc.record({
      fault: fc.constant(fault),
      caller: fc.oneof(
        { weight: 1, arbitrary: fc.constant<CallerName>("anonymous") },
        { weight: 3, arbitrary: fc.constant<CallerName>("customer") },
        { weight: 2, arbitrary: fc.constant<CallerName>("reviewer") },
        { weight: 2, arbitrary: fc.constant<CallerName>("admin") },
        { weight: 1, arbitrary: fc.constant<CallerName>("compliance") },
        { weight: 1, arbitrary: fc.constant<CallerName>("finance") },
        { weight: 1, arbitrary: fc.constant<CallerName>("token") },
      ),
      csrf: csrf(pick("csrf")),
      auth: auth(pick("auth")),
      params: params(modeOf("path", fault)),
      query: queryPlan(op.queryParams, hint, modeOf("query", fault)),
      body: body(modeOf("body", fault)),
      idempotencyKey: idempotencyKey(pick("key")),
      replay: fc.boolean(),
      signature: signature(pick("signature")),
    });
  };
  return fc.oneof(
    ...faults.map(({ weight, fault }) => ({
      weight,
      arbitrary:
        // A broken header part breaks one of them: the CSRF token, the credentials, the
        // Idempotency-Key or the webhook signature.
        fault === "headers"
          ? fc.oneof(...["csrf", "auth", "key", "signature"].map((which) => planFor(fault, which)))
          : planFor(fault, ""),
    })),
  );
}

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD, never an exception). */
function pct(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

interface BuiltRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

interface Pools {
  get(pool: string): readonly string[];
  resolve(id: RealId): string;
}

function buildRequest(
  baseUrl: string,
  op: Operation,
  plan: RequestPlan,
  caller: Caller | null,
  pools: Pools,
): BuiltRequest {
  const resolve = (id: RealId) => pools.resolve(id);
  const pathOf = (allowRaw: boolean) => {
    let path = op.path;
    for (const [name, p] of Object.entries(plan.params)) {
      const value = p.kind === "real" ? resolve(p.id) : toText(p.value, resolve);
      path = path.replace(`{${name}}`, p.kind === "garbage" && p.raw && allowRaw ? value : pct(value));
    }
    return path;
  };
  const query =
    plan.query.kind === "raw"
      ? plan.query.text
      : plan.query.entries.map(([k, v]) => `${pct(k)}=${pct(toText(v, resolve))}`).join("&");
  const urlOf = (path: string) => `${baseUrl}${path}${query ? `?${query}` : ""}`;
  // A raw `../` that climbs out of the API's own path reaches the web console's pages, which are
  // no operation of the document: such a value is sent percent-encoded instead.
  const prefix = `/${op.path.split("/")[1] ?? ""}`;
  const escapes = (u: string) => {
    try {
      return !new URL(u).pathname.startsWith(prefix);
    } catch {
      return true;
    }
  };
  let url = urlOf(pathOf(true));
  if (escapes(url)) url = urlOf(pathOf(false));
  if (escapes(url)) url = urlOf(op.path.replaceAll(/\{[^}]+\}/g, "x"));
  const headers: Record<string, string> = {};
  if (caller?.cookie) headers.cookie = caller.cookie;
  if (caller?.bearer) headers.authorization = `Bearer ${caller.bearer}`;
  if (plan.auth === "unknown-bearer") headers.authorization = `Bearer rdk_${"0".repeat(40)}`;
  if (plan.auth === "basic") headers.authorization = "Basic b3duZXJAYWNtZS5leGFtcGxlOmRlbW8=";
  if (plan.auth === "garbage-cookie") headers.cookie = `rd_session=${"%zz'\"".repeat(20)}; rd_session=x`;
  if (caller?.csrfToken && op.method !== "GET") {
    if (plan.csrf === "ok") headers["x-csrf-token"] = caller.csrfToken;
    if (plan.csrf === "wrong") headers["x-csrf-token"] = `${caller.csrfToken.slice(0, -2)}xx`;
  }
  if (plan.idempotencyKey !== null) headers["idempotency-key"] = plan.idempotencyKey;
  let body: Buffer | undefined;
  const b = plan.body;
  if (b.kind === "json") {
    headers["content-type"] = "application/json";
    body = Buffer.from(jsonText(b.value, resolve));
  } else if (b.kind === "text") {
    if (b.contentType !== null) headers["content-type"] = b.contentType;
    body = Buffer.from(b.text instanceof Bulky ? b.text.value : b.text);
  } else if (b.kind === "multipart") {
    const boundary = `----fuzz${randomBytes(8).toString("hex")}`;
    const chunks: Buffer[] = [];
    for (const part of b.parts) {
      chunks.push(Buffer.from(`--${boundary}\r\n`));
      if ("value" in part) {
        chunks.push(
          Buffer.from(
            `Content-Disposition: form-data; name="${part.name}"\r\n\r\n${toText(part.value, resolve)}\r\n`,
          ),
        );
      } else {
        chunks.push(
          Buffer.from(
            `Content-Disposition: form-data; name="${part.name}"; filename="${part.fileName}"\r\nContent-Type: ${part.contentType}\r\n\r\n`,
          ),
        );
        chunks.push(part.bytes instanceof Bulky ? Buffer.from(part.bytes.value) : Buffer.from(part.bytes));
        chunks.push(Buffer.from("\r\n"));
      }
    }
    if (b.damage !== "truncated") chunks.push(Buffer.from(`--${boundary}--\r\n`));
    body = Buffer.concat(chunks);
    if (b.damage === "truncated") body = body.subarray(0, Math.max(0, body.length - 7));
    headers["content-type"] =
      `multipart/form-data; boundary=${b.damage === "wrong-boundary" ? "other" : boundary}`;
  }
  if (plan.signature !== "none" && op.key in WEBHOOK_BODIES) {
    const id = `msg_${randomBytes(6).toString("hex")}`;
    const text = body?.toString("utf8") ?? "";
    if (plan.signature === "garbage") {
      headers["webhook-id"] = id;
      headers["webhook-timestamp"] = "not-a-time";
      headers["webhook-signature"] = "v1,AAAA";
    } else {
      const at = plan.signature === "stale" ? new Date(Date.now() - 3_600_000) : new Date();
      headers["webhook-id"] = id;
      headers["webhook-timestamp"] = String(Math.floor(at.getTime() / 1000));
      headers["webhook-signature"] = new Webhook(WEBHOOK_SECRET).sign(id, at, text);
    }
  }
  return { method: op.method, url, headers, body };
}

/** JSON text of a body plan; settlement files are plan values too. */
function jsonText(value: unknown, resolve: (id: RealId) => string): string {
  const expand = (v: unknown): unknown => {
    if (v instanceof SettlementCsv) return v.text(resolve);
    if (Array.isArray(v)) return v.map(expand);
    if (v !== null && typeof v === "object" && !(v instanceof RealId) && !(v instanceof Bulky))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x)]));
    return v;
  };
  return toJsonText(expand(value), resolve);
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(req: BuiltRequest): Promise<Answer> {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    redirect: "manual",
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
}

const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

function describeRequest(caller: CallerName, req: BuiltRequest, answer?: Answer): string {
  const headers = Object.entries(req.headers)
    .filter(([k]) => k !== "cookie")
    .map(([k, v]) => `${k}: ${clip(v, 80)}`)
    .join("; ");
  return [
    `${req.method} ${clip(req.url, 300)} as ${caller}`,
    `  headers: ${headers || "(none)"}`,
    `  body: ${req.body === undefined ? "(none)" : clip(req.body.toString("utf8"))}`,
    ...(answer ? [`  answered ${answer.status} ${answer.contentType}: ${clip(answer.text)}`] : []),
  ].join("\n");
}

/** Row counts of every table, plus the audit-log head: one query. */
async function fingerprintQuery(store: Store): Promise<() => Promise<Record<string, number>>> {
  const tables =
    store.engine === "sqlite"
      ? (
          await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(
            store.db,
          )
        ).rows.map((r) => r.name)
      : (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
              where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(store.db)
        ).rows.map((r) => r.name);
  expect(tables).toContain("audit_log");
  const parts = tables.map((t) => sql`select ${t} as name, count(*) as n from ${sql.table(t)}`);
  parts.push(sql`select 'audit_log_head.seq' as name, coalesce(max(seq), 0) as n from audit_log_head`);
  const query = sql.join(parts, sql` union all `);
  return async () => {
    const rows = (await sql<{ name: string; n: number | string }>`${query}`.execute(store.db)).rows;
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
  };
}

function changedTables(
  before: Record<string, number>,
  after: Record<string, number>,
  opKey: string,
): string[] {
  const allowed = new Set(
    REJECTION_WRITES.filter((w) => w.operations === "every" || w.operations.includes(opKey)).map((w) =>
      w.table === "audit_log_head" ? "audit_log_head.seq" : w.table,
    ),
  );
  return Object.keys({ ...before, ...after })
    .filter((k) => before[k] !== after[k] && !allowed.has(k))
    .map((k) => `${k}: ${before[k]} → ${after[k]}`);
}

/** Ids that belong together, which bodies favour: Acme's production account and its charges. */
interface Favoured {
  accounts: string[];
  charges: string[];
}

/** The demo world plus one of everything a path can name: charges, findings, cases in every step, payouts… */

async function seedEverything(server: TestServer): Promise<Favoured> {
  const { baseUrl, services, world } = server;
  const acme = world.customers.acme;
  const [production, dataLake] = acme.memberAccountIds as [string, string];
  const owner = await login(baseUrl, "owner@acme.example");
  const reviewer = await login(baseUrl, "reviewer@nimbus.example");
  const compliance = await login(baseUrl, "compliance@nimbus.example");
  const finance = await login(baseUrl, "finance@nimbus.example");
  const admin = await login(baseUrl, "admin@nimbus.example");
  const ok = async (what: string, res: Promise<{ status: number; text: string; body: unknown }>) => {
    const r = await res;
    if (r.status >= 300) throw new Error(`seeding: ${what} answered ${r.status} ${r.text}`);
    return r.body as Record<string, unknown>;
  };
  const drain = () => server.worker.drain();

  const charges = await importRefundCharges(services, acme.organisationId, "fuzz-charges", [
    {
      resource: "i-fuzz-1",
      invoiceId: "INV-FUZZ-1",
      cost: "120.00",
      paymentId: "pay_fuzz_1",
      instrumentFingerprint: "fp-fuzz-1",
    },
    { resource: "i-fuzz-2", invoiceId: "INV-FUZZ-1", cost: "80.00", paymentId: "pay_fuzz_2" },
    { resource: "i-fuzz-3", invoiceId: "INV-FUZZ-2", cost: "45.50" },
    { resource: "i-fuzz-4", invoiceId: "INV-FUZZ-2", cost: "1000.00" },
    { resource: "i-fuzz-5", invoiceId: "INV-FUZZ-3", cost: "7.25" },
  ]);
  const chargeId = (r: string) => charges.get(r)!;
  // A small generated quarter of Acme's bills and evidence, every kind of anomaly planted (as the
  // demo imports, smaller): the audit the imports queued turns it into findings to file cases from.
  const bills = join(services.config.dataDir, "fuzz-bills");
  await generateDataset({
    outDir: bills,
    seed: 7,
    rows: 1000,
    accounts: 3,
    months: 3,
    currency: "USD",
    start: "2026-01",
    clean: false,
  });
  for (const kind of ["charges", ...EVIDENCE_KINDS] as const)
    await importFile(
      services,
      { actor: "system:test", requestId: null },
      {
        organisationId: acme.organisationId,
        kind,
        path: join(bills, kind === "charges" ? "charges.csv" : `${kind}.jsonl`),
        fileName: `fuzz-${kind}`,
        onInvalid: "fail",
      },
    );
  await drain();

  await verifyKyc(baseUrl, owner, compliance, production, "P1234567");
  for (const accountId of [dataLake, acme.billingAccountId]) {
    const passport = new FormData();
    passport.append("kind", "passport");
    passport.append("file", new Blob([PNG]), "passport.png");
    await ok(
      "a KYC document",
      call(baseUrl, "POST", `/accounts/${accountId}/kyc/documents`, { as: owner, rawBody: passport }),
    );
    await ok(
      "KYC submission",
      call(baseUrl, "POST", `/accounts/${accountId}/kyc`, {
        as: owner,
        body: { type: "enterprise", legalName: "Acme Analytics Ltd", identityNumber: "HRB-99887" },
      }),
    );
  }
  await ok(
    "a payment method",
    call(baseUrl, "POST", `/accounts/${production}/payment-methods`, {
      as: owner,
      body: { type: "card", label: "Visa ending 4242", instrumentFingerprint: "fp-fuzz-1" },
    }),
  );

  // A refund decided to the card (a payout), and one to account credit (a credit grant).
  await decideRefunds(baseUrl, { owner, reviewer }, production, [chargeId("i-fuzz-1")], drain);
  const fileCase = async (charge: string, extra: Record<string, unknown> = {}) => {
    const body = await ok(
      "filing a case",
      call(baseUrl, "POST", "/cases", {
        as: owner,
        body: {
          accountId: production,
          items: [{ chargeId: charge }],
          reason: "billing_error",
          desiredOutcome: "account_credit",
          summary: "Billed for an instance that never ran",
          description: "The instance was stopped before April; the invoice bills the whole month.",
          impactStatement: "We overpaid.",
          ...extra,
        },
      }),
    );
    return (body.cases as Array<{ id: string }>)[0]!.id;
  };
  const credited = await fileCase(chargeId("i-fuzz-2"));
  const waiting = await fileCase(chargeId("i-fuzz-3"));
  const draft = await fileCase(chargeId("i-fuzz-4"), { submit: false });
  await fileCase(chargeId("i-fuzz-5"));
  await drain();
  await ok(
    "an account-credit decision",
    call(baseUrl, "POST", `/cases/${credited}/decision`, {
      as: reviewer,
      body: {
        outcome: "account_credit",
        rationale: "The charge was billed in error and is credited in full.",
        clauses: ["billing-errors-refunded"],
      },
    }),
  );
  await ok("claiming a case", call(baseUrl, "POST", `/cases/${waiting}/claim`, { as: reviewer, body: {} }));
  await ok(
    "an information request",
    call(baseUrl, "POST", `/cases/${waiting}/information-requests`, {
      as: reviewer,
      body: { questions: ["Which instance was stopped, and when?"] },
    }),
  );
  await ok(
    "pasted evidence",
    call(baseUrl, "POST", `/cases/${waiting}/evidence`, {
      as: owner,
      body: { items: [{ kind: "transcript", label: "Chat", text: "Agent: the instance was stopped." }] },
    }),
  );
  const form = new FormData();
  form.append("file", new Blob([PNG]), "screenshot.png");
  await ok(
    "an evidence file",
    call(baseUrl, "POST", `/cases/${waiting}/evidence/files`, { as: owner, rawBody: form }),
  );
  await drain();

  await ok(
    "an invoice",
    call(baseUrl, "POST", `/accounts/${production}/invoices`, { as: finance, body: { period: "2026-04" } }),
  );
  await ok(
    "a reconciliation",
    call(baseUrl, "POST", "/reconciliations", {
      as: finance,
      body: {
        csv:
          "settlement_date,gateway_refund_id,idempotency_key,payment_id,type,amount_minor,currency,status,fee_minor\n" +
          "2026-05-03,re_fuzz1,,pay_fuzz_9,refund,100,USD,succeeded,0\n",
        fileName: "fuzz-settlement.csv",
      },
    }),
  );
  await ok(
    "an API token",
    call(baseUrl, "POST", `/organisations/${acme.organisationId}/tokens`, {
      as: owner,
      body: { name: "fuzz", permissions: ["billing:read"] },
    }),
  );
  await ok(
    "a user in Acme",
    call(baseUrl, "POST", "/users", {
      as: admin,
      body: {
        email: "fuzz-member@acme.example",
        name: "Fuzz Member",
        password: "demo-password-1",
        organisationId: acme.organisationId,
        role: "viewer",
      },
    }),
  );
  // A job out of attempts, for the dead-letter routes (a real one would need a failing outside world).
  const at = services.clock.now().toISOString();
  await services.store.db
    .insertInto("jobs")
    .values({
      id: newId("job"),
      kind: "case.verification_check",
      payload: JSON.stringify({ organisationId: acme.organisationId }),
      status: "dead",
      attempts: 5,
      max_attempts: 5,
      run_after: at,
      locked_by: null,
      locked_until: null,
      last_error: "fuzz",
      created_at: at,
      finished_at: at,
    })
    .execute();
  // Last, and no job runs after it: a webhook endpoint, and deliveries for it that are never sent.
  const endpoint = await ok(
    "a webhook endpoint",
    call(baseUrl, "POST", `/organisations/${acme.organisationId}/webhook-endpoints`, {
      as: owner,
      body: { url: "https://203.0.113.7/hooks/refund-desk", events: ["*"] },
    }),
  );
  await ok("withdrawing a draft", call(baseUrl, "POST", `/cases/${draft}/withdraw`, { as: owner, body: {} }));
  await services.store.db
    .insertInto("webhook_deliveries")
    .values({
      id: newId("webhookDelivery"),
      endpoint_id: String(endpoint.id),
      organisation_id: acme.organisationId,
      event_type: "case.decided",
      subject_id: credited,
      payload: "{}",
      status: "failed",
      attempts: 8,
      last_status_code: 500,
      last_error: "HTTP 500",
      created_at: at,
      delivered_at: null,
    })
    .execute();
  return { accounts: [production], charges: [...charges.values()] };
}

/** Real ids per table, read from the store (newest and oldest), refreshed as the fuzzer creates more. */
class IdPools implements Pools {
  #pools = new Map<string, string[]>();
  #cursors: string[] = [];
  #favoured = new Map<string, readonly string[]>();
  constructor(
    private readonly store: Store,
    /** Never targets: the callers' memberships (by user) and the token caller's token. */
    private readonly protect: { memberships: readonly string[]; tokens: readonly string[] },
  ) {}
  async refresh(): Promise<void> {
    for (const table of POOL_TABLES) {
      const query = (order: "asc" | "desc") =>
        sql<{ id: string }>`select id from ${sql.table(table)} ${
          table === "memberships"
            ? sql`where user_id not in (${sql.join(this.protect.memberships)})`
            : table === "api_tokens"
              ? sql`where id not in (${sql.join(this.protect.tokens)})`
              : sql``
        } order by id ${sql.raw(order)} limit 20`.execute(this.store.db);
      const [oldest, newest] = await Promise.all([query("asc"), query("desc")]);
      this.#pools.set(table, [...new Set([...oldest.rows, ...newest.rows].map((r) => r.id))]);
    }
  }
  /** A pool of ids that go together (`favoured:accounts`, `favoured:charges`), fixed after seeding. */
  favour(favoured: Favoured): void {
    for (const [pool, ids] of Object.entries(favoured)) this.#favoured.set(`favoured:${pool}`, ids);
  }
  get(pool: string): readonly string[] {
    if (pool === "cursors") return this.#cursors;
    return this.#favoured.get(pool) ?? this.#pools.get(pool) ?? [];
  }
  /** Keeps the `nextCursor` of a page a list answered with (the latest few). */
  addCursor(cursor: string): void {
    this.#cursors = [...this.#cursors.filter((c) => c !== cursor), cursor].slice(-20);
  }
  resolve(id: RealId): string {
    const pool = this.get(id.pool);
    return pool.length ? pool[id.slot % pool.length]! : `${id.pool}-none-yet`;
  }
}

interface Tally {
  requests: number;
  byStatus: Map<number, number>;
  operationsWith2xx: Set<string>;
  /** Statuses per operation, printed with REFUND_DESK_FUZZ_REPORT=1. */
  byOperation: Map<string, Map<number, number>>;
  /** Some rejections of plans that break nothing, per operation, printed with REFUND_DESK_FUZZ_REPORT=2. */
  samples: Map<string, string[]>;
}

describe.each(engines)("the API under a request fuzzer driven by its OpenAPI document, on %s", (engine) => {
  let server: TestServer;
  let doc: OpenApiDocument;
  let operations: Operation[];
  let callers: Map<CallerName, Caller | null>;
  let pools: IdPools;
  const tally: Tally = {
    requests: 0,
    byStatus: new Map(),
    operationsWith2xx: new Set(),
    byOperation: new Map(),
    samples: new Map(),
  };

  beforeAll(async () => {
    server = await startTestServer(engine, {
      rateLimitPerMinute: 1_000_000,
      maxUploadBytes: MAX_UPLOAD_BYTES,
      kycWebhookSecret: WEBHOOK_SECRET,
      gatewayWebhookSecret: WEBHOOK_SECRET,
    });
    const favoured = await seedEverything(server);
    callers = new Map<CallerName, Caller | null>([["anonymous", null]]);
    for (const [name, email] of Object.entries(CALLER_LOGINS))
      callers.set(name as CallerName, await login(server.baseUrl, email));
    const users = await server.services.store.db
      .selectFrom("users")
      .select("id")
      .where("email", "in", Object.values(CALLER_LOGINS))
      .execute();
    // The token caller: an API token of Acme's with every permission, never a revocation target.
    const token = await call<{ id: string; token: string }>(
      server.baseUrl,
      "POST",
      `/organisations/${server.world.customers.acme.organisationId}/tokens`,
      {
        as: callers.get("customer")!,
        body: {
          name: "fuzz caller",
          permissions: [...TOKEN_PERMISSIONS],
        },
      },
    );
    expect(token.status).toBe(201);
    callers.set("token", { bearer: token.body.token });
    pools = new IdPools(server.services.store, {
      memberships: users.map((u) => u.id),
      tokens: [token.body.id],
    });
    pools.favour(favoured);
    const res = await fetch(`${server.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
    operations = operationsOf(doc);
  }, 180_000);
  afterAll(async () => server?.close());

  it("knows every operation of the document: fuzzed, or excluded with a reason", () => {
    const keys = new Set(operations.map((o) => o.key));
    expect(operations.length).toBeGreaterThan(50);
    expect(Object.keys(EXCLUDED_OPERATIONS).filter((k) => !keys.has(k))).toEqual([]);
    for (const why of Object.values(EXCLUDED_OPERATIONS)) expect(why.length).toBeGreaterThan(10);
    // Every path parameter has a pool of real ids; every multipart operation its fields.
    const unmapped = operations.flatMap((o) =>
      o.pathParams.filter((p) => !(p.name in PATH_POOLS)).map((p) => `${o.key} ${p.name}`),
    );
    expect(unmapped).toEqual([]);
    expect(operations.filter((o) => o.multipart && !MULTIPART_FIELDS[o.key]).map((o) => o.key)).toEqual([]);
    expect(
      Object.keys(MULTIPART_FIELDS).filter((k) => !operations.find((o) => o.key === k && o.multipart)),
    ).toEqual([]);
    // The fields tried are the fields the document declares (besides the `file` part).
    for (const o of operations.filter((op) => op.multipart))
      expect([...o.multipartFields].sort(), o.key).toEqual(Object.keys(MULTIPART_FIELDS[o.key]!).sort());
    expect(Object.keys(WEBHOOK_BODIES).filter((k) => !keys.has(k))).toEqual([]);
  });

  // What the fuzzer found, pinned: each of these once answered a 5xx or Fastify's own JSON. (Before
  // the fuzzing, so that the seeded cases are still in the states named here.)
  it("answers the requests the fuzzer found failing with problem details, not a 5xx", async () => {
    const acme = server.world.customers.acme.organisationId;
    const admin = callers.get("admin")!;
    const finance = callers.get("finance")!;
    const caseId = (await server.services.store.db.selectFrom("cases").select("id").executeTakeFirstOrThrow())
      .id;
    const decided = (
      await server.services.store.db
        .selectFrom("cases")
        .select("id")
        .where("state", "=", "decided")
        .executeTakeFirstOrThrow()
    ).id;
    const fingerprint = await fingerprintQuery(server.services.store);
    const before = await fingerprint();
    const signed = (text: string): Record<string, string> => {
      const id = `msg_${randomBytes(6).toString("hex")}`;
      const at = new Date();
      return {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(WEBHOOK_SECRET).sign(id, at, text),
      };
    };
    const session = (who: Caller, extra: Record<string, string> = {}) => ({
      cookie: who.cookie!,
      "x-csrf-token": who.csrfToken!,
      ...extra,
    });
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    const cases: Array<[string, BuiltRequest, number, string]> = [
      // PostgreSQL text cannot hold U+0000: the driver's error was a 500 (SQLite stored it).
      [
        "NUL in a path id",
        { method: "GET", url: `/organisations/a%00b`, headers: session(admin), body: undefined },
        400,
        "validation_failed",
      ],
      [
        "NUL in a body",
        {
          method: "POST",
          url: `/organisations/${acme}/accounts`,
          headers: session(admin, { "content-type": "application/json" }),
          body: Buffer.from(JSON.stringify({ name: "a\u0000b", currency: "USD" })),
        },
        400,
        "validation_failed",
      ],
      // The router's parameter limit and Node's header limit answered Fastify's JSON (414, 431).
      [
        "an id over the router's limit",
        {
          method: "GET",
          url: `/organisations/${"9".repeat(5_000)}`,
          headers: session(admin),
          body: undefined,
        },
        400,
        "malformed_request",
      ],
      [
        "a URL over Node's header limit",
        { method: "GET", url: `/organisations/${"a".repeat(20_000)}`, headers: {}, body: undefined },
        431,
        "headers_too_large",
      ],
      // busboy's errors about a broken form were 500s.
      [
        "a multipart body that does not match its boundary",
        {
          method: "POST",
          url: "/reconciliations",
          headers: session(finance, { "content-type": "multipart/form-data; boundary=other" }),
          body: Buffer.from("------fuzz0c9c8ff3a9e175f6--\r\n"),
        },
        400,
        "malformed_request",
      ],
      [
        "a multipart body cut short",
        {
          method: "POST",
          url: `/cases/${caseId}/evidence/files`,
          headers: session(callers.get("customer")!, { "content-type": "multipart/form-data; boundary=abc" }),
          body: Buffer.from(
            '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b',
          ),
        },
        400,
        "malformed_request",
      ],
      // The JSON schema is per content type: with none, the handler read `{}` unvalidated.
      [
        "a reconciliation without a body",
        { method: "POST", url: "/reconciliations", headers: session(finance), body: undefined },
        400,
        "malformed_request",
      ],
      // The decision row was written before the lifecycle check: deciding a decided case again hit
      // the unique index (case, sequence).
      [
        "deciding a decided case again",
        {
          method: "POST",
          url: `/cases/${decided}/decision`,
          headers: session(callers.get("reviewer")!, { "content-type": "application/json" }),
          body: Buffer.from(
            JSON.stringify({
              outcome: "denied",
              rationale: "vel ut egestas cursus",
              clauses: ["billing-errors-refunded"],
            }),
          ),
        },
        409,
        "invalid_transition",
      ],
      // Hashing the body for the Idempotency-Key overflowed the stack.
      [
        "deep JSON with an Idempotency-Key on a route without a body schema",
        {
          method: "POST",
          url: `/organisations/${acme}/audits`,
          headers: { "content-type": "application/json", "idempotency-key": "deep-1" },
          body: Buffer.from(deep),
        },
        400,
        "malformed_request",
      ],
      // Quoting the unknown event type overflowed the stack.
      [
        "a signed gateway webhook whose type nests deep",
        {
          method: "POST",
          url: "/webhooks/gateway",
          headers: signed(`{"type":${deep},"timestamp":"2026-05-04T10:00:00Z","data":{}}`),
          body: Buffer.from(`{"type":${deep},"timestamp":"2026-05-04T10:00:00Z","data":{}}`),
        },
        400,
        "validation_failed",
      ],
      // PostgreSQL cannot store U+0000: a signed webhook, parsed by its handler, reached the database.
      ...[
        [
          "/webhooks/kyc-verifier",
          '{"type":"kyc.verdict","data":{"accountId":"\\u0000","verdict":"verified","reason":"ok"}}',
        ],
        [
          "/webhooks/gateway",
          '{"type":"refund.updated","timestamp":"2026-05-04T10:00:00Z","data":{"id":"re_\\u0000"}}',
        ],
      ].map(([url, text]): [string, BuiltRequest, number, string] => [
        `a signed webhook with a NUL character (${url})`,
        { method: "POST", url: url!, headers: signed(text!), body: Buffer.from(text!) },
        400,
        "validation_failed",
      ]),
    ];
    for (const [name, req, status, code] of cases) {
      const answer = await send({ ...req, url: `${server.baseUrl}${req.url}` });
      const where = `${name}:\n${describeRequest("admin", req, answer)}`;
      expect(answer.status, where).toBe(status);
      expect(answer.contentType, where).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.text), where).toMatchObject({
        status,
        code,
        type: `/problems/${code.replaceAll("_", "-")}`,
      });
    }
    expect(changedTables(before, await fingerprint(), "")).toEqual([]);
  });

  it("answers every generated request without a 5xx, with problem details for each 4xx, and no write on a rejection", async () => {
    const fingerprint = await fingerprintQuery(server.services.store);
    await pools.refresh();
    if (process.env.REFUND_DESK_FUZZ_REPORT)
      console.log(`  pools: ${POOL_TABLES.map((t) => `${t}×${pools.get(t).length}`).join(" ")}`);
    const failures: string[] = [];
    const started = performance.now();
    for (const [index, op] of operations.entries()) {
      if (op.key in EXCLUDED_OPERATIONS) continue;
      await pools.refresh();
      const write = op.method !== "GET";
      const property = fc.asyncProperty(planArbitrary(op), async (plan) => {
        const caller = callers.get(plan.caller) ?? null;
        const req = buildRequest(server.baseUrl, op, plan, caller, pools);
        const before = write ? await fingerprint() : null;
        let answer: Answer;
        try {
          answer = await send(req);
        } catch (error) {
          throw new Error(`no answer (${String(error)}) to\n${describeRequest(plan.caller, req)}`);
        }
        tally.requests += 1;
        tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
        if (answer.status < 300) tally.operationsWith2xx.add(op.key);
        if (answer.status === 200 && op.method === "GET" && answer.contentType.includes("json")) {
          const next = (JSON.parse(answer.text) as { nextCursor?: unknown }).nextCursor;
          if (typeof next === "string") pools.addCursor(next);
        }
        const mine = tally.byOperation.get(op.key) ?? new Map<number, number>();
        mine.set(answer.status, (mine.get(answer.status) ?? 0) + 1);
        tally.byOperation.set(op.key, mine);
        if (plan.fault === "none" && answer.status >= 400 && answer.status !== 401) {
          const some = tally.samples.get(op.key) ?? [];
          if (some.length < 4)
            some.push(
              `${clip(req.url.replace(server.baseUrl, ""), 120)} as ${plan.caller} → ${answer.status} ${clip(answer.text.replace(/.*"detail":"([^"]*)".*/s, "$1"), 160)}`,
            );
          tally.samples.set(op.key, some);
        }
        const where = () => describeRequest(plan.caller, req, answer);
        if (answer.status >= 500) throw new Error(`a ${answer.status}:\n${where()}`);
        if (answer.status >= 400) {
          if (!answer.contentType.startsWith("application/problem+json"))
            throw new Error(`a ${answer.status} that is not problem details:\n${where()}`);
          const problem = JSON.parse(answer.text) as Record<string, unknown>;
          if (
            typeof problem.type !== "string" ||
            typeof problem.title !== "string" ||
            problem.status !== answer.status
          )
            throw new Error(`a problem without type, title or the HTTP status:\n${where()}`);
        }
        if (before) {
          const after = await fingerprint();
          if (answer.status >= 400) {
            const changed = changedTables(before, after, op.key);
            if (changed.length)
              throw new Error(`a rejected write changed ${changed.join(", ")}:\n${where()}`);
          }
          // The same request with the same key again: answered the same, with no further effect.
          // (Not after signing out: the cookie no longer names the caller, so the retry is another
          // caller's — the key is scoped per caller.)
          const signedOut = op.key === "POST /auth/logout" && answer.status < 300;
          if (plan.replay && plan.idempotencyKey && answer.status !== 429 && !signedOut) {
            const again = await send(req);
            tally.requests += 1;
            const afterReplay = await fingerprint();
            const changed = changedTables(after, afterReplay, op.key);
            if (again.status !== answer.status || changed.length)
              throw new Error(
                `a replay with the same Idempotency-Key answered ${again.status} and changed [${changed.join(", ")}]:\n${where()}`,
              );
          }
        }
        // Signing out ends the caller's session: sign in again for the next runs.
        if (op.key === "POST /auth/logout" && answer.status < 300 && isSessionCaller(plan.caller))
          callers.set(plan.caller, await login(server.baseUrl, CALLER_LOGINS[plan.caller]));
      });
      try {
        await fc.assert(property, {
          numRuns: RUNS_PER_OPERATION,
          seed: SEED,
          interruptAfterTimeLimit: Math.max(
            2_000,
            ((ENGINE_BUDGET_MS - (performance.now() - started)) / (operations.length - index)) * 1.5,
          ),
          markInterruptAsFailure: false,
          includeErrorInReport: true,
        });
      } catch (error) {
        failures.push(`${op.key}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const statuses = [...tally.byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}×${n}`)
      .join(" ");
    console.log(
      `[openapi-fuzz] ${engine}: ${tally.requests} requests over ${operations.length} operations in ${seconds}s; ` +
        `${tally.operationsWith2xx.size} operations answered 2xx at least once; statuses ${statuses}`,
    );
    if (process.env.REFUND_DESK_FUZZ_REPORT)
      for (const [key, statuses] of tally.byOperation) {
        console.log(`  ${key}: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(" ")}`);
        if (process.env.REFUND_DESK_FUZZ_REPORT === "2")
          for (const sample of tally.samples.get(key) ?? []) console.log(`      ${sample}`);
      }
    expect(failures, failures.join("\n\n")).toEqual([]);
    // Nothing skipped silently: every operation not excluded was sent requests.
    const unsent = operations.filter((o) => !(o.key in EXCLUDED_OPERATIONS) && !tally.byOperation.has(o.key));
    expect(unsent.map((o) => o.key)).toEqual([]);
  }, 240_000);

  it("leaves an audit log that verifies and a ledger whose trial balance is zero in every currency", async () => {
    const db = server.services.store.db;
    const verification = await verifyAuditLog(server.services.store);
    expect(verification.firstBreak).toBeNull();
    expect(verification.entries).toBeGreaterThan(0);
    expect(await unbalancedEntries(db)).toEqual([]);
    const balance = await trialBalance(db);
    expect(Object.keys(balance).length).toBeGreaterThan(0);
    for (const [currency, total] of Object.entries(balance))
      expect({ currency, total }).toEqual({ currency, total: 0 });
  });
});
