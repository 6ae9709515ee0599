import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { importFile } from "../src/imports/import-file.js";
import { DEFAULT_POLICY } from "../src/policy/default-policy.js";
import { parseReviewPolicy } from "../src/policy/load-policy.js";
import { DEFAULT_REVIEW_POLICY, type ReviewPolicy } from "../src/policy/review-policy.js";
import { AppError } from "../src/shared/errors.js";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

/**
 * The provider's own policies (REFUND_DESK_POLICY, REFUND_DESK_REVIEW_POLICY) are the ones the
 * service reviews, decides and dates by: checked through the API on both engines, and the files'
 * validation at start.
 */
const engines = await testEngines();

const HEADER =
  "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,RegionId,ResourceId,SkuId,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,BilledCost,BillingCurrency,InvoiceId";
// The same S3 charge twice: the audit finds a duplicate of 40.00, which the shipped policy fast-tracks.
const DUPLICATE =
  "100000000001,100000000002,Acme — production,AWS,Amazon Simple Storage Service,us-east-1,bucket-logs,TimedStorage,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,1000,GB-Mo,40.00,USD,INV-2026-04";

const REVIEW: ReviewPolicy = {
  ...DEFAULT_REVIEW_POLICY,
  fastTrack: { ...DEFAULT_REVIEW_POLICY.fastTrack, maxAmount: { default: "10.00" } },
  targets: { fastTrackBusinessDays: 2, standardBusinessDays: 3 },
  informationRequest: { defaultBusinessDays: 4, maxBusinessDays: 8, reminderBusinessDaysBefore: 1 },
  appealWindowDays: 14,
};

describe.each(engines)("configured policies on %s", (engine) => {
  let server: TestServer;
  let dir: string;
  let owner: Caller;
  let reviewer: Caller;

  beforeAll(async () => {
    server = await startTestServer(engine, {
      policy: { ...DEFAULT_POLICY, version: "nimbus-2027.1" },
      reviewPolicy: REVIEW,
    });
    dir = mkdtempSync(join(tmpdir(), "refund-desk-policy-"));
    writeFileSync(join(dir, "bill.csv"), `${HEADER}\n${DUPLICATE}\n${DUPLICATE}\n`);
    await importFile(
      server.services,
      { actor: "system:test", requestId: null },
      {
        organisationId: server.world.customers.acme.organisationId,
        kind: "charges",
        path: join(dir, "bill.csv"),
        fileName: "bill.csv",
        onInvalid: "fail",
      },
    );
    await server.worker.drain();
    owner = await login(server.baseUrl, "owner@acme.example");
    reviewer = await login(server.baseUrl, "reviewer@nimbus.example");
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("dates, reviews, asks and decides by the provider's policies, and records their version", async () => {
    const org = server.world.customers.acme.organisationId;
    const findings = await call<{ items: Array<{ id: string; amount: string }> }>(
      server.baseUrl,
      "GET",
      `/organisations/${org}/findings?kind=duplicate_charge`,
      { as: owner },
    );
    const finding = findings.body.items[0]!;
    expect(finding.amount).toBe("40.00");
    const filed = await call<{ cases: Array<{ id: string; expectedDecisionBy: { date: string } }> }>(
      server.baseUrl,
      "POST",
      `/organisations/${org}/findings/${finding.id}/case`,
      { as: owner, body: {} },
    );
    expect(filed.status).toBe(201);
    const id = filed.body.cases[0]!.id;
    // Filed Monday 2026-05-04: three US business days, not the shipped ten.
    expect(filed.body.cases[0]!.expectedDecisionBy.date).toBe("2026-05-07");
    await server.worker.drain();
    type Detail = {
      state: string;
      version: number;
      fastTrack: boolean;
      informationRequests: Array<{ id: string; businessDays: number }>;
      decisions: Array<{ policyVersion: string; appealBy: string | null }>;
    };
    const read = async () =>
      (await call<Detail>(server.baseUrl, "GET", `/cases/${id}`, { as: reviewer })).body;
    // 40.00 is above this provider's fast-track limit of 10.00: a reviewer decides.
    let c = await read();
    expect(c).toMatchObject({ state: "in_review", fastTrack: false });

    const asked = await call<Detail>(server.baseUrl, "POST", `/cases/${id}/information-requests`, {
      as: reviewer,
      body: {
        questions: ["Which of the two charges did your bank statement show?"],
        expectedVersion: c.version,
      },
    });
    expect(asked.status).toBe(201);
    expect(asked.body.informationRequests[0]!.businessDays).toBe(4);
    const beyond = await call<{ code: string }>(server.baseUrl, "POST", `/cases/${id}/information-requests`, {
      as: reviewer,
      body: { questions: ["And?"], businessDays: 9, expectedVersion: asked.body.version },
    });
    expect(beyond.status).toBe(400);

    const answered = await call<Detail>(
      server.baseUrl,
      "POST",
      `/cases/${id}/information-requests/${asked.body.informationRequests[0]!.id}/answer`,
      { as: owner, body: { answer: "Both, on the same day." } },
    );
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    c = await read();
    const decided = await call<Detail>(server.baseUrl, "POST", `/cases/${id}/decision`, {
      as: reviewer,
      body: {
        // A credit: a refund to the card would wait for the account's KYC, which this test leaves out.
        outcome: "account_credit",
        rationale: "The same storage charge was billed twice for April.",
        clauses: ["duplicate-charge"],
        expectedVersion: c.version,
      },
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body.state).toBe("decided");
    const decision = decided.body.decisions.at(-1)!;
    expect(decision.policyVersion).toBe("nimbus-2027.1");
    // Appeals within this provider's 14 calendar days.
    expect(decision.appealBy).toBe("2026-05-18T10:00:00.000Z");
  });
});

describe("policy files at start", () => {
  const dir = mkdtempSync(join(tmpdir(), "refund-desk-policy-files-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = (extra: Record<string, string>) => ({ REFUND_DESK_DATA_DIR: dir, ...extra });
  const quiet = { warn: () => {} };

  it("reads REFUND_DESK_POLICY and REFUND_DESK_REVIEW_POLICY; the shipped ones otherwise", () => {
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ ...DEFAULT_POLICY, version: "custom-1" }));
    writeFileSync(join(dir, "review.json"), JSON.stringify(REVIEW));
    const config = loadConfig(
      env({
        REFUND_DESK_POLICY: join(dir, "policy.json"),
        REFUND_DESK_REVIEW_POLICY: join(dir, "review.json"),
      }),
      quiet,
    );
    expect(config.policy.version).toBe("custom-1");
    expect(config.reviewPolicy).toEqual(REVIEW);
    const shipped = loadConfig(env({}), quiet);
    expect(shipped.policy).toBe(DEFAULT_POLICY);
    expect(shipped.reviewPolicy).toBe(DEFAULT_REVIEW_POLICY);
  });

  it("refuses to start on a bad file, naming each problem by its place", () => {
    const bad = {
      ...REVIEW,
      fastTrack: { ...REVIEW.fastTrack, findingKinds: ["free_money"], maxAmount: { USD: "-1" } },
      targets: { fastTrackBusinessDays: 2, standardBusinessDays: 3, slow: 9 },
    };
    const file = join(dir, "bad-review.json");
    writeFileSync(file, JSON.stringify(bad));
    let error: unknown;
    try {
      loadConfig(env({ REFUND_DESK_REVIEW_POLICY: file }), quiet);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    const lines = (error as AppError).message.split("\n");
    expect(lines.some((l) => l.startsWith(`${file}: $.fastTrack.findingKinds[0]: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}: $.fastTrack.maxAmount.default: is required`))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}: $.targets.slow: is not a field`))).toBe(true);
    expect(() => loadConfig(env({ REFUND_DESK_POLICY: join(dir, "missing.json") }), quiet)).toThrow(
      /missing\.json: \$: cannot be read \(ENOENT\)/,
    );
  });

  it("ships docs/review-policy.json as the default review policy, valid as a file", () => {
    const file = join(import.meta.dirname, "..", "docs", "review-policy.json");
    expect(loadConfig(env({ REFUND_DESK_REVIEW_POLICY: file }), quiet).reviewPolicy).toEqual(
      DEFAULT_REVIEW_POLICY,
    );
  });

  it("checks amounts and the request-for-information days against each other", () => {
    const at = (doc: unknown) => {
      try {
        parseReviewPolicy(JSON.stringify(doc), "review.json");
        return [];
      } catch (e) {
        return (e as AppError).message.split("\n");
      }
    };
    expect(at(DEFAULT_REVIEW_POLICY)).toEqual([]);
    expect(at({ ...REVIEW, seniorReviewAbove: { default: "-5" } })).toContain(
      "review.json: $.seniorReviewAbove.default: -5 must not be negative",
    );
    expect(
      at({
        ...REVIEW,
        informationRequest: { defaultBusinessDays: 5, maxBusinessDays: 4, reminderBusinessDaysBefore: 1 },
      }),
    ).toContain(
      "review.json: $.informationRequest.defaultBusinessDays: must be from 1 to maxBusinessDays (4)",
    );
    expect(
      at({
        ...REVIEW,
        informationRequest: { defaultBusinessDays: 2, maxBusinessDays: 4, reminderBusinessDaysBefore: 2 },
      }),
    ).toHaveLength(1);
  });
});
