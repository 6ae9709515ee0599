import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GatewayRefund } from "../src/gateway/gateway.js";
import {
  type GatewaySimulator,
  startGatewaySimulator,
} from "../src/gateway/simulator/start-gateway-simulator.js";
import { JOB_HANDLERS } from "../src/jobs/handlers.js";
import { startWorker } from "../src/jobs/worker.js";
import type { PayoutTable } from "../src/store/schema.js";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import {
  caseBalance,
  decideRefunds,
  importRefundCharges,
  payoutOfCase,
  trialBalance,
  unbalancedEntries,
  verifyKyc,
} from "./support/refunds.js";
import { startTestServer, type TestServer } from "./support/server.js";

/**
 * Refunds to the original payment method, end to end on both engines: a decision's payout is sent
 * to the gateway simulator by the `payout.submit` job, and settled by its signed webhooks or by
 * polling — through outages, lost, duplicated and reordered webhooks, a closed card and a missing
 * gateway — with exactly one refund at the gateway and a balanced ledger.
 */
const engines = await testEngines();

const NO_FAULTS = {
  failNext: 0,
  failAfterCommitNext: 0,
  failAfterCommitMode: "error",
  latencyMs: 0,
  webhooks: { duplicateRate: 0, reorder: false, lossRate: 0 },
} as const;

const CHARGES = [
  { resource: "i-paid", invoiceId: "INV-PO-1", cost: "12.00" },
  { resource: "i-dup", invoiceId: "INV-PO-2", cost: "13.00" },
  { resource: "i-lost", invoiceId: "INV-PO-3", cost: "14.00" },
  { resource: "i-fail-next", invoiceId: "INV-PO-4", cost: "15.00" },
  { resource: "i-after-commit", invoiceId: "INV-PO-5", cost: "16.00" },
  {
    resource: "i-closed",
    invoiceId: "INV-PO-6",
    cost: "17.00",
    paymentId: "pay_closed_6",
    instrumentFingerprint: "fp_visa_4242",
  },
  { resource: "i-nsf", invoiceId: "INV-PO-7", cost: "18.00", paymentId: "pay_nsf_7" },
  { resource: "i-action", invoiceId: "INV-PO-8", cost: "19.00", paymentId: "pay_action_8" },
  { resource: "i-nogw", invoiceId: "INV-PO-9", cost: "20.00" },
  { resource: "i-drop", invoiceId: "INV-PO-10", cost: "21.00" },
  { resource: "i-rejected", invoiceId: "INV-PO-11", cost: "22.00" },
];

interface PayoutDetail {
  id: string;
  status: string;
  attempt: number;
  idempotencyKey: string;
  gatewayRefundId: string | null;
  failureCode: string | null;
  lastError: string | null;
  settledAt: string | null;
  version: number;
  case: { id: string; ticketNumber: string };
  attempts: Array<{ attempt: number; idempotencyKey: string; events: Array<{ action: string }> }>;
  credit: { amount: string; expiresAt: string } | null;
  ledgerEntries: Array<{ kind: string; postingKey: string }>;
  financeTasks: Array<{ kind: string; status: string }>;
}
interface Problem {
  code: string;
}

/** nodemailer writes quoted-printable: soft line breaks and =XX escapes. */
const decodeQuotedPrintable = (s: string) =>
  Buffer.from(
    s
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    "latin1",
  ).toString("utf8");

describe.each(engines)("payouts on %s", (engine) => {
  let server: TestServer;
  let sim: GatewaySimulator;
  let owner: Caller;
  let reviewer: Caller;
  let finance: Caller;
  let acmeOrg: string;
  let production: string;
  let charges: Map<string, string>;

  const db = () => server.services.store.db;
  const drain = () => server.worker.drain();
  const api = <T>(method: string, path: string, as: Caller, body?: unknown) =>
    call<T>(server.baseUrl, method, path, { as, body });
  const detail = async (id: string) => (await api<PayoutDetail>("GET", `/payouts/${id}`, finance)).body;
  const refundsAt = (payout: Pick<PayoutTable, "id">) =>
    sim
      .refunds()
      .filter((r) => r.idempotencyKey === payout.id || r.idempotencyKey.startsWith(`${payout.id}:`));

  /** A decided full refund of one of CHARGES; its payout is `pending` with a queued submission. */
  async function decided(resource: string): Promise<{ caseId: string; payout: PayoutTable }> {
    const chargeId = charges.get(resource);
    if (!chargeId) throw new Error(`no charge ${resource}`);
    const [caseId] = await decideRefunds(server.baseUrl, { owner, reviewer }, production, [chargeId], drain);
    const payout = await payoutOfCase(db(), caseId!);
    expect(payout.status).toBe("pending");
    return { caseId: caseId!, payout };
  }

  const reload = (p: Pick<PayoutTable, "id">) =>
    db().selectFrom("payouts").selectAll().where("id", "=", p.id).executeTakeFirstOrThrow();

  async function settleViaWebhooks(): Promise<void> {
    await sim.settleAll();
    await sim.webhooksIdle();
  }

  function signedWebhook(refund: GatewayRefund, id = `evt_test_${randomBytes(6).toString("hex")}`) {
    const body = JSON.stringify({ type: "refund.updated", timestamp: refund.updatedAt, data: refund });
    const at = new Date();
    return {
      id,
      body,
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(sim.webhookSecret).sign(id, at, body),
      },
    };
  }
  const postWebhook = (w: { body: string; headers: Record<string, string> }) =>
    call<{ duplicate?: boolean; applied?: boolean; status?: string; reason?: string } & Problem>(
      server.baseUrl,
      "POST",
      "/webhooks/gateway",
      { rawBody: w.body, headers: w.headers },
    );

  async function expectLedgerBalanced(caseId?: string): Promise<void> {
    expect(await unbalancedEntries(db())).toEqual([]);
    for (const total of Object.values(await trialBalance(db()))) expect(total).toBe(0);
    if (caseId) expect(await caseBalance(db(), caseId, "refunds_payable")).toBe(0);
  }

  beforeAll(async () => {
    sim = await startGatewaySimulator({ settleAfterMs: null, webhookRetryDelayMs: 50 });
    server = await startTestServer(engine, {
      gatewayUrl: sim.url,
      gatewayApiKey: sim.apiKey,
      gatewayWebhookSecret: sim.webhookSecret,
      gatewayTimeoutMs: 5000,
      webhookAllowPrivateNetworks: true,
    });
    sim.setWebhookUrl(`${server.baseUrl}/webhooks/gateway`);
    [owner, reviewer, finance] = (await Promise.all(
      ["owner@acme.example", "reviewer@nimbus.example", "finance@nimbus.example"].map((e) =>
        login(server.baseUrl, e),
      ),
    )) as [Caller, Caller, Caller];
    const compliance = await login(server.baseUrl, "compliance@nimbus.example");
    acmeOrg = server.world.customers.acme.organisationId;
    production = server.world.customers.acme.memberAccountIds[0]!;
    charges = await importRefundCharges(server.services, acmeOrg, "payout-charges", CHARGES);
    await drain();
    await verifyKyc(server.baseUrl, owner, compliance, production, "X7654321");
    const card = await api("POST", `/accounts/${production}/payment-methods`, owner, {
      type: "card",
      label: "Visa •••• 4242",
      instrumentFingerprint: "fp_visa_4242",
    });
    expect(card.status).toBe(201);
  });
  afterEach(() => sim?.setFaults(NO_FAULTS));
  afterAll(async () => {
    await server?.close();
    await sim?.close();
  });

  it("pays a decided refund in two phases: pending, submitted by the job, succeeded by the gateway's webhook", async () => {
    const { caseId, payout } = await decided("i-paid");
    // Phase 1 was posted with the decision: the revenue given back is owed to the customer.
    expect(await caseBalance(db(), caseId, "refunds_payable")).toBe(-1200);

    await drain();
    await sim.webhooksIdle();
    let row = await reload(payout);
    expect(row.status).toBe("submitted");
    expect(row.submitted_at).not.toBeNull();
    const [refund] = refundsAt(payout);
    expect(refundsAt(payout)).toHaveLength(1);
    expect(refund).toMatchObject({
      idempotencyKey: payout.id,
      amountMinor: "1200",
      currency: "USD",
      status: "pending",
    });
    expect(row.gateway_refund_id).toBe(refund!.gatewayRefundId);
    const record = sim.records().find((r) => r.idempotencyKey === payout.id);
    expect(record?.paymentId).toBe("invoice:INV-PO-1");
    expect(record?.metadata).toMatchObject({ payoutId: payout.id, caseId });

    await settleViaWebhooks();
    row = await reload(payout);
    expect(row.status).toBe("succeeded");
    expect(row.settled_at).not.toBeNull();
    await expectLedgerBalanced(caseId);
    expect(await caseBalance(db(), caseId, "gateway_clearing")).toBe(-1200);

    const seen = await detail(payout.id);
    expect(seen).toMatchObject({ status: "succeeded", attempt: 1, idempotencyKey: payout.id });
    expect(seen.ledgerEntries.map((e) => e.kind)).toEqual(["refund_decided", "refund_paid"]);
    expect(seen.attempts[0]!.events.map((e) => e.action)).toEqual([
      "payout.submitting",
      "payout.submitted",
      "payout.succeeded",
    ]);
    const c = await api<{ timeline: Array<{ type: string }> }>("GET", `/cases/${caseId}`, owner);
    expect(c.body.timeline.map((t) => t.type)).toEqual(
      expect.arrayContaining(["refund_submitted", "refund_succeeded"]),
    );
    await drain();
    const mails = await db()
      .selectFrom("email_messages")
      .selectAll()
      .where("subject_id", "=", caseId)
      .execute();
    expect(mails.filter((m) => m.event_type === "refund.succeeded")).toHaveLength(1);
    expect(mails.find((m) => m.event_type === "refund.succeeded")?.status).toBe("sent");
  });

  it("changes nothing more for duplicate, out-of-order, replayed and stale webhooks, and ignores unknown refunds", async () => {
    sim.setFaults({ webhooks: { duplicateRate: 1, reorder: true, reorderWindowMs: 150 } });
    const { caseId, payout } = await decided("i-dup");
    await drain();
    await settleViaWebhooks();
    const row = await reload(payout);
    expect(row.status).toBe("succeeded");
    expect(sim.webhookStats().duplicated).toBeGreaterThan(0);

    // A late `pending` after `succeeded`, the same event again, a second `succeeded`: all no-ops.
    const refund = refundsAt(payout)[0]!;
    const stale = signedWebhook({ ...refund, status: "pending", failureCode: null });
    expect((await postWebhook(stale)).body).toMatchObject({
      applied: false,
      status: "succeeded",
      reason: "no_transition",
    });
    expect((await postWebhook(stale)).body).toEqual({ duplicate: true });
    expect((await postWebhook(signedWebhook(refund))).body).toMatchObject({
      applied: false,
      status: "succeeded",
    });
    // An idempotency key we never issued, and one of an attempt that does not exist: acknowledged.
    const unknown = await postWebhook(signedWebhook({ ...refund, idempotencyKey: "someone-else" }));
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ applied: false, reason: "unknown_refund" });
    const otherAttempt = await postWebhook(signedWebhook({ ...refund, idempotencyKey: `${payout.id}:7` }));
    expect(otherAttempt.body).toMatchObject({ applied: false, reason: "other_attempt" });
    // A bad signature is refused and not recorded.
    const forged = signedWebhook({ ...refund, status: "failed", failureCode: "card_closed" });
    const refused = await postWebhook({
      ...forged,
      headers: { ...forged.headers, "webhook-signature": "v1,AAAA" },
    });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("invalid_webhook_signature");

    expect(await reload(payout)).toEqual(row);
    const entries = await db()
      .selectFrom("journal_entries")
      .select("kind")
      .where("payout_id", "=", payout.id)
      .execute();
    expect(entries.map((e) => e.kind)).toEqual(["refund_paid"]);
    const notices = await db()
      .selectFrom("email_messages")
      .select("event_type")
      .where("subject_id", "=", caseId)
      .where("event_type", "like", "refund.%")
      .execute();
    expect(notices.map((n) => n.event_type).sort()).toEqual(["refund.submitted", "refund.succeeded"]);
    expect(refundsAt(payout)).toHaveLength(1);
    await expectLedgerBalanced(caseId);
  });

  it("learns the outcome by polling when every webhook is lost", async () => {
    sim.setFaults({ webhooks: { lossRate: 1 } });
    const { caseId, payout } = await decided("i-lost");
    await drain();
    expect((await reload(payout)).status).toBe("submitted");
    await settleViaWebhooks();
    expect((await reload(payout)).status).toBe("submitted");

    // The check is queued with the submission, for when it is overdue.
    const check = await db()
      .selectFrom("jobs")
      .selectAll()
      .where("kind", "=", "payout.check")
      .where("status", "=", "queued")
      .executeTakeFirstOrThrow();
    expect(Date.parse(check.run_after) - server.clock.now().getTime()).toBe(10 * 60_000);
    server.clock.advance(11 * 60_000);
    await drain();
    const row = await reload(payout);
    expect(row.status).toBe("succeeded");
    expect(sim.webhookStats().lost).toBeGreaterThan(0);
    expect((await detail(payout.id)).attempts[0]!.events.map((e) => e.action)).toContain("payout.succeeded");
    await expectLedgerBalanced(caseId);
  });

  it("retries an outage with backoff and the same key: exactly one refund at the gateway", async () => {
    sim.setFaults({ failNext: 1 });
    const { payout } = await decided("i-fail-next");
    await drain();
    let row = await reload(payout);
    expect(row.status).toBe("pending");
    expect(row.last_error).toMatch(/503/);
    expect(refundsAt(payout)).toHaveLength(0);
    const job = await db()
      .selectFrom("jobs")
      .selectAll()
      .where("kind", "=", "payout.submit")
      .where("payload", "=", JSON.stringify({ payoutId: payout.id }))
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({ status: "queued", attempts: 1 });
    // Backoff: not before 2 s have passed.
    expect(await drain()).toBe(0);
    server.clock.advance(2_500);
    await drain();
    row = await reload(payout);
    expect(row.status).toBe("submitted");
    expect(refundsAt(payout)).toHaveLength(1);
    await settleViaWebhooks();
    expect((await reload(payout)).status).toBe("succeeded");
  });

  it.each(["error", "drop"] as const)(
    "gets the same refund back when the gateway committed but the answer was lost (%s)",
    async (mode) => {
      // Webhooks off at first: the created refund's own event would otherwise tell us before the retry asks.
      sim.setFaults({ failAfterCommitNext: 1, failAfterCommitMode: mode, webhooks: { lossRate: 1 } });
      const { payout } = await decided(mode === "error" ? "i-after-commit" : "i-drop");
      await drain();
      expect((await reload(payout)).status).toBe("pending");
      sim.setFaults({ webhooks: { lossRate: 0 } });
      expect(refundsAt(payout)).toHaveLength(1);
      const first = refundsAt(payout)[0]!;
      server.clock.advance(2_500);
      await drain();
      await sim.webhooksIdle();
      const row = await reload(payout);
      expect(row.status).toBe("submitted");
      expect(row.gateway_refund_id).toBe(first.gatewayRefundId);
      expect(refundsAt(payout)).toHaveLength(1);
      await settleViaWebhooks();
      expect((await reload(payout)).status).toBe("succeeded");
    },
  );

  it("fails the payout to finance when the gateway refuses the request, and never books what it did not ask for", async () => {
    const { caseId, payout } = await decided("i-rejected");
    // Someone already used this payout's key for another amount: the gateway refuses ours (422).
    const squatter = await fetch(`${sim.url}/v1/refunds`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${sim.apiKey}`,
        "content-type": "application/json",
        "idempotency-key": payout.id,
      },
      body: JSON.stringify({
        idempotencyKey: payout.id,
        paymentId: "invoice:INV-PO-11",
        amountMinor: "1",
        currency: "USD",
        reason: "not ours",
      }),
    });
    expect(squatter.status).toBe(201);
    const theirs = refundsAt(payout)[0]!;
    // Its events name our key but not our amount: a task for finance, nothing booked.
    await sim.webhooksIdle();
    expect(await reload(payout)).toMatchObject({ status: "pending", version: payout.version });
    const tasks = () =>
      db()
        .selectFrom("finance_tasks")
        .select(["kind", "status"])
        .where("payout_id", "=", payout.id)
        .orderBy("id")
        .execute();
    expect(await tasks()).toEqual([{ kind: "payout_mismatch", status: "open" }]);

    await drain();
    const row = await reload(payout);
    expect(row).toMatchObject({
      status: "failed",
      failure_code: "idempotency_key_reused",
      gateway_refund_id: null,
    });
    expect(row.last_error).toMatch(/422/);
    const job = await db()
      .selectFrom("jobs")
      .select(["status", "attempts"])
      .where("kind", "=", "payout.submit")
      .where("payload", "=", JSON.stringify({ payoutId: payout.id }))
      .executeTakeFirstOrThrow();
    expect(job).toEqual({ status: "succeeded", attempts: 1 });
    expect(await tasks()).toEqual([
      { kind: "payout_mismatch", status: "open" },
      { kind: "payout_failed", status: "open" },
    ]);

    const mismatch = await postWebhook(signedWebhook({ ...theirs, status: "succeeded" }));
    expect(mismatch.body).toMatchObject({ applied: false, reason: "mismatch" });
    expect(await reload(payout)).toEqual(row);
    expect(await tasks()).toHaveLength(2);
    expect(await caseBalance(db(), caseId, "refunds_payable")).toBe(-2200);
    await expectLedgerBalanced();
  });

  it("keeps the amount as account credit when the card is closed, and tells the customer why", async () => {
    const { caseId, payout } = await decided("i-closed");
    expect(payout.payment_id).toBe("pay_closed_6");
    await drain();
    await settleViaWebhooks();
    const row = await reload(payout);
    expect(row).toMatchObject({ status: "credited", failure_code: "card_closed" });
    expect(row.settled_at).not.toBeNull();

    const credit = await db()
      .selectFrom("credit_grants")
      .selectAll()
      .where("payout_id", "=", payout.id)
      .executeTakeFirstOrThrow();
    expect(credit).toMatchObject({
      source: "payout_fallback",
      account_id: production,
      case_id: caseId,
      amount_minor: 1700,
      remaining_minor: 1700,
      services: "[]",
      regions: "[]",
      priority: 50,
      status: "active",
    });
    expect(Date.parse(credit.expires_at) - Date.parse(row.settled_at!)).toBe(365 * 86_400_000);
    const seen = await detail(payout.id);
    expect(seen.ledgerEntries.map((e) => e.kind)).toEqual(["refund_decided", "refund_to_credit"]);
    expect(seen.credit).toMatchObject({ amount: "17.00" });
    await expectLedgerBalanced(caseId);
    expect(await caseBalance(db(), caseId, "customer_credit")).toBe(-1700);

    await drain();
    const mail = await db()
      .selectFrom("email_messages")
      .selectAll()
      .where("subject_id", "=", caseId)
      .where("event_type", "=", "refund.credited")
      .executeTakeFirstOrThrow();
    expect(mail.status).toBe("sent");
    expect(mail.text).toContain("your card ending 4242 could not receive the refund");
    expect(mail.text).toContain("on your account as credit");
    const eml = decodeQuotedPrintable(readFileSync(mail.file_path!, "utf8")).replace(/\r?\n/g, " ");
    expect(eml).toContain("ending 4242 could not receive the refund");
    expect(eml).toContain("as credit");
  });

  it("fails other declines to finance, and a retry is a new attempt with a new key; only failed payouts retry", async () => {
    const { caseId, payout } = await decided("i-nsf");
    await drain();
    await settleViaWebhooks();
    let row = await reload(payout);
    expect(row).toMatchObject({ status: "failed", failure_code: "insufficient_funds", settled_at: null });
    let seen = await detail(payout.id);
    expect(seen.financeTasks).toEqual([expect.objectContaining({ kind: "payout_failed", status: "open" })]);
    expect(seen.ledgerEntries.map((e) => e.kind)).toEqual(["refund_decided"]);
    expect(await caseBalance(db(), caseId, "refunds_payable")).toBe(-1800);
    await drain();
    const failedMail = await db()
      .selectFrom("email_messages")
      .select("event_type")
      .where("subject_id", "=", caseId)
      .where("event_type", "=", "refund.failed")
      .execute();
    expect(failedMail).toHaveLength(1);

    // Only finance (and admins) retry; customers do not see the route at all.
    expect((await api<Problem>("POST", `/payouts/${payout.id}/retry`, reviewer, {})).status).toBe(403);
    expect((await api<Problem>("POST", `/payouts/${payout.id}/retry`, owner, {})).status).toBe(404);
    const stale = await api<Problem>("POST", `/payouts/${payout.id}/retry`, finance, { expectedVersion: 1 });
    expect(stale.status).toBe(409);
    const retried = await api<PayoutDetail>("POST", `/payouts/${payout.id}/retry`, finance, {
      expectedVersion: row.version,
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      status: "pending",
      attempt: 2,
      idempotencyKey: `${payout.id}:2`,
      failureCode: null,
      gatewayRefundId: null,
    });
    expect(retried.body.financeTasks).toEqual([
      expect.objectContaining({ kind: "payout_failed", status: "resolved" }),
    ]);
    await drain();
    row = await reload(payout);
    expect(row.status).toBe("submitted");
    expect(refundsAt(payout).map((r) => r.idempotencyKey)).toEqual([payout.id, `${payout.id}:2`]);
    // The first attempt's failure arriving again is history: it does not touch the second attempt.
    const firstAttempt = refundsAt(payout)[0]!;
    expect((await postWebhook(signedWebhook(firstAttempt))).body).toMatchObject({ reason: "other_attempt" });
    expect((await reload(payout)).status).toBe("submitted");

    await settleViaWebhooks();
    seen = await detail(payout.id);
    expect(seen.status).toBe("failed");
    expect(seen.attempts.map((a) => a.idempotencyKey)).toEqual([payout.id, `${payout.id}:2`]);
    expect(seen.attempts[1]!.events.map((e) => e.action)).toEqual([
      "payout.retried",
      "payout.submitting",
      "payout.submitted",
      "payout.failed",
    ]);
    expect(seen.financeTasks.map((t) => t.status)).toEqual(["resolved", "open"]);
    await expectLedgerBalanced();

    const paid = await db()
      .selectFrom("payouts")
      .select("id")
      .where("status", "=", "succeeded")
      .executeTakeFirstOrThrow();
    const notFailed = await api<Problem & { currentState: string }>(
      "POST",
      `/payouts/${paid.id}/retry`,
      finance,
      {},
    );
    expect(notFailed.status).toBe(409);
    expect(notFailed.body).toMatchObject({ code: "invalid_transition", currentState: "succeeded" });
  });

  it("waits in requires_action until the customer confirms with their bank", async () => {
    const { payout } = await decided("i-action");
    await drain();
    await settleViaWebhooks();
    const row = await reload(payout);
    expect(row.status).toBe("requires_action");
    sim.transition(row.gateway_refund_id!, "succeeded");
    await sim.webhooksIdle();
    expect((await reload(payout)).status).toBe("succeeded");
  });

  it("leaves the payout pending with a finance task when no gateway is configured, and finance re-queues it", async () => {
    const { payout } = await decided("i-nogw");
    const unconfigured = {
      ...server.services,
      config: { ...server.services.config, gatewayUrl: null, gatewayApiKey: null },
    };
    const worker = startWorker(unconfigured, JOB_HANDLERS, { workerId: "no-gateway", pollMs: 0 });
    await worker.drain();
    await worker.drain();
    await worker.stop();
    const row = await reload(payout);
    expect(row).toMatchObject({ status: "pending", submitted_at: null });
    expect(row.last_error).toMatch(/No payment gateway is configured/);
    const job = await db()
      .selectFrom("jobs")
      .selectAll()
      .where("kind", "=", "payout.submit")
      .where("payload", "=", JSON.stringify({ payoutId: payout.id }))
      .executeTakeFirstOrThrow();
    expect(job.status).toBe("succeeded");
    let seen = await detail(payout.id);
    expect(seen.financeTasks).toEqual([
      expect.objectContaining({ kind: "payout_no_gateway", status: "open" }),
    ]);
    expect(refundsAt(payout)).toHaveLength(0);

    // Once a gateway is there, finance sends it (same attempt, same key).
    const requeued = await api<PayoutDetail>("POST", `/payouts/${payout.id}/retry`, finance, {});
    expect(requeued.body).toMatchObject({ status: "pending", attempt: 1, lastError: null });
    expect((await api<Problem>("POST", `/payouts/${payout.id}/retry`, finance, {})).status).toBe(409);
    await drain();
    await settleViaWebhooks();
    seen = await detail(payout.id);
    expect(seen.status).toBe("succeeded");
    expect(seen.financeTasks.map((t) => t.status)).toEqual(["resolved"]);
  });

  it("lists payouts for finance across customers, newest first with a cursor, and for the customer", async () => {
    type Page = {
      items: Array<{ id: string; status: string; ticketNumber: string | null }>;
      nextCursor: string | null;
    };
    const all = await api<Page>("GET", "/payouts?limit=200", finance);
    expect(all.status).toBe(200);
    const ids = all.body.items.map((p) => p.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(all.body.items.every((p) => p.ticketNumber?.startsWith("RD-"))).toBe(true);
    const first = await api<Page>("GET", "/payouts?limit=2", finance);
    const second = await api<Page>("GET", `/payouts?limit=2&cursor=${first.body.nextCursor}`, finance);
    expect([...first.body.items, ...second.body.items].map((p) => p.id)).toEqual(ids.slice(0, 4));
    const failed = await api<Page>("GET", "/payouts?status=failed", finance);
    expect(failed.body.items.map((p) => p.status)).toEqual(["failed", "failed"]);
    expect((await api<Page>("GET", "/payouts", owner)).status).toBe(404);
    expect((await api<Page>("GET", `/payouts/${ids[0]}`, owner)).status).toBe(404);

    const mine = await api<Page & { items: Array<{ idempotencyKey?: string }> }>(
      "GET",
      `/organisations/${acmeOrg}/payouts?status=credited`,
      owner,
    );
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(1);
    expect(mine.body.items[0]).not.toHaveProperty("idempotencyKey");
    const globex = await login(server.baseUrl, "owner@globex.example");
    expect((await api("GET", `/organisations/${acmeOrg}/payouts`, globex)).status).toBe(404);
    await expectLedgerBalanced();
  });
});
