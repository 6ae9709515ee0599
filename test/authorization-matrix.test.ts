import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInvoice } from "../src/credits/run-invoice.js";
import { importFile } from "../src/imports/import-file.js";
import { importSettlement } from "../src/reconciliation/import-settlement.js";
import { newId } from "../src/shared/ids.js";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { PNG } from "./support/uploads.js";

/**
 * Every route × every role × own vs foreign organisation. The target is always Acme's;
 * for owner@globex.example it is a foreign organisation, which must answer 404 — never
 * 403 and never data. Expected access is written out here, not derived from the
 * authorisation module, so a change to either shows up.
 */
const engines = await testEngines();

const CUSTOMER = ["acme:owner", "acme:billing_admin", "acme:billing_contact", "acme:viewer"] as const;
const STAFF = [
  "staff:support_agent",
  "staff:reviewer",
  "staff:senior_reviewer",
  "staff:compliance_officer",
  "staff:finance",
  "staff:admin",
] as const;
const TOKENS = ["token:read", "token:write"] as const;
const ALL = [...CUSTOMER, ...STAFF, ...TOKENS, "globex:owner", "anonymous"] as const;
type Who = (typeof ALL)[number];

const LOGINS: Record<Exclude<Who, (typeof TOKENS)[number] | "anonymous">, string> = {
  "acme:owner": "owner@acme.example",
  "acme:billing_admin": "admin@acme.example",
  "acme:billing_contact": "billing@acme.example",
  "acme:viewer": "viewer@acme.example",
  "globex:owner": "owner@globex.example",
  "staff:support_agent": "agent@nimbus.example",
  "staff:reviewer": "reviewer@nimbus.example",
  "staff:senior_reviewer": "senior@nimbus.example",
  "staff:compliance_officer": "compliance@nimbus.example",
  "staff:finance": "finance@nimbus.example",
  "staff:admin": "admin@nimbus.example",
};

interface Ctx {
  server: TestServer;
  acme: TestServer["world"]["customers"]["acme"];
  owner: Caller;
  /** A KYC document uploaded before the matrix runs. */
  documentId: string;
  /** A 1000.00 USD charge on Acme's production account; every case here reserves 0.01 of it. */
  chargeId: string;
  /** A submitted case of Acme's, filed before the matrix runs. */
  caseId: string;
  /** Acme's data lake and billing accounts: linked by a shared identity number. */
  linkedAccountIds: readonly [string, string];
}

interface RouteCase {
  route: string;
  method: "GET" | "POST" | "DELETE";
  /** Builds the path (and any fresh target it needs) for one call. */
  path: (ctx: Ctx) => Promise<string> | string;
  body?: (ctx: Ctx) => unknown;
  multipart?: () => FormData;
  allowed: readonly Who[];
  /** Principals for whom the route itself is invisible (provider-wide routes): 404 rather than 403. */
  hidden?: readonly Who[];
  /** Principals let through who must get exactly this status (a body meant for other principals). */
  status?: Partial<Record<Who, number>>;
}

const READERS: readonly Who[] = [...CUSTOMER, ...STAFF, ...TOKENS];
const BILLING_READERS: readonly Who[] = [
  ...CUSTOMER,
  "staff:support_agent",
  "staff:reviewer",
  "staff:senior_reviewer",
  "staff:finance",
  "staff:admin",
  ...TOKENS,
];
const REFUND_READERS: readonly Who[] = [
  ...CUSTOMER,
  "staff:support_agent",
  "staff:reviewer",
  "staff:senior_reviewer",
  "staff:finance",
  "staff:admin",
  ...TOKENS,
];
const REFUND_REQUESTERS: readonly Who[] = [
  "acme:owner",
  "acme:billing_admin",
  "acme:billing_contact",
  "token:write",
];

/** A refund request as a customer files it (channel `console` or `api` by how they signed in). */
function customerRequest(ctx: Ctx) {
  return {
    accountId: ctx.acme.memberAccountIds[0],
    items: [{ chargeId: ctx.chargeId, amount: "0.01" }],
    reason: "billing_error",
    desiredOutcome: "account_credit",
    summary: "Billed for hours the instance i-matrix did not run",
    description:
      "Instance i-matrix was stopped on 2026-04-16T00:00Z; invoice INV-2026-04 bills the whole month.",
    impactStatement: "We overpaid for April.",
  };
}

/** The same request logged by a support agent from a phone call. */
function agentRequest(ctx: Ctx) {
  return {
    ...customerRequest(ctx),
    channel: "phone",
    onBehalfOf: { contact: "+1 555 0100 (Olivia Owner)", contactConfirmed: true },
  };
}

/** A submitted case of Acme's, filed by its owner through the API. */
async function freshCase(ctx: Ctx): Promise<string> {
  const res = await call<{ cases: Array<{ id: string }> }>(ctx.server.baseUrl, "POST", "/cases", {
    as: ctx.owner,
    body: customerRequest(ctx),
  });
  if (res.status !== 201) throw new Error(`filing a case failed: ${res.status} ${res.text}`);
  return res.body.cases[0]!.id;
}

async function freshMembership(ctx: Ctx): Promise<string> {
  const db = ctx.server.services.store.db;
  const at = new Date().toISOString();
  const userId = newId("user");
  await db
    .insertInto("users")
    .values({
      id: userId,
      email: `${userId}@acme.example`,
      name: "Temp",
      password_hash: "x",
      failed_logins: 0,
      disabled: 0,
      created_at: at,
    })
    .execute();
  const id = newId("membership");
  await db
    .insertInto("memberships")
    .values({ id, user_id: userId, organisation_id: ctx.acme.organisationId, role: "viewer", created_at: at })
    .execute();
  return id;
}

async function freshToken(ctx: Ctx): Promise<string> {
  const id = newId("apiToken");
  await ctx.server.services.store.db
    .insertInto("api_tokens")
    .values({
      id,
      organisation_id: ctx.acme.organisationId,
      name: "t",
      token_hash: id,
      account_ids: null,
      permissions: '["billing:read"]',
      created_by: "x",
      created_at: new Date().toISOString(),
    })
    .execute();
  return id;
}

/** A webhook endpoint of Acme's, written straight to the store (its secret is never used here). */
async function freshWebhookEndpoint(ctx: Ctx): Promise<string> {
  const id = newId("webhookEndpoint");
  await ctx.server.services.store.db
    .insertInto("webhook_endpoints")
    .values({
      id,
      organisation_id: ctx.acme.organisationId,
      url: "https://198.51.100.7/matrix",
      description: "",
      events: '["*"]',
      secret_ciphertext: Buffer.from("unused"),
      status: "active",
      created_by: "x",
      created_at: new Date().toISOString(),
    })
    .execute();
  return id;
}

async function freshFailedDelivery(ctx: Ctx): Promise<string> {
  const endpointId = await freshWebhookEndpoint(ctx);
  const id = newId("webhookDelivery");
  await ctx.server.services.store.db
    .insertInto("webhook_deliveries")
    .values({
      id,
      endpoint_id: endpointId,
      organisation_id: ctx.acme.organisationId,
      event_type: "case.decided",
      subject_id: "case_x",
      payload: "{}",
      status: "failed",
      attempts: 8,
      last_status_code: 500,
      last_error: "HTTP 500",
      created_at: new Date().toISOString(),
      delivered_at: null,
    })
    .execute();
  return id;
}

/** A job that ran out of attempts, written straight to the store, for the dead-letter routes. */
async function freshDeadJob(ctx: Ctx): Promise<string> {
  const id = newId("job");
  const at = new Date().toISOString();
  await ctx.server.services.store.db
    .insertInto("jobs")
    .values({
      id,
      kind: "case.verification_check",
      payload: JSON.stringify({ organisationId: ctx.acme.organisationId }),
      status: "dead",
      attempts: 5,
      max_attempts: 5,
      run_after: at,
      locked_by: null,
      locked_until: null,
      last_error: "matrix",
      created_at: at,
      finished_at: at,
    })
    .execute();
  return id;
}

/**
 * A failed payout of a fresh case of Acme's, written straight to the store (a decision and its
 * payout), so finance's routes have something to read and retry.
 */
async function freshPayout(ctx: Ctx): Promise<string> {
  const caseId = await freshCase(ctx);
  const db = ctx.server.services.store.db;
  const at = new Date().toISOString();
  const decisionId = newId("decision");
  await db
    .insertInto("decisions")
    .values({
      id: decisionId,
      case_id: caseId,
      sequence: 1,
      outcome: "refund_original_method",
      amount: "0.01",
      currency: "USD",
      rationale: "matrix",
      clauses: "[]",
      evidence: "[]",
      alternatives: "[]",
      credit_scope: null,
      credit_expires_at: null,
      adjustment: null,
      proration: null,
      final: 0,
      appeal_by: null,
      decided_by: "x",
      decided_at: at,
      policy_version: "matrix",
      letter_path: null,
      letter_sha256: null,
    })
    .execute();
  const id = newId("payout");
  await db
    .insertInto("payouts")
    .values({
      id,
      organisation_id: ctx.acme.organisationId,
      account_id: ctx.acme.memberAccountIds[0]!,
      case_id: caseId,
      decision_id: decisionId,
      amount_minor: 1,
      currency: "USD",
      payment_id: "pay_matrix",
      status: "failed",
      attempt: 1,
      gateway_refund_id: null,
      failure_code: "do_not_honor",
      last_error: null,
      submitted_at: at,
      settled_at: null,
      created_at: at,
      updated_at: at,
      version: 1,
    })
    .execute();
  return id;
}

const FINANCE_READERS: readonly Who[] = [
  "staff:reviewer",
  "staff:senior_reviewer",
  "staff:finance",
  "staff:admin",
];
const PROVIDER_WIDE_HIDDEN: readonly Who[] = [...CUSTOMER, ...TOKENS, "globex:owner"];

/** Acme production's (empty) March invoice, run once; later calls return the same one. */
async function anInvoice(ctx: Ctx): Promise<string> {
  const { invoice } = await runInvoice(
    ctx.server.services,
    { actor: "system:test", requestId: null },
    { accountId: ctx.acme.memberAccountIds[0]!, period: "2026-03" },
  );
  return invoice.id;
}

/** Ledger readers: every customer role, and reviewers, finance and admins among staff (not tokens). */
const LEDGER_READERS: readonly Who[] = [
  ...CUSTOMER,
  "staff:reviewer",
  "staff:senior_reviewer",
  "staff:finance",
  "staff:admin",
];
/** Provider-wide finance routes: finance and admins; invisible (404) to customers and tokens. */
const RECONCILERS: readonly Who[] = ["staff:finance", "staff:admin"];
const NOT_STAFF: readonly Who[] = [...CUSTOMER, ...TOKENS, "globex:owner"];
/** Staff who see the dashboard's refund figures: those who read refunds (not compliance). */
const DASHBOARD_STAFF: readonly Who[] = [
  "staff:support_agent",
  "staff:reviewer",
  "staff:senior_reviewer",
  "staff:finance",
  "staff:admin",
];

/** A settlement file no one has imported yet: one line the gateway settled that is no payout of ours. */
const freshSettlementCsv = () =>
  "settlement_date,gateway_refund_id,idempotency_key,payment_id,type,amount_minor,currency,status,fee_minor\n" +
  `2026-05-03,re_${newId("job")},,pay_matrix,refund,100,USD,succeeded,0\n`;

async function freshReconciliation(ctx: Ctx): Promise<string> {
  const result = await importSettlement(
    ctx.server.services,
    { actor: "system:test", requestId: null },
    { fileName: "matrix.csv", content: Buffer.from(freshSettlementCsv()) },
  );
  return result.import.id;
}

async function freshFinanceTask(ctx: Ctx): Promise<string> {
  const id = newId("financeTask");
  await ctx.server.services.store.db
    .insertInto("finance_tasks")
    .values({
      id,
      kind: "reconciliation_mismatch",
      status: "open",
      payout_id: null,
      settlement_import_id: null,
      summary: "matrix",
      details: "{}",
      created_at: new Date().toISOString(),
      resolved_at: null,
      resolved_by: null,
    })
    .execute();
  return id;
}

const LEDGER_ROUTES: RouteCase[] = [
  {
    route: "GET /organisations/:id/ledger/balances",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/ledger/balances`,
    allowed: LEDGER_READERS,
  },
  {
    route: "GET /organisations/:id/ledger/entries",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/ledger/entries?from=2026-05-01&to=2026-05-31`,
    allowed: LEDGER_READERS,
  },
  {
    route: "GET /organisations/:id/ledger/export.csv",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/ledger/export.csv?from=2026-05-01&to=2026-05-31`,
    allowed: LEDGER_READERS,
  },
  {
    route: "GET /ledger/trial-balance",
    method: "GET",
    path: () => "/ledger/trial-balance",
    allowed: RECONCILERS,
    hidden: NOT_STAFF,
  },
  {
    route: "POST /reconciliations",
    method: "POST",
    path: () => "/reconciliations",
    body: () => ({ csv: freshSettlementCsv(), fileName: "matrix.csv" }),
    allowed: RECONCILERS,
    hidden: NOT_STAFF,
  },
  {
    route: "GET /reconciliations",
    method: "GET",
    path: () => "/reconciliations",
    allowed: RECONCILERS,
    hidden: NOT_STAFF,
  },
  {
    route: "GET /reconciliations/:id",
    method: "GET",
    path: async (c) => `/reconciliations/${await freshReconciliation(c)}`,
    allowed: RECONCILERS,
    hidden: NOT_STAFF,
  },
  {
    route: "GET /finance/tasks",
    method: "GET",
    path: () => "/finance/tasks?status=open",
    allowed: RECONCILERS,
    hidden: NOT_STAFF,
  },
  {
    route: "POST /finance/tasks/:id/resolve",
    method: "POST",
    path: async (c) => `/finance/tasks/${await freshFinanceTask(c)}/resolve`,
    body: () => ({ note: "Checked with the gateway" }),
    allowed: RECONCILERS,
    hidden: NOT_STAFF,
  },
  {
    route: "GET /dashboard (every customer)",
    method: "GET",
    path: () => "/dashboard?from=2026-01&to=2026-12",
    allowed: DASHBOARD_STAFF,
    hidden: NOT_STAFF,
  },
  {
    route: "GET /dashboard?organisationId= (one customer)",
    method: "GET",
    path: (c) => `/dashboard?organisationId=${c.acme.organisationId}`,
    allowed: [...CUSTOMER, ...DASHBOARD_STAFF],
  },
];

const ROUTES: RouteCase[] = [
  ...LEDGER_ROUTES,
  {
    route: "GET /organisations/:id",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}`,
    allowed: READERS,
  },
  {
    route: "GET /organisations/:id/accounts",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/accounts`,
    allowed: READERS,
  },
  {
    route: "GET /accounts/:id",
    method: "GET",
    path: (c) => `/accounts/${c.acme.memberAccountIds[0]}`,
    allowed: READERS,
  },
  {
    route: "POST /organisations/:id/accounts",
    method: "POST",
    path: (c) => `/organisations/${c.acme.organisationId}/accounts`,
    body: () => ({ name: `Acme — ${newId("account")}`, currency: "USD" }),
    allowed: ["acme:owner", "staff:admin"],
  },
  {
    route: "GET /organisations/:id/members",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/members`,
    allowed: [...CUSTOMER, ...STAFF],
  },
  {
    route: "POST /organisations/:id/members",
    method: "POST",
    path: (c) => `/organisations/${c.acme.organisationId}/members`,
    body: () => ({ email: "viewer@acme.example", role: "viewer" }),
    allowed: ["acme:owner", "staff:admin"],
  },
  {
    route: "DELETE /organisations/:id/members/:membershipId",
    method: "DELETE",
    path: async (c) => `/organisations/${c.acme.organisationId}/members/${await freshMembership(c)}`,
    allowed: ["acme:owner", "staff:admin"],
  },
  {
    route: "GET /organisations/:id/tokens",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/tokens`,
    allowed: ["acme:owner", "acme:billing_admin"],
  },
  {
    route: "POST /organisations/:id/tokens",
    method: "POST",
    path: (c) => `/organisations/${c.acme.organisationId}/tokens`,
    body: () => ({ name: "matrix", permissions: ["billing:read"] }),
    allowed: ["acme:owner", "acme:billing_admin"],
  },
  {
    route: "POST /organisations/:id/tokens/:tokenId/revoke",
    method: "POST",
    path: async (c) => `/organisations/${c.acme.organisationId}/tokens/${await freshToken(c)}/revoke`,
    allowed: ["acme:owner", "acme:billing_admin"],
  },
  {
    route: "GET /organisations/:id/audit-log",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/audit-log`,
    allowed: ["acme:owner", "staff:compliance_officer", "staff:admin"],
  },
  {
    route: "POST /users",
    method: "POST",
    path: () => "/users",
    body: () => ({ email: `${newId("user")}@example.com`, name: "New", password: "long-enough" }),
    allowed: ["staff:admin"],
    hidden: [...CUSTOMER, ...TOKENS, "globex:owner"],
  },
  {
    route: "POST /organisations",
    method: "POST",
    path: () => "/organisations",
    body: () => ({ name: "Initech", billingAccount: { name: "Initech — billing", currency: "EUR" } }),
    allowed: ["staff:admin"],
    hidden: [...CUSTOMER, ...TOKENS, "globex:owner"],
  },
  {
    route: "GET /organisations/:id/imports",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/imports`,
    allowed: BILLING_READERS,
  },
  {
    route: "POST /organisations/:id/imports",
    method: "POST",
    path: (c) => `/organisations/${c.acme.organisationId}/imports`,
    multipart: () => {
      const form = new FormData();
      form.append("kind", "usage");
      form.append(
        "file",
        new Blob([
          `{"resourceId":"i-${newId("job")}","start":"2026-05-01T00:00:00Z","end":"2026-05-01T01:00:00Z"}\n`,
        ]),
        "usage.jsonl",
      );
      return form;
    },
    allowed: ["acme:owner", "acme:billing_admin", "acme:billing_contact", "token:write"],
  },
  {
    route: "GET /organisations/:id/charges",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/charges`,
    allowed: BILLING_READERS,
  },
  {
    route: "GET /organisations/:id/webhook-endpoints",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/webhook-endpoints`,
    allowed: ["acme:owner", "acme:billing_admin"],
  },
  {
    route: "POST /organisations/:id/webhook-endpoints",
    method: "POST",
    path: (c) => `/organisations/${c.acme.organisationId}/webhook-endpoints`,
    body: () => ({ url: "https://198.51.100.7/hooks", events: ["case.decided"] }),
    allowed: ["acme:owner", "acme:billing_admin"],
  },
  {
    route: "POST /organisations/:id/webhook-endpoints/:endpointId/disable",
    method: "POST",
    path: async (c) =>
      `/organisations/${c.acme.organisationId}/webhook-endpoints/${await freshWebhookEndpoint(c)}/disable`,
    allowed: ["acme:owner", "acme:billing_admin"],
  },
  {
    route: "GET /organisations/:id/webhook-endpoints/:endpointId/deliveries",
    method: "GET",
    path: async (c) =>
      `/organisations/${c.acme.organisationId}/webhook-endpoints/${await freshWebhookEndpoint(c)}/deliveries`,
    allowed: ["acme:owner", "acme:billing_admin"],
  },
  {
    route: "POST /organisations/:id/webhook-deliveries/:deliveryId/retry",
    method: "POST",
    path: async (c) =>
      `/organisations/${c.acme.organisationId}/webhook-deliveries/${await freshFailedDelivery(c)}/retry`,
    allowed: ["acme:owner", "acme:billing_admin"],
  },
  {
    route: "POST /cases",
    method: "POST",
    path: () => "/cases",
    body: customerRequest,
    allowed: REFUND_REQUESTERS,
    // An agent is let through, but must say how the customer reached them.
    status: { "staff:support_agent": 400 },
  },
  {
    route: "POST /cases (agent: phone, on behalf of)",
    method: "POST",
    path: () => "/cases",
    body: agentRequest,
    // Customers and tokens may request refunds, but never log a phone or chat request.
    allowed: ["staff:support_agent"],
  },
  {
    route: "POST /cases/preview",
    method: "POST",
    path: () => "/cases/preview",
    body: customerRequest,
    allowed: REFUND_REQUESTERS,
    status: { "staff:support_agent": 400 },
  },
  {
    route: "POST /cases/preview (agent: phone, on behalf of)",
    method: "POST",
    path: () => "/cases/preview",
    body: agentRequest,
    allowed: ["staff:support_agent"],
  },
  {
    route: "GET /organisations/:id/cases",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/cases`,
    allowed: REFUND_READERS,
  },
  {
    route: "GET /cases",
    method: "GET",
    path: () => "/cases",
    allowed: [
      "staff:support_agent",
      "staff:reviewer",
      "staff:senior_reviewer",
      "staff:finance",
      "staff:admin",
    ],
    hidden: [...CUSTOMER, ...TOKENS, "globex:owner"],
  },
  {
    route: "GET /cases/:caseId",
    method: "GET",
    path: (c) => `/cases/${c.caseId}`,
    allowed: REFUND_READERS,
  },
  {
    route: "GET /cases/:caseId/analysis",
    method: "GET",
    path: (c) => `/cases/${c.caseId}/analysis`,
    allowed: REFUND_READERS,
  },
  {
    route: "POST /cases/:caseId/withdraw",
    method: "POST",
    path: async (c) => `/cases/${await freshCase(c)}/withdraw`,
    body: () => ({ reason: "Filed by mistake" }),
    allowed: [...REFUND_REQUESTERS, "staff:support_agent"],
  },
  {
    route: "POST /cases/:caseId/claim",
    method: "POST",
    path: async (c) => `/cases/${await freshCase(c)}/claim`,
    // The body is optional in the schema, but a POST without one is a 400 before any authorisation.
    body: () => ({}),
    allowed: ["staff:reviewer", "staff:senior_reviewer"],
  },
  {
    route: "GET /payouts",
    method: "GET",
    path: () => "/payouts",
    allowed: FINANCE_READERS,
    hidden: PROVIDER_WIDE_HIDDEN,
  },
  {
    route: "GET /payouts/:payoutId",
    method: "GET",
    path: async (c) => `/payouts/${await freshPayout(c)}`,
    allowed: FINANCE_READERS,
    hidden: PROVIDER_WIDE_HIDDEN,
  },
  {
    route: "POST /payouts/:payoutId/retry",
    method: "POST",
    path: async (c) => `/payouts/${await freshPayout(c)}/retry`,
    body: () => ({}),
    allowed: ["staff:finance", "staff:admin"],
    hidden: PROVIDER_WIDE_HIDDEN,
  },
  {
    route: "GET /organisations/:id/payouts",
    method: "GET",
    path: (c) => `/organisations/${c.acme.organisationId}/payouts`,
    allowed: REFUND_READERS,
  },
  {
    route: "POST /accounts/:accountId/links/:otherAccountId/review",
    method: "POST",
    path: (c) => `/accounts/${c.linkedAccountIds[0]}/links/${c.linkedAccountIds[1]}/review`,
    body: () => ({ verdict: "legitimate", reason: "Two accounts of one company" }),
    allowed: ["staff:compliance_officer"],
  },
  {
    route: "GET /accounts/:id/credits",
    method: "GET",
    path: (c) => `/accounts/${c.acme.memberAccountIds[0]}/credits`,
    allowed: REFUND_READERS,
  },
  {
    route: "POST /accounts/:id/invoices",
    method: "POST",
    // April is over (the clock stands in May); the first run creates it, later ones return it.
    path: (c) => `/accounts/${c.acme.memberAccountIds[0]}/invoices`,
    body: () => ({ period: "2026-04" }),
    allowed: ["staff:finance", "staff:admin"],
  },
  {
    route: "GET /accounts/:id/invoices",
    method: "GET",
    path: (c) => `/accounts/${c.acme.memberAccountIds[0]}/invoices`,
    allowed: BILLING_READERS,
  },
  {
    route: "GET /invoices/:invoiceId",
    method: "GET",
    path: async (c) => `/invoices/${await anInvoice(c)}`,
    allowed: BILLING_READERS,
  },
  {
    route: "GET /jobs/dead",
    method: "GET",
    path: () => "/jobs/dead",
    allowed: ["staff:admin"],
    hidden: PROVIDER_WIDE_HIDDEN,
  },
  {
    route: "POST /jobs/:jobId/retry",
    method: "POST",
    path: async (c) => `/jobs/${await freshDeadJob(c)}/retry`,
    body: () => ({}),
    allowed: ["staff:admin"],
    hidden: PROVIDER_WIDE_HIDDEN,
  },
];

describe.each(engines)("authorisation matrix on %s", (engine) => {
  let server: TestServer;
  let ctx: Ctx;
  const callers = new Map<Who, Caller>();

  beforeAll(async () => {
    server = await startTestServer(engine);
    for (const [who, email] of Object.entries(LOGINS))
      callers.set(who as Who, await login(server.baseUrl, email));
    const owner = callers.get("acme:owner")!;
    const acme = server.world.customers.acme;
    const form = new FormData();
    form.append("kind", "passport");
    form.append("file", new Blob([PNG]), "passport.png");
    const doc = await call<{ id: string }>(
      server.baseUrl,
      "POST",
      `/accounts/${acme.memberAccountIds[0]}/kyc/documents`,
      {
        as: owner,
        rawBody: form,
      },
    );
    // One charge to file cases against, and two accounts sharing an identity number (a link).
    const csv = join(server.services.config.dataDir, "matrix.csv");
    writeFileSync(
      csv,
      "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,RegionId,ResourceId,SkuId,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,BilledCost,BillingCurrency,InvoiceId\n" +
        "100000000001,100000000002,Acme — production,AWS,Amazon Elastic Compute Cloud,us-east-1,i-matrix,BoxUsage:m5.large,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,720,Hours,1000.00,USD,INV-2026-04\n",
    );
    await importFile(
      server.services,
      { actor: "system:test", requestId: null },
      {
        organisationId: acme.organisationId,
        kind: "charges",
        path: csv,
        fileName: "matrix.csv",
        onInvalid: "fail",
      },
    );
    const charge = await server.services.store.db
      .selectFrom("charges")
      .select("id")
      .where("source_ref", "=", "matrix.csv:2")
      .executeTakeFirstOrThrow();
    const linkedAccountIds = [acme.memberAccountIds[1]!, acme.billingAccountId] as const;
    for (const accountId of linkedAccountIds) {
      const kycForm = new FormData();
      kycForm.append("kind", "passport");
      kycForm.append("file", new Blob([PNG]), "passport.png");
      const up = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc/documents`, {
        as: owner,
        rawBody: kycForm,
      });
      expect(up.status).toBe(201);
      const sub = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc`, {
        as: owner,
        body: { type: "enterprise", legalName: "Acme Analytics Ltd", identityNumber: "HRB-99887" },
      });
      expect(sub.status).toBe(200);
    }
    ctx = {
      server,
      acme,
      owner,
      documentId: doc.body.id,
      chargeId: charge.id,
      caseId: "",
      linkedAccountIds,
    };
    ctx.caseId = await freshCase(ctx);
    for (const [who, permissions] of [
      ["token:read", ["billing:read", "refunds:read", "kyc:read"]],
      ["token:write", ["billing:write", "refunds:write", "kyc:write"]],
    ] as const) {
      const res = await call<{ token: string }>(
        server.baseUrl,
        "POST",
        `/organisations/${ctx.acme.organisationId}/tokens`,
        {
          as: owner,
          body: { name: who, permissions },
        },
      );
      callers.set(who, { bearer: res.body.token });
    }
    callers.set("anonymous", {});
  });
  afterAll(async () => server?.close());

  for (const route of ROUTES) {
    it.each(ALL.map((w) => [w]))(`${route.route} as %s`, async (who) => {
      const path = await route.path(ctx);
      const res = await call<{ code?: string }>(server.baseUrl, route.method, path, {
        as: callers.get(who),
        body: route.body?.(ctx),
        rawBody: route.multipart?.(),
      });
      if (who === "anonymous") {
        expect(res.status).toBe(401);
        return;
      }
      const exact = route.status?.[who];
      if (exact !== undefined) {
        expect(res.status, `${route.route} as ${who}: ${res.text}`).toBe(exact);
        return;
      }
      if (route.allowed.includes(who)) {
        expect([401, 403, 404], `${route.route} as ${who}: ${res.text}`).not.toContain(res.status);
        expect(res.status).toBeLessThan(500);
        return;
      }
      const foreign = who === "globex:owner" || route.hidden?.includes(who);
      expect(res.status, `${route.route} as ${who}: ${res.text}`).toBe(foreign ? 404 : 403);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      if (foreign) expect(res.text).not.toContain("Acme");
    });
  }
});
