import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFile } from "../src/imports/import-file.js";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { multipart, PNG } from "./support/uploads.js";

/**
 * The whole life of refund cases through the HTTP API, on both engines: intake on every channel,
 * the automatic review and fast-track, requests for information with business-day deadlines,
 * escalation, decisions with letters, appeals, the KYC gate and the once-per-identity rule.
 */
const engines = await testEngines();

const HEADER =
  "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,RegionId,ResourceId,SkuId,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,BilledCost,BillingCurrency,InvoiceId";
const ACME = [
  // line 2: an EC2 instance billed for the whole of April (partial refund scenario)
  "100000000001,100000000002,Acme — production,AWS,Amazon Elastic Compute Cloud,us-east-1,i-0a1,BoxUsage:m5.large,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,720,Hours,72.00,USD,INV-2026-04",
  // lines 3 and 4: the same S3 charge twice (the audit finds a duplicate)
  "100000000001,100000000002,Acme — production,AWS,Amazon Simple Storage Service,us-east-1,bucket-logs,TimedStorage,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,1000,GB-Mo,40.00,USD,INV-2026-04",
  "100000000001,100000000002,Acme — production,AWS,Amazon Simple Storage Service,us-east-1,bucket-logs,TimedStorage,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,1000,GB-Mo,40.00,USD,INV-2026-04",
  // line 5: a large charge (senior review)
  "100000000001,100000000002,Acme — production,AWS,Amazon Redshift,us-east-1,rs-cluster-1,Node:ra3,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,720,Hours,9000.00,USD,INV-2026-04",
  // lines 6 and 7: new Alibaba ECS subscriptions on two accounts of one person
  "100000000001,100000000002,Acme — production,Alibaba Cloud,Elastic Compute Service,cn-hangzhou,i-bp1aaa,ecs.g7.large,Purchase,One-Time,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z,1,Month,300.00,USD,INV-2026-05",
  "100000000001,100000000003,Acme — data lake,Alibaba Cloud,Elastic Compute Service,cn-hangzhou,i-bp1bbb,ecs.g7.large,Purchase,One-Time,2026-05-02T00:00:00Z,2026-06-02T00:00:00Z,1,Month,300.00,USD,INV-2026-05",
  // line 8: an RDS charge (denial and appeal)
  "100000000001,100000000002,Acme — production,AWS,Amazon Relational Database Service,us-east-1,db-orders,InstanceUsage,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,720,Hours,120.00,USD,INV-2026-04",
  // line 9: a charge on the billing account itself, whose KYC is not verified
  "100000000001,,,AWS,AWS Support (Business),global,,Support,Usage,Recurring,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,1,Month,500.00,USD,INV-2026-04",
  // line 10: for concurrent decisions
  "100000000001,100000000002,Acme — production,AWS,Amazon CloudFront,global,dist-1,Requests,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,1000000,Requests,85.00,USD,INV-2026-04",
  // line 11: an EBS volume (a refund raised on appeal)
  "100000000001,100000000002,Acme — production,AWS,Amazon Elastic Block Store,us-east-1,vol-0b2,EBS:VolumeUsage.gp3,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,2000,GB-Mo,200.00,USD,INV-2026-04",
];
const GLOBEX = [
  "1688000000000001,1688000000000002,Globex — web shop,Alibaba Cloud,Elastic Compute Service,cn-shanghai,i-uf6ccc,ecs.c7.xlarge,Usage,Usage-Based,2026-09-01T00:00:00+08:00,2026-09-29T00:00:00+08:00,672,Hours,1344.00,CNY,INV-GX-2026-09",
];

interface CaseSummary {
  id: string;
  ticketNumber: string | null;
  state: string;
  amount: string;
  currency: string;
  assignedRole: string;
  assigneeId: string | null;
  fastTrack: boolean;
  riskSignals: string[];
  expectedDecisionBy: { date: string; at: string } | null;
  overdue: boolean;
  clockPaused: boolean;
  version: number;
  channel: string;
  appealBy: string | null;
}
interface CaseDetail extends CaseSummary {
  review: {
    checks: Array<{ code: string; result: string }>;
    policy: {
      eligible: boolean | null;
      clauses: string[];
      exclusion: { clauseId: string; reason: string } | null;
    };
  } | null;
  timeline: Array<{ type: string; atLocal: string; note: string; toState: string | null; actor: string }>;
  evidence: Array<{ id: string; kind: string; label: string; contentType: string | null }>;
  informationRequests: Array<{
    id: string;
    dueDate: string;
    dueAt: string;
    remindAt: string;
    status: string;
  }>;
  decisions: Array<{
    id: string;
    sequence: number;
    outcome: string;
    amount: string | null;
    final: boolean;
    decidedBy: string;
    letter: string;
    clauses: Array<{ id: string }>;
  }>;
  appeal: { assignedTo: string } | null;
  onBehalfOf: string | null;
}
interface Filed {
  requestId: string;
  subject: string;
  lint: Array<{ code: string }>;
  cases: CaseSummary[];
}
interface Problem {
  code: string;
  errors?: Array<{ field: string; code: string }>;
  currentState?: string;
}

describe.each(engines)("refund cases on %s", (engine) => {
  let server: TestServer;
  let dir: string;
  let owner: Caller;
  let viewer: Caller;
  let agent: Caller;
  let reviewer: Caller;
  let senior: Caller;
  let compliance: Caller;
  let globexOwner: Caller;
  let acmeOrg: string;
  let production: string;
  let dataLake: string;
  let billing: string;
  const charge: Record<number, string> = {};

  const db = () => server.services.store.db;
  const api = <T>(method: string, path: string, as: Caller, body?: unknown, idempotencyKey?: string) =>
    call<T>(server.baseUrl, method, path, { as, body, idempotencyKey });
  const getCase = async (id: string, as: Caller = owner) =>
    (await api<CaseDetail>("GET", `/cases/${id}`, as)).body;
  const userId = async (email: string) =>
    (await db().selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;

  async function fileCase(body: Record<string, unknown>, as: Caller = owner) {
    return api<Filed & Problem>("POST", "/cases", as, {
      accountId: production,
      reason: "billing_error",
      desiredOutcome: "refund_original_method",
      summary: "Billed for hours the instance i-0a1 did not run",
      description:
        "Instance i-0a1 was stopped on 2026-04-16T00:00Z; invoice INV-2026-04 bills the whole month.",
      impactStatement: "We overpaid for April.",
      ...body,
    });
  }

  async function verifyKyc(
    accountId: string,
    identityNumber: string,
    legalName = "Olivia Owner",
    type = "individual",
  ) {
    const form = multipart([
      { name: "kind", value: "passport" },
      { name: "file", filename: "passport.png", contentType: "image/png", data: PNG },
    ]);
    const up = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc/documents`, {
      as: owner,
      rawBody: form.body,
      headers: { "content-type": form.contentType },
    });
    expect([200, 201]).toContain(up.status);
    const sub = await api("POST", `/accounts/${accountId}/kyc`, owner, { type, legalName, identityNumber });
    expect(sub.status).toBe(200);
    const dec = await api("POST", `/accounts/${accountId}/kyc/decision`, compliance, {
      decision: "verified",
      reason: "Passport matches",
    });
    expect(dec.status).toBe(200);
  }

  /** Sessions expire with the (test) clock: after moving it, everyone signs in again. */
  async function signInAll(): Promise<void> {
    const emails = [
      "owner@acme.example",
      "viewer@acme.example",
      "agent@nimbus.example",
      "reviewer@nimbus.example",
      "senior@nimbus.example",
      "compliance@nimbus.example",
      "owner@globex.example",
    ];
    const callers = await Promise.all(emails.map((e) => login(server.baseUrl, e)));
    [owner, viewer, agent, reviewer, senior, compliance, globexOwner] = callers as [
      Caller,
      Caller,
      Caller,
      Caller,
      Caller,
      Caller,
      Caller,
    ];
  }
  async function setClock(at: string): Promise<void> {
    server.clock.set(at);
    await signInAll();
  }

  beforeAll(async () => {
    server = await startTestServer(engine, { webhookAllowPrivateNetworks: true });
    dir = mkdtempSync(join(tmpdir(), "refund-desk-cases-"));
    await signInAll();
    acmeOrg = server.world.customers.acme.organisationId;
    billing = server.world.customers.acme.billingAccountId;
    [production, dataLake] = server.world.customers.acme.memberAccountIds as [string, string];
    const ctx = { actor: "system:test", requestId: null };
    writeFileSync(join(dir, "acme.csv"), `${HEADER}\n${ACME.join("\n")}\n`);
    writeFileSync(join(dir, "globex.csv"), `${HEADER}\n${GLOBEX.join("\n")}\n`);
    await importFile(server.services, ctx, {
      organisationId: acmeOrg,
      kind: "charges",
      path: join(dir, "acme.csv"),
      fileName: "acme.csv",
      onInvalid: "fail",
    });
    await importFile(server.services, ctx, {
      organisationId: server.world.customers.globex.organisationId,
      kind: "charges",
      path: join(dir, "globex.csv"),
      fileName: "globex.csv",
      onInvalid: "fail",
    });
    await server.worker.drain();
    const rows = await db().selectFrom("charges").select(["id", "source_ref"]).execute();
    for (const r of rows) {
      const [file, line] = r.source_ref.split(":");
      if (file === "acme.csv") charge[Number(line)] = r.id;
      else charge[1000 + Number(line)] = r.id;
    }
    await verifyKyc(production, "X1234567");
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("turns the audit's duplicate-charge finding into a case in one click and fast-tracks it to an approved decision with a letter", async () => {
    const findings = await api<{ items: Array<{ id: string; kind: string; amount: string }> }>(
      "GET",
      `/organisations/${acmeOrg}/findings?kind=duplicate_charge`,
      owner,
    );
    expect(findings.body.items).toHaveLength(1);
    const finding = findings.body.items[0]!;
    expect(finding.amount).toBe("40.00");
    const filed = await api<Filed>(
      "POST",
      `/organisations/${acmeOrg}/findings/${finding.id}/case`,
      owner,
      {},
    );
    expect(filed.status).toBe(201);
    const [c] = filed.body.cases;
    expect(c).toMatchObject({ state: "submitted", amount: "40", currency: "USD", channel: "console" });
    expect(c!.ticketNumber).toMatch(/^RD-2026-\d{6}$/);
    expect(filed.body.subject).toContain("duplicate charge");
    await server.worker.drain();
    const decided = await getCase(c!.id);
    expect(decided.state).toBe("decided");
    expect(decided.fastTrack).toBe(true);
    expect(decided.review?.checks.every((x) => x.result === "pass")).toBe(true);
    expect(decided.decisions).toHaveLength(1);
    expect(decided.decisions[0]).toMatchObject({
      outcome: "refund_original_method",
      amount: "40.00",
      decidedBy: "system:fast-track",
    });
    expect(decided.decisions[0]!.clauses.map((x) => x.id)).toContain("duplicate-charge");
    expect(decided.evidence.some((e) => e.label.startsWith(`Audit finding ${finding.id}`))).toBe(true);
    const status = (
      await api<{ status: string }>("GET", `/organisations/${acmeOrg}/findings/${finding.id}`, owner)
    ).body.status;
    expect(status).toBe("filed");

    const letter = await call(server.baseUrl, "GET", decided.decisions[0]!.letter, { as: owner });
    expect(letter.status).toBe(200);
    expect(letter.headers.get("content-type")).toBe("application/pdf");
    expect(letter.text.startsWith("%PDF-")).toBe(true);
    const mail = join(server.services.config.dataDir, "mail");
    const eml = readdirSync(mail).map((f) => readFileSync(join(mail, f), "utf8"));
    const decidedMail = eml.find((m) => m.includes("Decision on your refund request"));
    expect(decidedMail).toBeDefined();
    expect(decidedMail).toContain(c!.ticketNumber!);
    expect(decidedMail).toContain("application/pdf");
    expect(eml.some((m) => m.includes("We received your refund request"))).toBe(true);
  });

  it("asks for information with a business-day deadline, resumes on the reply, escalates an overdue case at the customer's request and decides a computed partial refund", async () => {
    const filed = await fileCase({ items: [{ chargeId: charge[2], amount: "36.00" }] });
    expect(filed.status).toBe(201);
    const id = filed.body.cases[0]!.id;
    await server.worker.drain();
    let c = await getCase(id);
    expect(c.state).toBe("in_review");
    expect(c.fastTrack).toBe(false);
    // Submitted Monday 2026-05-04 10:00 UTC: ten US business days later is 2026-05-18 (New York time).
    expect(c.expectedDecisionBy?.date).toBe("2026-05-18");

    const asked = await api<CaseDetail & Problem>("POST", `/cases/${id}/information-requests`, reviewer, {
      questions: ["When exactly did you stop i-0a1? Please attach the console's stop event."],
      businessDays: 5,
      expectedVersion: c.version,
    });
    expect(asked.status).toBe(201);
    expect(asked.body.state).toBe("awaiting_customer");
    expect(asked.body.clockPaused).toBe(true);
    const rfi = asked.body.informationRequests[0]!;
    expect(rfi.dueDate).toBe("2026-05-11");
    expect(rfi.dueAt).toBe("2026-05-12T04:00:00.000Z");

    // Three business days pass before the customer answers: the due date moves by three.
    await setClock("2026-05-07T15:00:00.000Z");
    const answered = await api<CaseDetail>(
      "POST",
      `/cases/${id}/information-requests/${rfi.id}/answer`,
      owner,
      {
        answer: "Stopped at 2026-04-16T00:00:00Z; the CloudTrail event is attached.",
        evidence: [
          {
            kind: "transcript",
            label: "CloudTrail StopInstances event",
            text: "eventTime: 2026-04-16T00:00:00Z StopInstances i-0a1",
          },
        ],
      },
    );
    expect(answered.status).toBe(200);
    expect(answered.body.state).toBe("in_review");
    expect(answered.body.clockPaused).toBe(false);
    expect(answered.body.expectedDecisionBy?.date).toBe("2026-05-21");
    expect(answered.body.evidence.some((e) => e.kind === "transcript")).toBe(true);

    // Not overdue yet: the customer may not escalate.
    expect((await api<Problem>("POST", `/cases/${id}/escalate`, owner, {})).status).toBe(403);
    await setClock("2026-05-22T12:00:00.000Z");
    c = await getCase(id);
    expect(c.overdue).toBe(true);
    const queue = await api<{ items: CaseSummary[] }>("GET", "/cases?overdue=true", reviewer);
    expect(queue.body.items.map((x) => x.id)).toContain(id);
    const escalated = await api<CaseSummary>("POST", `/cases/${id}/escalate`, owner, {});
    expect(escalated.status).toBe(200);
    expect(escalated.body).toMatchObject({ state: "escalated", assignedRole: "senior_reviewer" });

    // A reviewer may no longer decide it; the senior reviewer decides a partial refund for 16–30 April.
    const body = {
      outcome: "partial_refund",
      proration: { from: "2026-04-16T00:00:00Z", to: "2026-05-01T00:00:00Z" },
      rationale:
        "The instance was stopped on 16 April (CloudTrail); the second half of April is refunded pro rata.",
      clauses: ["billing-errors-refunded"],
    };
    expect((await api<Problem>("POST", `/cases/${id}/decision`, reviewer, body)).status).toBe(403);
    const decided = await api<CaseDetail>("POST", `/cases/${id}/decision`, senior, body);
    expect(decided.status).toBe(200);
    expect(decided.body.state).toBe("decided");
    // 72.00 × 15 days / 30 days, computed, never typed.
    expect(decided.body.decisions[0]).toMatchObject({ outcome: "partial_refund", amount: "36.00" });
    expect(decided.body.timeline.every((t) => /[+-]\d\d:\d\d$/.test(t.atLocal))).toBe(true);
    await setClock("2026-05-04T10:00:00.000Z");
  });

  it("denies, takes an appeal only with something new, hands it to a different reviewer, and closes the case with the final decision", async () => {
    const filed = await fileCase({
      items: [{ chargeId: charge[8] }],
      reason: "other",
      summary: "RDS db-orders was too slow in April",
      description: "Performance of db-orders on invoice INV-2026-04 was below our expectations all month.",
    });
    const id = filed.body.cases[0]!.id;
    await server.worker.drain();
    const claimed = await api<CaseSummary>("POST", `/cases/${id}/claim`, reviewer, {});
    expect(claimed.status).toBe(200);
    const denied = await api<CaseDetail>("POST", `/cases/${id}/decision`, reviewer, {
      outcome: "denied",
      rationale: "Slow performance is not a billing error and the instance ran all month as billed.",
      clauses: ["billing-errors-refunded"],
    });
    expect(denied.body.state).toBe("decided");
    expect(denied.body.decisions[0]).toMatchObject({ outcome: "denied", amount: null, final: false });
    const reviewerId = await userId("reviewer@nimbus.example");
    const seniorId = await userId("senior@nimbus.example");

    const nothingNew = await api<Problem>("POST", `/cases/${id}/appeal`, owner, {
      argument: "Please look again.",
    });
    expect(nothingNew.status).toBe(400);
    expect(nothingNew.body.errors?.[0]?.code).toBe("nothing_new");
    const appealed = await api<CaseSummary>("POST", `/cases/${id}/appeal`, owner, {
      argument:
        "AWS's own health dashboard shows a storage degradation for db-orders between 10 and 12 April.",
    });
    expect(appealed.status).toBe(200);
    expect(appealed.body.state).toBe("appealed");
    expect(appealed.body.assigneeId).toBe(seniorId);
    expect(appealed.body.assigneeId).not.toBe(reviewerId);

    expect((await api("POST", `/cases/${id}/claim`, reviewer, {})).status).toBe(403);
    const second = await api<CaseSummary>("POST", `/cases/${id}/claim`, senior, {});
    expect(second.body.state).toBe("in_second_review");
    const byFirst = await api<Problem>("POST", `/cases/${id}/decision`, reviewer, {
      outcome: "account_credit",
      amount: "12.00",
      rationale: "Credit for the degraded days after reconsideration.",
      clauses: ["billing-errors-refunded"],
    });
    expect(byFirst.status).toBe(403);
    const final = await api<CaseDetail>("POST", `/cases/${id}/decision`, senior, {
      outcome: "account_credit",
      amount: "12.00",
      rationale:
        "Three days of degraded storage are credited (3/30 of the charge), as a goodwill account credit.",
      clauses: ["billing-errors-refunded"],
      credit: { services: ["Amazon Relational Database Service"], regions: ["us-east-1"] },
    });
    expect(final.status).toBe(200);
    expect(final.body.state).toBe("closed");
    expect(final.body.decisions.map((d) => [d.sequence, d.outcome, d.final])).toEqual([
      [1, "denied", false],
      [2, "account_credit", true],
    ]);
    // Final: no further appeal.
    const again = await api<Problem>("POST", `/cases/${id}/appeal`, owner, {
      argument: "One more argument that is long enough.",
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("invalid_transition");
  });

  it("pays only the difference when an appeal raises a partial refund, and the books balance", async () => {
    const filed = await fileCase({
      items: [{ chargeId: charge[11] }],
      summary: "EBS vol-0b2 billed after it was deleted",
      description: "Volume vol-0b2 was deleted on 2026-04-16T00:00Z; invoice INV-2026-04 bills all of April.",
    });
    const id = filed.body.cases[0]!.id;
    await server.worker.drain();
    const partial = await api<CaseDetail>("POST", `/cases/${id}/decision`, reviewer, {
      outcome: "partial_refund",
      proration: { from: "2026-04-16T00:00:00Z", to: "2026-05-01T00:00:00Z" },
      rationale: "The volume was deleted on 16 April; the rest of April is refunded pro rata.",
      clauses: ["billing-errors-refunded"],
    });
    expect(partial.body.decisions[0]).toMatchObject({ outcome: "partial_refund", amount: "100.00" });
    const appealed = await api<CaseSummary>("POST", `/cases/${id}/appeal`, owner, {
      argument: "The volume never held data: it was created by mistake, so none of April should be billed.",
    });
    expect(appealed.status).toBe(200);
    await api("POST", `/cases/${id}/claim`, senior, {});
    const final = await api<CaseDetail>("POST", `/cases/${id}/decision`, senior, {
      outcome: "refund_original_method",
      amount: "200.00",
      rationale: "The volume was created by mistake and never used: the whole charge is refunded.",
      clauses: ["billing-errors-refunded"],
    });
    expect(final.body.state).toBe("closed");
    const payouts = await db()
      .selectFrom("payouts")
      .select(["amount_minor"])
      .where("case_id", "=", id)
      .orderBy("id")
      .execute();
    expect(payouts.map((p) => Number(p.amount_minor))).toEqual([10000, 10000]);
    const sums = await db()
      .selectFrom("journal_lines")
      .select(["currency", (eb) => eb.fn.sum<string>("amount_minor").as("total")])
      .groupBy("currency")
      .execute();
    for (const s of sums) expect(Number(s.total)).toBe(0);
  });

  it("sends an escalated amount to a senior reviewer and lets exactly one of two concurrent decisions win", async () => {
    const big = await fileCase({
      items: [{ chargeId: charge[5] }],
      summary: "Redshift rs-cluster-1 billed after deletion",
    });
    await server.worker.drain();
    const escalated = await getCase(big.body.cases[0]!.id);
    expect(escalated).toMatchObject({ state: "escalated", assignedRole: "senior_reviewer" });

    const filed = await fileCase({
      items: [{ chargeId: charge[10] }],
      summary: "CloudFront dist-1 requests billed twice",
    });
    const id = filed.body.cases[0]!.id;
    await server.worker.drain();
    const c = await getCase(id);
    const decision = (who: string) => ({
      outcome: "account_credit",
      rationale: `Decided by the ${who}: the requests were double counted by the CDN's log pipeline.`,
      clauses: ["billing-errors-refunded"],
      expectedVersion: c.version,
    });
    const [a, b] = await Promise.all([
      api<Problem>("POST", `/cases/${id}/decision`, reviewer, decision("reviewer")),
      api<Problem>("POST", `/cases/${id}/decision`, senior, decision("senior reviewer")),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const decisions = await db().selectFrom("decisions").select("id").where("case_id", "=", id).execute();
    expect(decisions).toHaveLength(1);
  });

  it("counts the no-reason refund once per verified identity across two accounts of one person", async () => {
    await verifyKyc(dataLake, "x 123-4567");
    const first = await fileCase({
      items: [{ chargeId: charge[6] }],
      reason: "accidental_purchase",
      summary: "Bought ECS i-bp1aaa by mistake",
      description:
        "Subscription i-bp1aaa on invoice INV-2026-05 was bought by mistake on 2026-05-01T09:00+08:00.",
    });
    await server.worker.drain();
    let c = await getCase(first.body.cases[0]!.id);
    expect(c.state).toBe("in_review");
    expect(c.review?.policy).toMatchObject({
      eligible: true,
      clauses: ["alibaba-five-day-no-reason-refund"],
    });
    expect(c.riskSignals).toContain("identity_link_unreviewed");
    const ok = await api<CaseDetail>("POST", `/cases/${c.id}/decision`, reviewer, {
      outcome: "refund_original_method",
      rationale: "New subscription cancelled within five days of purchase: no-reason refund.",
      clauses: ["alibaba-five-day-no-reason-refund"],
    });
    expect(ok.body.state).toBe("decided");

    const second = await fileCase({
      accountId: dataLake,
      items: [{ chargeId: charge[7] }],
      reason: "accidental_purchase",
      summary: "Bought ECS i-bp1bbb by mistake",
      description:
        "Subscription i-bp1bbb on invoice INV-2026-05 was bought by mistake on 2026-05-02T09:00+08:00.",
    });
    await server.worker.drain();
    c = await getCase(second.body.cases[0]!.id);
    expect(c.review?.policy.eligible).toBe(false);
    expect(c.review?.policy.exclusion?.clauseId).toBe("alibaba-five-day-no-reason-refund");
    expect(c.riskSignals).toContain("no_reason_refund_already_used");
  });

  it("holds a refund to the original method until KYC is verified, then applies the reviewer's decision", async () => {
    const filed = await fileCase({
      accountId: billing,
      items: [{ chargeId: charge[9] }],
      summary: "Support plan billed after downgrade",
      description:
        "We downgraded to Basic support on 2026-03-31T17:00Z; invoice INV-2026-04 bills Business support.",
    });
    const id = filed.body.cases[0]!.id;
    await server.worker.drain();
    const held = await api<CaseDetail>("POST", `/cases/${id}/decision`, reviewer, {
      outcome: "refund_original_method",
      rationale: "The downgrade was confirmed by the account team; April's Business support fee is refunded.",
      clauses: ["billing-errors-refunded"],
    });
    expect(held.status).toBe(200);
    expect(held.body.state).toBe("awaiting_verification");
    expect(held.body.decisions).toHaveLength(0);
    await server.worker.drain();
    await verifyKyc(billing, "HRB-99887", "Acme Analytics Ltd", "enterprise");
    await server.worker.drain();
    const released = await getCase(id);
    expect(released.state).toBe("decided");
    expect(released.decisions[0]).toMatchObject({ outcome: "refund_original_method", amount: "500.00" });
    expect(released.decisions[0]!.decidedBy).toBe(await userId("reviewer@nimbus.example"));
  });

  it("lets a support agent log a phone request for a confirmed customer contact, and keeps others out", async () => {
    const unconfirmed = await fileCase(
      {
        items: [{ chargeId: charge[3] }],
        channel: "phone",
        onBehalfOf: { contact: "owner@acme.example", contactConfirmed: false },
      },
      agent,
    );
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.errors?.[0]?.code).toBe("not_confirmed");
    expect((await fileCase({ items: [{ chargeId: charge[3] }] }, agent)).status).toBe(400);
    const filed = await fileCase(
      {
        items: [{ chargeId: charge[3], amount: "10.00" }],
        reason: "duplicate_charge",
        channel: "phone",
        onBehalfOf: { contact: "+1 555 0100 (Olivia Owner)", contactConfirmed: true },
      },
      agent,
    );
    expect(filed.status).toBe(201);
    const c = await getCase(filed.body.cases[0]!.id, owner);
    expect(c.channel).toBe("phone");
    expect(c.onBehalfOf).toBe("+1 555 0100 (Olivia Owner)");
    expect((await fileCase({ items: [{ chargeId: charge[3] }] }, viewer)).status).toBe(403);
    expect((await fileCase({ items: [{ chargeId: charge[3] }] }, globexOwner)).status).toBe(404);
    expect((await api("GET", `/cases/${c.id}`, globexOwner)).status).toBe(404);
  });

  it("never reserves more than a charge's refundable remainder, and numbers tickets in sequence", async () => {
    // Line 4's 40.00 is wholly held by the fast-tracked duplicate case.
    const over = await fileCase({ items: [{ chargeId: charge[4], amount: "0.01" }] });
    expect(over.status).toBe(400);
    expect(over.body.errors?.[0]).toMatchObject({
      field: "items/0/amount",
      code: "amount_exceeds_refundable",
    });
    const before = await db().selectFrom("cases").select("id").execute();
    const split = await fileCase({
      items: [
        { chargeId: charge[3], amount: "5.00" },
        { chargeId: charge[2], amount: "99.00" },
      ],
    });
    expect(split.status).toBe(400);
    expect(await db().selectFrom("cases").select("id").execute()).toHaveLength(before.length);

    const tickets = (
      await db().selectFrom("cases").select("ticket_number").where("ticket_number", "is not", null).execute()
    )
      .map((r) => r.ticket_number!)
      .sort();
    expect(new Set(tickets).size).toBe(tickets.length);
    expect(tickets[0]).toBe("RD-2026-000001");
    expect(tickets.at(-1)).toBe(`RD-2026-${String(tickets.length).padStart(6, "0")}`);
  });

  it("files one linked case per line item, honours Idempotency-Key and refuses illegal transitions with 409", async () => {
    const body = {
      accountId: production,
      items: [
        { chargeId: charge[3], amount: "1.00" },
        { chargeId: charge[2], amount: "1.00" },
      ],
      reason: "billing_error",
      desiredOutcome: "account_credit",
      summary: "Two line items on invoice INV-2026-04",
      description: "Both i-0a1 and bucket-logs on INV-2026-04 were billed at the wrong price.",
      impactStatement: "Small overcharge.",
    };
    const a = await api<Filed>("POST", "/cases", owner, body, "cases-idem-1");
    const b = await api<Filed>("POST", "/cases", owner, body, "cases-idem-1");
    expect(a.status).toBe(201);
    expect(b.body).toEqual(a.body);
    expect(a.body.cases).toHaveLength(2);
    expect(a.body.lint.map((l) => l.code)).toContain("unrelated_line_items");
    const rows = await db()
      .selectFrom("cases")
      .select("id")
      .where("request_id", "=", a.body.requestId)
      .execute();
    expect(rows).toHaveLength(2);

    const id = a.body.cases[0]!.id;
    const before = await getCase(id);
    const illegal = await api<Problem>("POST", `/cases/${id}/appeal`, owner, {
      argument: "An argument that is certainly long enough.",
    });
    expect(illegal.status).toBe(409);
    expect(illegal.body.code).toBe("invalid_transition");
    expect(await getCase(id)).toEqual(before);
  });

  it("lints a draft in the request builder before submission", async () => {
    const res = await api<{
      request: { subject: string; executiveSummary: string };
      lint: Array<{ code: string }>;
    }>("POST", "/cases/preview", owner, {
      accountId: production,
      items: [{ chargeId: charge[2] }],
      reason: "billing_error",
      desiredOutcome: "refund_original_method",
      summary: "Maybe we were billed too much",
      description: "I think the instance stopped at 14:30 on 16 April, not sure.",
      impactStatement: "",
    });
    expect(res.status).toBe(200);
    const codes = res.body.lint.map((l) => l.code);
    expect(codes).toContain("vague_language");
    expect(codes).toContain("time_without_zone");
    expect(codes).toContain("claim_without_evidence");
    expect(res.body.request.subject).toContain("i-0a1");
  });

  it("stores evidence files by content and refuses files that are not what they claim", async () => {
    const filed = await fileCase({ items: [{ chargeId: charge[2], amount: "1.00" }] });
    const id = filed.body.cases[0]!.id;
    const upload = (filename: string, data: Buffer) => {
      const form = multipart([{ name: "file", filename, contentType: "application/octet-stream", data }]);
      return call<{ id: string; contentType: string; sha256: string } & Problem>(
        server.baseUrl,
        "POST",
        `/cases/${id}/evidence/files`,
        {
          as: owner,
          rawBody: form.body,
          headers: { "content-type": form.contentType },
        },
      );
    };
    const png = await upload("screenshot.png", PNG);
    expect(png.status).toBe(201);
    expect(png.body.contentType).toBe("image/png");
    const json = await upload("events.json", Buffer.from('{"event":"StopInstances"}'));
    expect(json.body.contentType).toBe("application/json");
    expect((await upload("invoice.txt", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]))).status).toBe(415);
    expect((await upload("notes.json", Buffer.from("not json"))).status).toBe(415);
    const content = await call(server.baseUrl, "GET", `/cases/${id}/evidence/${png.body.id}/content`, {
      as: reviewer,
    });
    expect(content.status).toBe(200);
    expect(
      existsSync(
        join(server.services.config.dataDir, "evidence", png.body.sha256.slice(0, 2), png.body.sha256),
      ),
    ).toBe(true);
  });

  it("counts a request for information's deadline in Chinese business days across National Day, and withdraws the case without a reply", async () => {
    await setClock("2026-09-29T02:00:00.000Z"); // Tuesday 10:00 in Shanghai
    const globexBilling = await login(server.baseUrl, "billing@globex.example");
    const filed = await api<Filed>("POST", "/cases", globexBilling, {
      accountId: server.world.customers.globex.memberAccountIds[0],
      items: [{ chargeId: charge[1002] }],
      reason: "sla_breach",
      desiredOutcome: "account_credit",
      summary: "ECS i-uf6ccc unavailable in September",
      description:
        "Instance i-uf6ccc in cn-shanghai was unreachable from 2026-09-20T08:00+08:00 to 2026-09-20T20:00+08:00.",
      impactStatement: "Our shop was offline for 12 hours.",
    });
    expect(filed.status).toBe(201);
    const id = filed.body.cases[0]!.id;
    await server.worker.drain();
    const asked = await api<CaseDetail>("POST", `/cases/${id}/information-requests`, reviewer, {
      questions: ["Please send the ping logs showing the outage."],
      businessDays: 5,
    });
    expect(asked.status).toBe(201);
    // Sep 30, Oct 8, Oct 9, Oct 10 (a make-up Saturday), Oct 12: National Day week does not count.
    const rfi = asked.body.informationRequests[0]!;
    expect(rfi).toMatchObject({
      dueDate: "2026-10-12",
      dueAt: "2026-10-12T16:00:00.000Z",
      remindAt: "2026-10-09T01:00:00.000Z",
    });

    await setClock("2026-10-09T01:00:00.000Z");
    await server.worker.drain();
    const mail = join(server.services.config.dataDir, "mail");
    const reminders = () =>
      readdirSync(mail)
        .map((f) => readFileSync(join(mail, f), "utf8"))
        .filter((m) => m.includes("Reminder: your answer is due"));
    expect(reminders()).toHaveLength(1);
    expect((await getCase(id, globexOwner)).state).toBe("awaiting_customer");

    await setClock("2026-10-12T16:00:00.000Z");
    await server.worker.drain();
    const withdrawn = await getCase(id, globexOwner);
    expect(withdrawn.state).toBe("withdrawn");
    expect(withdrawn.informationRequests[0]!.status).toBe("expired");
    expect(withdrawn.timeline.at(-1)?.atLocal).toBe("2026-10-13T00:00:00.000+08:00");
  });

  it("counts a US deadline across Thanksgiving", async () => {
    await setClock("2026-11-25T20:00:00.000Z"); // Wednesday 15:00 in New York
    const filed = await fileCase({
      items: [{ chargeId: charge[3], amount: "1.00" }],
      reason: "duplicate_charge",
    });
    const id = filed.body.cases[0]!.id;
    await server.worker.drain();
    const asked = await api<CaseDetail>("POST", `/cases/${id}/information-requests`, reviewer, {
      questions: ["Which of the two charges do you consider the duplicate?"],
      businessDays: 3,
    });
    // Thursday 26 November is Thanksgiving: Fri 27, Mon 30, Tue 1 December.
    expect(asked.body.informationRequests[0]).toMatchObject({
      dueDate: "2026-12-01",
      dueAt: "2026-12-02T05:00:00.000Z",
    });
  });
});
