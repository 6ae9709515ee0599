import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveFinanceTask } from "../src/reconciliation/finance-tasks.js";
import { importSettlement } from "../src/reconciliation/import-settlement.js";
import { type PayoutRecord, reconcileSettlement } from "../src/reconciliation/match-settlement.js";
import { parseSettlementCsv } from "../src/reconciliation/settlement-csv.js";
import { fixedClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { AppError } from "../src/shared/errors.js";
import type { PayoutTable } from "../src/store/schema.js";
import { runCli } from "./support/cli.js";
import { type Caller, call, login } from "./support/client.js";
import { openTestStore, type TestStore, testEngines } from "./support/engines.js";
import { type PayoutFixture, seedOrganisation, seedPayout, TEST_CTX } from "./support/ledger-fixtures.js";
import { startTestServer, TEST_SECRET_KEY, type TestServer, testConfig } from "./support/server.js";

/**
 * Reconciling the gateway's settlement file against our payouts and ledger, on both engines.
 * Payouts and their ledger entries are written straight to the store (as the decision and payout
 * flows would), each test on its own settlement day so "missing from the file" stays its own.
 */
const engines = await testEngines();

const HEADER =
  "settlement_date,gateway_refund_id,idempotency_key,payment_id,type,amount_minor,currency,status,fee_minor";
const csv = (...lines: string[]) => `${HEADER}\n${lines.map((l) => `${l}\n`).join("")}`;
/** One settlement line as the gateway writes it. */
const line = (
  date: string,
  p: Pick<PayoutTable, "id"> & { gateway_refund_id?: string | null },
  o: {
    amount: bigint | string;
    currency?: string;
    status?: string;
    key?: string;
    fee?: string;
    type?: string;
  },
) =>
  [
    date,
    p.gateway_refund_id ?? "",
    o.key ?? p.id,
    "pay_fixture",
    o.type ?? "refund",
    String(o.amount),
    o.currency ?? "USD",
    o.status ?? "succeeded",
    o.fee ?? "30",
  ].join(",");

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

describe("parseSettlementCsv", () => {
  it("reads every line with the line it starts on (BOM, CRLF, blank lines, a quoted field)", () => {
    const text =
      `\uFEFF${HEADER}\r\n` +
      "2026-05-04,re_1,po_01jabcdefghjkmnpqrstvwxyz0,pay_1,refund,1250,usd,succeeded,30\r\n" +
      "\r\n" +
      '2026-05-04,re_2,"po_01jabcdefghjkmnpqrstvwxyz1",pay_2,refund,99000,JPY,FAILED,0\r\n' +
      "2026-05-04,re_3,,pay_3,refund,5,KWD,succeeded,0\r\n";
    const file = parseSettlementCsv(Buffer.from(text), "s.csv");
    expect(file.settlementDate).toBe("2026-05-04");
    expect(file.lines.map((l) => [l.line, l.gatewayRefundId, l.amountMinor, l.currency, l.status])).toEqual([
      [2, "re_1", 1250n, "USD", "succeeded"],
      [4, "re_2", 99000n, "JPY", "failed"],
      [5, "re_3", 5n, "KWD", "succeeded"],
    ]);
    // A record spanning lines is reported at the line it starts on.
    const spanning = `${HEADER}\n\n2026-05-04,re_1,,"pay\n1",refund,5,USD,succeeded,0\n2026-05-04,re_2,,p,refund,x,USD,succeeded,0\n`;
    expect(
      thrown(() => parseSettlementCsv(Buffer.from(spanning), "s.csv")).fieldErrors.map((f) => f.field),
    ).toEqual(["s.csv:3:payment_id", "s.csv:5:amount_minor"]);
  });

  it("names the file, line 1 and the column when a column is missing", () => {
    const e = thrown(() =>
      parseSettlementCsv(
        Buffer.from(
          "settlement_date,gateway_refund_id,idempotency_key,payment_id,type,currency,status,fee_minor\n",
        ),
        "day.csv",
      ),
    );
    expect(e.code).toBe("validation_failed");
    expect(e.message).toMatch(/^day\.csv:1: column amount_minor: expected a column named amount_minor/);
    expect(e.extensions).toMatchObject({ file: "day.csv", line: 1, column: "amount_minor" });
  });

  it("names the line and column of a non-integer amount, and reports every bad line at once", () => {
    const e = thrown(() =>
      parseSettlementCsv(
        Buffer.from(
          csv(
            "2026-05-04,re_1,,pay,refund,12.50,USD,succeeded,0",
            "2026-05-04,re_2,,pay,refund,100,usd,succeeded,0",
            "2026-05-04,re_3,,pay,refund,100,XXY,pending,-1",
          ),
        ),
        "day.csv",
      ),
    );
    expect(e.message).toBe(
      'day.csv:2: column amount_minor: expected a positive whole number of minor units (no decimal point), such as 1250, found "12.50" (and 3 more problems); nothing was imported',
    );
    expect(e.extensions).toMatchObject({
      file: "day.csv",
      line: 2,
      column: "amount_minor",
      found: '"12.50"',
    });
    expect(e.fieldErrors.map((f) => f.field)).toEqual([
      "day.csv:2:amount_minor",
      "day.csv:4:fee_minor",
      "day.csv:4:currency",
      "day.csv:4:status",
    ]);
  });

  it("refuses a file that mixes settlement days, a line without any id, a short line and an open quote", () => {
    expect(
      thrown(() =>
        parseSettlementCsv(
          Buffer.from(
            csv("2026-05-04,re_1,,p,refund,1,USD,succeeded,0", "2026-05-05,re_2,,p,refund,1,USD,succeeded,0"),
          ),
          "d.csv",
        ),
      ).message,
    ).toMatch(/^d\.csv:3: column settlement_date: expected 2026-05-04, the date of line 2/);
    expect(
      thrown(() => parseSettlementCsv(Buffer.from(csv("2026-05-04,,,p,refund,1,USD,succeeded,0")), "d.csv"))
        .message,
    ).toMatch(/^d\.csv:2: column gateway_refund_id: expected a gateway refund id/);
    expect(
      thrown(() => parseSettlementCsv(Buffer.from(csv("2026-05-04,re_1,,p,refund")), "d.csv")).message,
    ).toMatch(/^d\.csv:2: expected 9 fields, as the header has, found 5/);
    expect(
      thrown(() =>
        parseSettlementCsv(Buffer.from(csv('2026-05-04,"re_1,,p,refund,1,USD,succeeded,0')), "d.csv"),
      ).message,
    ).toMatch(/^d\.csv:\d+: expected a closing quote/);
    expect(thrown(() => parseSettlementCsv(Buffer.from(""), "d.csv")).message).toMatch(
      /^d\.csv:1: expected a header/,
    );
    expect(thrown(() => parseSettlementCsv(Buffer.from([0xff, 0xfe, 0x00]), "d.csv")).message).toMatch(
      /UTF-8/,
    );
  });
});

describe("reconcileSettlement", () => {
  const payout = (over: Partial<PayoutRecord>): PayoutRecord => ({
    id: "po_01jabcdefghjkmnpqrstvwxyz0",
    organisationId: "org_x",
    caseId: "case_x",
    amountMinor: 1000n,
    currency: "USD",
    status: "succeeded",
    attempt: 1,
    gatewayRefundId: "re_1",
    settledAt: "2026-05-04T10:00:00.000Z",
    paidEntry: { id: "jnl_x", amountMinor: 1000n },
    ...over,
  });

  it("takes a failed earlier attempt as matched, and flags one the gateway paid as a possible double payment", () => {
    const p = payout({ attempt: 2, gatewayRefundId: "re_2" });
    const file = parseSettlementCsv(
      Buffer.from(
        csv(
          `2026-05-04,re_1,${p.id},pay,refund,1000,USD,failed,0`,
          `2026-05-04,re_2,${p.id}:2,pay,refund,1000,USD,succeeded,30`,
        ),
      ),
      "f.csv",
    );
    expect(reconcileSettlement(file, [p]).items.map((i) => [i.result, i.matchedBy, i.note])).toEqual([
      ["matched", "idempotency_key", "attempt 1 of 2: an earlier attempt, which failed before the retry"],
      ["matched", "gateway_refund_id", null],
    ]);
    const paidTwice = parseSettlementCsv(
      Buffer.from(csv(`2026-05-04,re_1,${p.id},pay,refund,1000,USD,succeeded,0`)),
      "f.csv",
    );
    const report = reconcileSettlement(paidTwice, [p]);
    expect(report.items[0]!.differences.map((d) => d.field)).toEqual(["status"]);
    // The paid attempt itself is then missing from the file.
    expect(report.items[1]).toMatchObject({ result: "missing_in_settlement", payoutId: p.id });
  });

  it("accepts a failed card refund we turned into account credit, and flags a second line for one attempt", () => {
    const credited = payout({ status: "credited", paidEntry: null });
    const file = parseSettlementCsv(
      Buffer.from(
        csv(
          `2026-05-04,re_1,${credited.id},pay,refund,1000,USD,failed,0`,
          `2026-05-04,re_1,${credited.id},pay,refund,1000,USD,failed,0`,
        ),
      ),
      "f.csv",
    );
    const report = reconcileSettlement(file, [credited]);
    expect(report.items.map((i) => [i.result, i.differences.map((d) => d.field)])).toEqual([
      ["matched", []],
      ["mismatched", ["duplicate"]],
    ]);
  });
});

describe.each(engines)("reconciliation on %s", (engine) => {
  let t: TestStore;
  let services: Services;
  let where: { organisationId: string; accountId: string };

  beforeAll(async () => {
    t = await openTestStore(engine);
    services = {
      store: t.store,
      config: testConfig(t.dataDir),
      clock: fixedClock("2026-05-20T10:00:00.000Z"),
    };
    where = await seedOrganisation(services);
  });
  afterAll(async () => t?.cleanup());

  const pay = (p: PayoutFixture) => seedPayout(services, where, p);
  const paidOn = (date: string, p: Omit<PayoutFixture, "status"> & { status?: PayoutFixture["status"] }) =>
    pay({ status: "succeeded", settledAt: `${date}T12:00:00.000Z`, ...p });
  const reconcile = (text: string, fileName = "settlement.csv", settlementDate?: string) =>
    importSettlement(services, TEST_CTX, { fileName, content: Buffer.from(text), settlementDate });
  const tasksOf = (importId: string) =>
    services.store.db
      .selectFrom("finance_tasks")
      .selectAll()
      .where("settlement_import_id", "=", importId)
      .execute();
  const counts = async () => {
    const db = services.store.db;
    const n = async (table: "settlement_imports" | "finance_tasks" | "audit_log") =>
      Number((await db.selectFrom(table).select(sql<number>`count(*)`.as("n")).executeTakeFirstOrThrow()).n);
    return {
      imports: await n("settlement_imports"),
      tasks: await n("finance_tasks"),
      audit: await n("audit_log"),
    };
  };

  it("all matched: by gateway id, by idempotency key, failed and credited refunds; no tasks", async () => {
    const d = "2026-05-01";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d1_a" });
    // The gateway settled it before its answer reached us: we only know the key we sent.
    const b = await paidOn(d, { amountMinor: 99000n, currency: "JPY", gatewayRefundId: null });
    const c = await pay({ amountMinor: 500n, status: "failed", gatewayRefundId: "re_d1_c" });
    const e = await pay({
      amountMinor: 700n,
      status: "credited",
      gatewayRefundId: "re_d1_e",
      settledAt: `${d}T13:00:00.000Z`,
    });
    const text = csv(
      line(d, a, { amount: 1250n }),
      line(d, { id: b.id, gateway_refund_id: "re_d1_b" }, { amount: 99000n, currency: "JPY" }),
      line(d, c, { amount: 500n, status: "failed", fee: "0" }),
      line(d, e, { amount: 700n, status: "failed", fee: "0" }),
    );
    const result = await reconcile(text);
    expect(result.duplicate).toBe(false);
    expect(result.report.totals).toEqual({
      lines: 4,
      matched: 4,
      mismatched: 0,
      missingInRecords: 0,
      missingInSettlement: 0,
    });
    expect(result.report.items.map((i) => [i.line, i.payoutId, i.matchedBy])).toEqual([
      [2, a.id, "gateway_refund_id"],
      [3, b.id, "idempotency_key"],
      [4, c.id, "gateway_refund_id"],
      [5, e.id, "gateway_refund_id"],
    ]);
    expect(result.report.items[0]!.ours?.journalEntryId).toMatch(/^jnl_/);
    expect(result.report.settled).toEqual([
      { currency: "JPY", refundsMinor: "99000", refunds: "99000", feesMinor: "30", fees: "30" },
      { currency: "USD", refundsMinor: "1250", refunds: "12.50", feesMinor: "30", fees: "0.30" },
    ]);
    expect(result.import).toMatchObject({ settlement_date: d, lines: 4, matched: 4, mismatched: 0 });
    expect(await tasksOf(result.import.id)).toEqual([]);
    const audit = await services.store.db
      .selectFrom("audit_log")
      .selectAll()
      .where("subject_id", "=", result.import.id)
      .execute();
    expect(audit.map((x) => x.action)).toEqual(["reconciliation.imported"]);
  });

  it("an amount mismatch opens a finance task for finance", async () => {
    const d = "2026-05-02";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d2_a" });
    const result = await reconcile(csv(line(d, a, { amount: 1251n })));
    expect(result.report.totals).toMatchObject({ matched: 0, mismatched: 1 });
    expect(result.report.items[0]!.differences).toEqual([
      {
        field: "amount",
        ours: "1250",
        theirs: "1251",
        message: "we paid 12.50 USD, the gateway settled 12.51 USD",
      },
    ]);
    const tasks = await tasksOf(result.import.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ kind: "reconciliation_mismatch", status: "open", payout_id: a.id });
    expect(tasks[0]!.summary).toBe(`Settlement ${d} line 2: payout ${a.id} differs in amount`);
    expect(result.taskIds).toEqual([tasks[0]!.id]);
  });

  it("a currency mismatch", async () => {
    const d = "2026-05-03";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d3_a" });
    const result = await reconcile(csv(line(d, a, { amount: 1250n, currency: "EUR" })));
    expect(result.report.items[0]!.differences.map((x) => [x.field, x.ours, x.theirs])).toEqual([
      ["currency", "USD", "EUR"],
    ]);
    expect(await tasksOf(result.import.id)).toHaveLength(1);
  });

  it("a status mismatch: we hold it as succeeded, the file says it failed", async () => {
    const d = "2026-05-04";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d4_a" });
    const result = await reconcile(csv(line(d, a, { amount: 1250n, status: "failed", fee: "0" })));
    expect(result.report.items[0]).toMatchObject({ result: "mismatched", payoutId: a.id });
    expect(result.report.items[0]!.differences.map((x) => [x.field, x.ours, x.theirs])).toEqual([
      ["status", "succeeded", "failed"],
    ]);
  });

  it("a line we do not know is missing in our records", async () => {
    const d = "2026-05-05";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d5_a" });
    const result = await reconcile(
      csv(
        line(d, a, { amount: 1250n }),
        `${d},re_sim_unknown,unknown_1,pay_unknown,refund,100,USD,succeeded,0`,
      ),
    );
    expect(result.report.totals).toMatchObject({ matched: 1, missingInRecords: 1 });
    expect(result.report.items[1]).toMatchObject({
      result: "missing_in_records",
      line: 3,
      payoutId: null,
      gatewayRefundId: "re_sim_unknown",
    });
    const tasks = await tasksOf(result.import.id);
    expect(tasks.map((x) => [x.payout_id, x.summary])).toEqual([
      [null, `Settlement ${d} line 3: re_sim_unknown (1.00 USD, succeeded) is not a payout of ours`],
    ]);
  });

  it("a payout we settled that day is missing from the file (also from a header-only file)", async () => {
    const d = "2026-05-06";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d6_a" });
    const b = await paidOn(d, { amountMinor: 800n, gatewayRefundId: "re_d6_b" });
    // Settled the next day: not expected in this file.
    await paidOn("2026-05-07", { amountMinor: 1n, gatewayRefundId: "re_d7_x" });
    const result = await reconcile(csv(line(d, a, { amount: 1250n })));
    expect(result.report.totals).toMatchObject({ matched: 1, missingInSettlement: 1 });
    expect(result.report.items[1]).toMatchObject({
      result: "missing_in_settlement",
      line: null,
      payoutId: b.id,
      ours: expect.objectContaining({ amount: "8.00", status: "succeeded" }),
    });
    expect((await tasksOf(result.import.id)).map((x) => x.payout_id)).toEqual([b.id]);

    const empty = await reconcile(csv(), "empty.csv", d);
    expect(empty.report.settlementDate).toBe(d);
    expect(empty.report.items.map((i) => [i.result, i.payoutId])).toEqual(
      [a.id, b.id].sort().map((id) => ["missing_in_settlement", id]),
    );
  });

  it("a succeeded payout without its ledger entry is a ledger mismatch", async () => {
    const d = "2026-05-08";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d8_a", postPaidEntry: false });
    const result = await reconcile(csv(line(d, a, { amount: 1250n })));
    expect(result.report.items[0]!.differences).toEqual([
      {
        field: "ledger",
        ours: null,
        theirs: `payout:${a.id}:paid`,
        message: `no ledger entry payout:${a.id}:paid was posted`,
      },
    ]);
  });

  it("the same file again is a no-op that answers with the first import's result", async () => {
    const d = "2026-05-09";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d9_a" });
    const text = csv(line(d, a, { amount: 999n }));
    const first = await reconcile(text);
    const before = await counts();
    const again = await reconcile(text, "renamed.csv");
    expect(again.duplicate).toBe(true);
    expect(again.import.id).toBe(first.import.id);
    expect(again.report).toEqual(first.report);
    expect(again.taskIds).toEqual([]);
    expect(await counts()).toEqual(before);
    // Two at once: one import, one set of tasks.
    const d2 = "2026-05-10";
    const b = await paidOn(d2, { amountMinor: 10n, gatewayRefundId: "re_d10_b" });
    const race = csv(line(d2, b, { amount: 11n }));
    const both = await Promise.all([reconcile(race), reconcile(race)]);
    expect(new Set(both.map((r) => r.import.id)).size).toBe(1);
    expect(await tasksOf(both[0].import.id)).toHaveLength(1);
  });

  it("a bad file (missing column, non-integer amount) stores nothing and names line and column", async () => {
    const d = "2026-05-11";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d11_a" });
    const before = await counts();
    const missing = await reconcile(
      "settlement_date,gateway_refund_id,idempotency_key,payment_id,type,amount_minor,status,fee_minor\n" +
        `${d},re_d11_a,${a.id},pay,refund,1250,succeeded,30\n`,
      "missing-column.csv",
    ).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AppError);
    expect((missing as AppError).message).toMatch(
      /^missing-column\.csv:1: column currency: expected a column named currency/,
    );
    const fractional = await reconcile(
      csv(line(d, a, { amount: 1250n }), line(d, a, { amount: "12.50" })),
      "fractional.csv",
    ).catch((e: unknown) => e);
    expect((fractional as AppError).code).toBe("validation_failed");
    expect((fractional as AppError).extensions).toMatchObject({
      file: "fractional.csv",
      line: 3,
      column: "amount_minor",
    });
    expect(await counts()).toEqual(before);
  });

  it("finance resolves a task once, with a note kept on the task and in the audit log", async () => {
    const d = "2026-05-12";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d12_a" });
    const result = await reconcile(csv(line(d, a, { amount: 1300n })));
    const [taskId] = result.taskIds;
    const resolved = await resolveFinanceTask(
      services,
      { actor: "usr_finance", requestId: null },
      {
        taskId: taskId!,
        note: "Gateway confirmed 12.50; their report was wrong",
      },
    );
    expect(resolved).toMatchObject({ status: "resolved", resolved_by: "usr_finance" });
    expect(JSON.parse(resolved.details).resolution).toMatchObject({
      note: "Gateway confirmed 12.50; their report was wrong",
    });
    const twice = await resolveFinanceTask(services, TEST_CTX, { taskId: taskId!, note: "again" }).catch(
      (e: unknown) => e,
    );
    expect((twice as AppError).code).toBe("invalid_transition");
    const blank = await resolveFinanceTask(services, TEST_CTX, { taskId: taskId!, note: "  " }).catch(
      (e: unknown) => e,
    );
    expect((blank as AppError).fieldErrors).toEqual([
      expect.objectContaining({ field: "note", code: "required" }),
    ]);
  });

  it("refund-desk reconcile: exit 0 when all matched, 3 on mismatches, 2 on a bad file", async () => {
    const env = {
      REFUND_DESK_DATABASE_URL: t.url,
      REFUND_DESK_DATA_DIR: t.dataDir,
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
    };
    const d = "2026-05-13";
    const a = await paidOn(d, { amountMinor: 1250n, gatewayRefundId: "re_d13_a" });
    const good = join(t.dataDir, "good.csv");
    writeFileSync(good, csv(line(d, a, { amount: 1250n })));
    const ok = await runCli(["reconcile", good], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("1 lines: 1 matched, 0 mismatched");

    const d2 = "2026-05-14";
    const b = await paidOn(d2, { amountMinor: 1250n, gatewayRefundId: "re_d14_b" });
    const off = join(t.dataDir, "off.csv");
    writeFileSync(off, csv(line(d2, b, { amount: 1251n })));
    const mismatch = await runCli(["reconcile", off, "--format", "json"], env);
    expect(mismatch.code, mismatch.stderr).toBe(3);
    expect(JSON.parse(mismatch.stdout)).toMatchObject({ duplicate: false, totals: { mismatched: 1 } });
    const again = await runCli(["reconcile", off], env);
    expect(again.code).toBe(3);
    expect(again.stdout).toContain("imported before");

    const bad = join(t.dataDir, "bad.csv");
    writeFileSync(bad, csv(line(d2, b, { amount: "12.50" })));
    const refused = await runCli(["reconcile", bad], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("bad.csv:2: column amount_minor: expected a positive whole number");
  }, 120_000);
});

describe.each(engines)("reconciliation API on %s", (engine) => {
  let server: TestServer;
  let finance: Caller;
  let reviewer: Caller;
  let owner: Caller;
  let payout: PayoutTable;
  const d = "2026-05-04";

  beforeAll(async () => {
    server = await startTestServer(engine);
    finance = await login(server.baseUrl, "finance@nimbus.example");
    reviewer = await login(server.baseUrl, "reviewer@nimbus.example");
    owner = await login(server.baseUrl, "owner@acme.example");
    const acme = server.world.customers.acme;
    const where = { organisationId: acme.organisationId, accountId: acme.memberAccountIds[0]! };
    payout = await seedPayout(server.services, where, {
      amountMinor: 4500n,
      status: "succeeded",
      gatewayRefundId: "re_api_1",
      settledAt: `${d}T09:00:00.000Z`,
    });
  });
  afterAll(async () => server?.close());

  interface View {
    id: string;
    duplicate?: boolean;
    allMatched: boolean;
    totals: Record<string, number>;
    items: Array<{ result: string }>;
  }

  it("POST /reconciliations takes a JSON body, answers 201, and 200 with the same report for the same bytes", async () => {
    const body = {
      csv: csv(line(d, { id: payout.id, gateway_refund_id: "re_api_1" }, { amount: 4500n })),
      fileName: "day.csv",
    };
    const first = await call<View>(server.baseUrl, "POST", "/reconciliations", { as: finance, body });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ allMatched: true, totals: { lines: 1, matched: 1 } });
    const again = await call<View>(server.baseUrl, "POST", "/reconciliations", { as: finance, body });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: true });
    const one = await call<View>(server.baseUrl, "GET", `/reconciliations/${first.body.id}`, { as: finance });
    expect(one.body.items).toEqual([
      expect.objectContaining({
        result: "matched",
        payoutId: payout.id,
        theirs: expect.objectContaining({ amount: "45.00", currency: "USD", status: "succeeded" }),
        ours: expect.objectContaining({
          amountMinor: "4500",
          journalEntryId: expect.stringMatching(/^jnl_/),
        }),
      }),
    ]);
  });

  it("POST /reconciliations takes a multipart upload; mismatches appear as open finance tasks", async () => {
    const form = new FormData();
    form.append(
      "file",
      new Blob([
        csv(
          line(d, { id: payout.id, gateway_refund_id: "re_api_1" }, { amount: 4501n }),
          `${d},re_x,,p,refund,5,USD,succeeded,0`,
        ),
      ]),
      "day-2.csv",
    );
    const res = await call<View>(server.baseUrl, "POST", "/reconciliations", { as: finance, rawBody: form });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ allMatched: false, totals: { mismatched: 1, missingInRecords: 1 } });
    const list = await call<{ items: Array<{ id: string }> }>(server.baseUrl, "GET", "/reconciliations", {
      as: finance,
    });
    expect(list.body.items[0]!.id).toBe(res.body.id);
    const tasks = await call<{
      items: Array<{ id: string; status: string; settlementImportId: string; summary: string }>;
    }>(server.baseUrl, "GET", `/finance/tasks?status=open&reconciliationId=${res.body.id}`, { as: finance });
    expect(tasks.body.items).toHaveLength(2);
    const resolved = await call<{ status: string; details: { resolution: { note: string } } }>(
      server.baseUrl,
      "POST",
      `/finance/tasks/${tasks.body.items[0]!.id}/resolve`,
      { as: finance, body: { note: "Chased with the gateway" } },
    );
    expect(resolved.status, resolved.text).toBe(200);
    expect(resolved.body).toMatchObject({
      status: "resolved",
      details: { resolution: { note: "Chased with the gateway" } },
    });
    const again = await call<{ code: string }>(
      server.baseUrl,
      "POST",
      `/finance/tasks/${tasks.body.items[0]!.id}/resolve`,
      {
        as: finance,
        body: { note: "again" },
      },
    );
    expect(again.status).toBe(409);
    const open = await call<{ items: unknown[] }>(
      server.baseUrl,
      "GET",
      `/finance/tasks?status=open&reconciliationId=${res.body.id}`,
      {
        as: finance,
      },
    );
    expect(open.body.items).toHaveLength(1);
  });

  it("a bad file is a 400 problem naming line and column, and nothing is stored", async () => {
    const before = await call<{ items: unknown[] }>(server.baseUrl, "GET", "/reconciliations", {
      as: finance,
    });
    const res = await call<{ code: string; file: string; line: number; column: string; detail: string }>(
      server.baseUrl,
      "POST",
      "/reconciliations",
      {
        as: finance,
        body: { csv: csv(`${d},re_api_1,,pay,refund,45.00,USD,succeeded,0`), fileName: "bad.csv" },
      },
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(res.body).toMatchObject({
      code: "validation_failed",
      file: "bad.csv",
      line: 2,
      column: "amount_minor",
    });
    const after = await call<{ items: unknown[] }>(server.baseUrl, "GET", "/reconciliations", {
      as: finance,
    });
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it("is finance's and admins' only: a reviewer gets 403, a customer 404", async () => {
    expect((await call(server.baseUrl, "GET", "/reconciliations", { as: reviewer })).status).toBe(403);
    expect((await call(server.baseUrl, "GET", "/finance/tasks", { as: owner })).status).toBe(404);
    const res = await call(server.baseUrl, "POST", "/reconciliations", { as: owner, body: { csv: csv() } });
    expect(res.status).toBe(404);
  });
});
