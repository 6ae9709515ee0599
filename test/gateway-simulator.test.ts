import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { GatewayError, type GatewayRefundRequest } from "../src/gateway/gateway.js";
import { gatewayFromConfig, HttpPaymentGateway } from "../src/gateway/http-gateway.js";
import {
  type GatewaySimulator,
  type GatewaySimulatorOptions,
  startGatewaySimulator,
} from "../src/gateway/simulator/start-gateway-simulator.js";
import { verifyGatewayWebhook } from "../src/gateway/verify-gateway-webhook.js";
import { fixedClock } from "../src/shared/clock.js";
import { AppError } from "../src/shared/errors.js";

const ROOT = resolve(import.meta.dirname, "..");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "refund-desk-gateway-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const started: GatewaySimulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

/** Settlement happens only when a test asks, unless it says otherwise. */
async function simulator(options: GatewaySimulatorOptions = {}): Promise<GatewaySimulator> {
  const sim = await startGatewaySimulator({ settleAfterMs: null, webhookRetryDelayMs: 20, ...options });
  started.push(sim);
  return sim;
}

function clientOf(sim: GatewaySimulator, timeoutMs?: number): HttpPaymentGateway {
  return new HttpPaymentGateway({ baseUrl: sim.url, apiKey: sim.apiKey, timeoutMs });
}

function refundRequest(
  idempotencyKey: string,
  overrides: Partial<GatewayRefundRequest> = {},
): GatewayRefundRequest {
  return {
    idempotencyKey,
    paymentId: "pay-1",
    amountMinor: 1234n,
    currency: "USD",
    reason: "SLA credit for case case_01",
    metadata: { caseId: "case_01" },
    ...overrides,
  };
}

async function gatewayErrorOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback webhook receiver; `answer` picks each delivery's status. */
async function receiver(answer: (n: number) => number = () => 204) {
  const received: Received[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = answer(n++);
      res.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/gateway-webhooks`,
    received,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

describe("HttpPaymentGateway against the gateway simulator", () => {
  describe("createRefund", () => {
    it("posts a pending refund that settling turns into succeeded, read back by our key", async () => {
      const sim = await simulator();
      const gateway = clientOf(sim);
      const created = await gateway.createRefund(refundRequest("po_1"));
      expect(created).toMatchObject({
        idempotencyKey: "po_1",
        status: "pending",
        amountMinor: "1234",
        currency: "USD",
        failureCode: null,
      });
      expect(created.gatewayRefundId).toMatch(/^re_sim_/);
      expect(await gateway.getRefund("po_1")).toEqual(created);

      await sim.settleAll();
      const settled = await gateway.getRefund("po_1");
      expect(settled).toMatchObject({ gatewayRefundId: created.gatewayRefundId, status: "succeeded" });
      expect(sim.records()[0]).toMatchObject({ paymentId: "pay-1", metadata: { caseId: "case_01" } });
    });

    it("settles by itself after settleAfterMs", async () => {
      const sim = await simulator({ settleAfterMs: 50 });
      const gateway = clientOf(sim);
      await gateway.createRefund(refundRequest("po_auto"));
      await expect.poll(async () => (await gateway.getRefund("po_auto"))?.status).toBe("succeeded");
    });

    it("answers a retry with the same key with the same refund, even after it settled; never a second one", async () => {
      const sim = await simulator();
      const gateway = clientOf(sim);
      const first = await gateway.createRefund(refundRequest("po_1"));
      const again = await gateway.createRefund(refundRequest("po_1", { reason: "re-rendered text" }));
      expect(again).toEqual(first);
      await sim.settleAll();
      const afterSettling = await gateway.createRefund(refundRequest("po_1"));
      expect(afterSettling).toMatchObject({ gatewayRefundId: first.gatewayRefundId, status: "succeeded" });
      expect(sim.refunds()).toHaveLength(1);
    });

    it("rejects the same key with a different amount or payment, non-retryable, changing nothing", async () => {
      const sim = await simulator();
      const gateway = clientOf(sim);
      const first = await gateway.createRefund(refundRequest("po_1"));
      for (const change of [{ amountMinor: "1235" }, { paymentId: "pay-2" }, { currency: "EUR" }]) {
        const error = await gatewayErrorOf(gateway.createRefund(refundRequest("po_1", change)));
        expect(error).toMatchObject({
          kind: "rejected",
          retryable: false,
          status: 422,
          code: "idempotency_key_reused",
        });
      }
      expect(sim.refunds()).toEqual([first]);
    });

    it("rejects a malformed request with 400 and a wrong API key with 401, neither retryable", async () => {
      const sim = await simulator();
      const invalid = await gatewayErrorOf(
        clientOf(sim).createRefund(refundRequest("po_1", { amountMinor: "12.34", currency: "usd" })),
      );
      expect(invalid).toMatchObject({
        kind: "rejected",
        retryable: false,
        status: 400,
        code: "invalid_request",
      });
      expect(invalid.message).toContain("amountMinor, currency");
      const unauthorised = await gatewayErrorOf(
        new HttpPaymentGateway({ baseUrl: sim.url, apiKey: "sk_wrong" }).getRefund("po_1"),
      );
      expect(unauthorised).toMatchObject({
        kind: "rejected",
        retryable: false,
        status: 401,
        code: "unauthorized",
      });
      expect(sim.refunds()).toEqual([]);
    });

    it("answers getRefund with null for a key the gateway never saw", async () => {
      const sim = await simulator();
      expect(await clientOf(sim).getRefund("po_never")).toBeNull();
    });
  });

  describe("faults", () => {
    it("failNext: retryable 503s before anything is created, then the retry creates exactly one", async () => {
      const sim = await simulator({ faults: { failNext: 2 } });
      const gateway = clientOf(sim);
      for (let i = 0; i < 2; i++) {
        const error = await gatewayErrorOf(gateway.createRefund(refundRequest("po_1")));
        expect(error).toMatchObject({ kind: "unavailable", retryable: true, status: 503 });
        expect(sim.refunds()).toEqual([]);
      }
      const created = await gateway.createRefund(refundRequest("po_1"));
      expect(sim.refunds()).toEqual([created]);
    });

    it("failAfterCommitNext (500): the caller sees an error, the refund exists, the retry returns it", async () => {
      const sim = await simulator({ faults: { failAfterCommitNext: 1 } });
      const gateway = clientOf(sim);
      const error = await gatewayErrorOf(gateway.createRefund(refundRequest("po_1")));
      expect(error).toMatchObject({ kind: "unavailable", retryable: true, status: 500 });
      const [existing] = sim.refunds();
      expect(existing?.idempotencyKey).toBe("po_1");
      const retried = await gateway.createRefund(refundRequest("po_1"));
      expect(retried.gatewayRefundId).toBe(existing?.gatewayRefundId);
      expect(sim.refunds()).toHaveLength(1);
    });

    it("failAfterCommitNext (drop): a network error, the refund exists, polling and retry find it", async () => {
      const sim = await simulator({ faults: { failAfterCommitNext: 1, failAfterCommitMode: "drop" } });
      const gateway = clientOf(sim);
      const error = await gatewayErrorOf(gateway.createRefund(refundRequest("po_1")));
      expect(error).toMatchObject({ kind: "network", retryable: true, status: null });
      const polled = await gateway.getRefund("po_1");
      expect(polled?.status).toBe("pending");
      expect((await gateway.createRefund(refundRequest("po_1"))).gatewayRefundId).toBe(
        polled?.gatewayRefundId,
      );
      expect(sim.refunds()).toHaveLength(1);
    });

    it("latency above the client timeout: a timeout, though the refund was created; the retry returns it", async () => {
      const sim = await simulator({ faults: { latencyMs: 600 } });
      const error = await gatewayErrorOf(clientOf(sim, 150).createRefund(refundRequest("po_1")));
      expect(error).toMatchObject({ kind: "timeout", retryable: true, status: null });
      expect(sim.refunds()).toHaveLength(1);
      sim.setFaults({ latencyMs: 0 });
      const retried = await clientOf(sim, 150).createRefund(refundRequest("po_1"));
      expect(retried.gatewayRefundId).toBe(sim.refunds()[0]?.gatewayRefundId);
      expect(sim.refunds()).toHaveLength(1);
    });

    it("an unreachable gateway is a retryable network error", async () => {
      const sim = await simulator();
      const { url } = sim;
      await sim.close();
      const error = await gatewayErrorOf(
        new HttpPaymentGateway({ baseUrl: url, apiKey: "k" }).createRefund(refundRequest("po_1")),
      );
      expect(error).toMatchObject({ kind: "network", retryable: true });
    });

    it("refuses faults that make no sense, keeping the current ones", async () => {
      const sim = await simulator({ faults: { failNext: 1 } });
      expect(() => sim.setFaults({ failNext: -1, webhooks: { lossRate: 2 } })).toThrow(/failNext.*lossRate/);
      expect(sim.faults().failNext).toBe(1);
    });
  });

  describe("settlement outcomes", () => {
    it("fails refunds to closed cards with card_closed, by option or by the pay_closed_ pattern", async () => {
      const sim = await simulator({ closedCards: ["pay-9"], declines: { "pay-8": "insufficient_funds" } });
      const gateway = clientOf(sim);
      await gateway.createRefund(refundRequest("po_a", { paymentId: "pay-9" }));
      await gateway.createRefund(refundRequest("po_b", { paymentId: "pay_closed_42" }));
      await gateway.createRefund(refundRequest("po_c", { paymentId: "pay-8" }));
      await gateway.createRefund(refundRequest("po_d", { paymentId: "pay_dnh_1" }));
      await sim.settleAll();
      expect(await gateway.getRefund("po_a")).toMatchObject({ status: "failed", failureCode: "card_closed" });
      expect(await gateway.getRefund("po_b")).toMatchObject({ status: "failed", failureCode: "card_closed" });
      expect(await gateway.getRefund("po_c")).toMatchObject({
        status: "failed",
        failureCode: "insufficient_funds",
      });
      expect(await gateway.getRefund("po_d")).toMatchObject({
        status: "failed",
        failureCode: "do_not_honor",
      });
    });

    it("stops refunds that need the customer at requires_action, until the simulator moves them on", async () => {
      const sim = await simulator({ requiresAction: ["pay-7"] });
      const gateway = clientOf(sim);
      const a = await gateway.createRefund(refundRequest("po_a", { paymentId: "pay-7" }));
      await gateway.createRefund(refundRequest("po_b", { paymentId: "pay_action_1" }));
      await sim.settleAll();
      expect(await gateway.getRefund("po_a")).toMatchObject({ status: "requires_action", failureCode: null });
      expect(await gateway.getRefund("po_b")).toMatchObject({ status: "requires_action" });
      sim.transition(a.gatewayRefundId, "succeeded");
      expect(await gateway.getRefund("po_a")).toMatchObject({ status: "succeeded" });
      expect(() => sim.transition(a.gatewayRefundId, "failed", "card_closed")).toThrow(
        /cannot become failed/,
      );
    });
  });

  describe("webhooks", () => {
    it("sends each change once, in order, signed so that verifyGatewayWebhook accepts it", async () => {
      const hooks = await receiver();
      try {
        const sim = await simulator({ webhookUrl: hooks.url });
        const gateway = clientOf(sim);
        const created = await gateway.createRefund(refundRequest("po_1", { paymentId: "pay_closed_1" }));
        await sim.settleAll();
        await sim.webhooksIdle();
        const events = hooks.received.map((r) => verifyGatewayWebhook(sim.webhookSecret, r.headers, r.body));
        expect(events.map((e) => [e.type, e.refund.status, e.refund.failureCode])).toEqual([
          ["refund.updated", "pending", null],
          ["refund.updated", "failed", "card_closed"],
        ]);
        expect(events[0]?.refund).toEqual(created);
        expect(events[1]?.occurredAt).toBe(events[1]?.refund.updatedAt);
        expect(new Set(events.map((e) => e.id)).size).toBe(2);
        expect(sim.webhookStats()).toEqual({ emitted: 2, lost: 0, duplicated: 0, delivered: 2, failed: 0 });
        expect(JSON.parse(hooks.received[0]?.body ?? "")).toEqual({
          type: "refund.updated",
          timestamp: created.createdAt,
          data: created,
        });
      } finally {
        await hooks.close();
      }
    });

    it("retries a delivery the receiver refused, with the same webhook-id", async () => {
      const hooks = await receiver((n) => (n < 2 ? 500 : 200));
      try {
        const sim = await simulator({ webhookUrl: hooks.url });
        await clientOf(sim).createRefund(refundRequest("po_1"));
        await sim.webhooksIdle();
        expect(hooks.received).toHaveLength(3);
        expect(new Set(hooks.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
        expect(sim.webhookAttempts().map((a) => a.statusCode)).toEqual([500, 500, 200]);
      } finally {
        await hooks.close();
      }
    });

    it("with faults and a seed: duplicates, reordering and losses, counted and the same on every run", async () => {
      const hooks = await receiver();
      const fates: string[][] = [];
      try {
        for (let run = 0; run < 2; run++) {
          hooks.received.length = 0;
          const sim = await simulator({
            webhookUrl: hooks.url,
            seed: 42,
            faults: { webhooks: { duplicateRate: 0.3, lossRate: 0.2, reorder: true, reorderWindowMs: 300 } },
          });
          const gateway = clientOf(sim);
          for (let i = 0; i < 12; i++) await gateway.createRefund(refundRequest(`po_${i}`));
          await sim.settleAll();
          await sim.webhooksIdle();

          const stats = sim.webhookStats();
          expect(stats.emitted).toBe(24);
          expect(stats.lost).toBeGreaterThan(0);
          expect(stats.duplicated).toBeGreaterThan(0);
          // Every copy that was sent arrived, and each verifies.
          expect(hooks.received).toHaveLength(stats.emitted - stats.lost + stats.duplicated);
          expect(stats.delivered).toBe(hooks.received.length);
          const events = hooks.received.map((r) =>
            verifyGatewayWebhook(sim.webhookSecret, r.headers, r.body),
          );
          const arrived = [...new Set(events.map((e) => e.id))];
          expect(arrived).toHaveLength(stats.emitted - stats.lost);
          expect(events.length - arrived.length).toBe(stats.duplicated);
          // Arrival order differs from the order the changes happened in.
          const emitted = sim
            .webhookEvents()
            .filter((e) => e.fate !== "lost")
            .map((e) => e.eventId);
          expect(arrived).not.toEqual(emitted);
          expect(arrived.toSorted()).toEqual(emitted.toSorted());
          fates.push(sim.webhookEvents().map((e) => e.fate));
          await sim.close();
        }
        expect(fates[1]).toEqual(fates[0]);
      } finally {
        await hooks.close();
      }
    });

    it("records events as lost at a lossRate of 1, sending nothing", async () => {
      const hooks = await receiver();
      try {
        const sim = await simulator({ webhookUrl: hooks.url, faults: { webhooks: { lossRate: 1 } } });
        await clientOf(sim).createRefund(refundRequest("po_1"));
        await sim.settleAll();
        await sim.webhooksIdle();
        expect(hooks.received).toEqual([]);
        expect(sim.webhookStats()).toMatchObject({ emitted: 2, lost: 2, delivered: 0 });
      } finally {
        await hooks.close();
      }
    });

    describe("verifyGatewayWebhook", () => {
      const secret = `whsec_${Buffer.alloc(24, 7).toString("base64")}`;
      const body = JSON.stringify({
        type: "refund.updated",
        timestamp: "2024-05-01T10:00:00.000Z",
        data: {
          gatewayRefundId: "re_1",
          idempotencyKey: "po_1",
          status: "succeeded",
          amountMinor: "1234",
          currency: "USD",
          failureCode: null,
          createdAt: "2024-05-01T09:00:00.000Z",
          updatedAt: "2024-05-01T10:00:00.000Z",
        },
      });
      const signed = (payload: string, at = new Date(), key = secret) => ({
        "webhook-id": "evt_1",
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(key).sign("evt_1", at, payload),
      });
      const codeOf = (run: () => unknown): string | undefined => {
        try {
          run();
        } catch (e) {
          return e instanceof AppError ? e.code : "not an AppError";
        }
        return undefined;
      };

      it("reads a well-signed event, from a plain object or a Headers", () => {
        const event = verifyGatewayWebhook(secret, signed(body), body);
        expect(event).toMatchObject({ id: "evt_1", occurredAt: "2024-05-01T10:00:00.000Z" });
        expect(event.refund.status).toBe("succeeded");
        expect(verifyGatewayWebhook(secret, new Headers(signed(body)), Buffer.from(body)).id).toBe("evt_1");
      });

      it("refuses a tampered body, another secret, a stale timestamp and missing headers", () => {
        const tampered = body.replace("1234", "9999");
        const other = `whsec_${Buffer.alloc(24, 8).toString("base64")}`;
        const stale = new Date(Date.now() - 10 * 60_000);
        expect(codeOf(() => verifyGatewayWebhook(secret, signed(body), tampered))).toBe(
          "invalid_webhook_signature",
        );
        expect(codeOf(() => verifyGatewayWebhook(secret, signed(body, new Date(), other), body))).toBe(
          "invalid_webhook_signature",
        );
        expect(codeOf(() => verifyGatewayWebhook(secret, signed(body, stale), body))).toBe(
          "invalid_webhook_signature",
        );
        expect(codeOf(() => verifyGatewayWebhook(secret, {}, body))).toBe("invalid_webhook_signature");
      });

      it("is unavailable without a secret, and refuses a signed body that is not a refund event", () => {
        expect(codeOf(() => verifyGatewayWebhook(null, signed(body), body))).toBe("unavailable");
        const other = JSON.stringify({ type: "payout.paid", timestamp: "2024-05-01T10:00:00Z", data: {} });
        expect(codeOf(() => verifyGatewayWebhook(secret, signed(other), other))).toBe("validation_failed");
        const broken = JSON.stringify({ type: "refund.updated", timestamp: "x", data: { status: "done" } });
        expect(codeOf(() => verifyGatewayWebhook(secret, signed(broken), broken))).toBe("validation_failed");
      });
    });
  });

  describe("settlement file", () => {
    const HEADER =
      "settlement_date,gateway_refund_id,idempotency_key,payment_id,type,amount_minor,currency,status,fee_minor\n";

    /** Three refunds final on 2024-05-01, one still at requires_action, one final the next day. */
    async function knownDay() {
      const clock = fixedClock("2024-05-01T09:00:00.000Z");
      const sim = await simulator({ clock, refundFeeMinor: 30n, requiresAction: ["pay-7"] });
      const gateway = clientOf(sim);
      const a = await gateway.createRefund(refundRequest("po_a"));
      clock.set("2024-05-01T10:00:00.000Z");
      await sim.settleAll();
      const b = await gateway.createRefund(
        refundRequest("po_b", { paymentId: "pay_closed_1", amountMinor: 500n }),
      );
      const c = await gateway.createRefund(
        refundRequest("po,c", { paymentId: "pay-3", amountMinor: 15000n, currency: "JPY" }),
      );
      await gateway.createRefund(refundRequest("po_d", { paymentId: "pay-7", amountMinor: 99n }));
      clock.set("2024-05-01T23:59:59.999Z");
      await sim.settleAll();
      const e = await gateway.createRefund(refundRequest("po_e", { amountMinor: 1n }));
      clock.set("2024-05-02T00:00:00.000Z");
      await sim.settleAll();
      return {
        sim,
        ids: { a: a.gatewayRefundId, b: b.gatewayRefundId, c: c.gatewayRefundId, e: e.gatewayRefundId },
      };
    }

    it("lists the refunds final that UTC day, in settlement order, fees on succeeded ones only", async () => {
      const { sim, ids } = await knownDay();
      const [first, second] = [ids.b, ids.c].sort();
      const line = (id: string | undefined) =>
        id === ids.b
          ? `2024-05-01,${ids.b},po_b,pay_closed_1,refund,500,USD,failed,0\n`
          : `2024-05-01,${ids.c},"po,c",pay-3,refund,15000,JPY,succeeded,30\n`;
      const expected = `${HEADER}2024-05-01,${ids.a},po_a,pay-1,refund,1234,USD,succeeded,30\n${line(first)}${line(second)}`;
      expect(sim.settlementCsv("2024-05-01")).toBe(expected);
      expect(sim.settlementCsv("2024-05-02")).toBe(
        `${HEADER}2024-05-02,${ids.e},po_e,pay-1,refund,1,USD,succeeded,30\n`,
      );
      expect(sim.settlementCsv("2024-04-30")).toBe(HEADER);

      const response = await fetch(`${sim.url}/_sim/settlements/2024-05-01.csv`);
      expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
      expect(await response.text()).toBe(expected);
      const path = join(dir, "settlement-2024-05-01.csv");
      await sim.writeSettlementFile("2024-05-01", path);
      expect(readFileSync(path, "utf8")).toBe(expected);
      expect((await fetch(`${sim.url}/_sim/settlements/2024-02-30.csv`)).status).toBe(400);
    });

    it("drifts as documented: first amount +1, last line omitted, an unknown line appended", async () => {
      const { sim, ids } = await knownDay();
      const clean = sim.settlementCsv("2024-05-01").split("\n").slice(0, -1);
      const unknown =
        "2024-05-01,re_sim_unknown_20240501,unknown_20240501,pay_unknown,refund,100,USD,succeeded,0";

      sim.setFaults({ settlementDrift: "alter_amount" });
      expect(sim.settlementCsv("2024-05-01").split("\n")[1]).toBe(
        `2024-05-01,${ids.a},po_a,pay-1,refund,1235,USD,succeeded,30`,
      );
      sim.setFaults({ settlementDrift: ["omit_line"] });
      expect(sim.settlementCsv("2024-05-01")).toBe(`${clean.slice(0, -1).join("\n")}\n`);
      sim.setFaults({ settlementDrift: ["unknown_line"] });
      expect(sim.settlementCsv("2024-05-01")).toBe(`${[...clean, unknown].join("\n")}\n`);
      sim.setFaults({ settlementDrift: [] });
      expect(sim.settlementCsv("2024-05-01")).toBe(`${clean.join("\n")}\n`);
    });
  });

  describe("state and the admin API", () => {
    it("keeps refunds and credentials in the state file across a restart, settling what was pending", async () => {
      const stateFile = join(dir, "gateway-state.json");
      const first = await startGatewaySimulator({ stateFile, settleAfterMs: 60_000 });
      const created = await clientOf(first).createRefund(refundRequest("po_1"));
      await first.close();

      const second = await simulator({ stateFile, port: 0 });
      expect([second.apiKey, second.webhookSecret]).toEqual([first.apiKey, first.webhookSecret]);
      const gateway = clientOf(second);
      expect(await gateway.getRefund("po_1")).toEqual(created);
      expect(await gateway.createRefund(refundRequest("po_1"))).toEqual(created);
      await second.settleAll();
      expect((await gateway.getRefund("po_1"))?.status).toBe("succeeded");
      expect(JSON.parse(readFileSync(stateFile, "utf8")).refunds[0].status).toBe("succeeded");
    });

    it("sets faults, settles, lists and resets over HTTP", async () => {
      const sim = await simulator();
      const post = (path: string, body?: unknown) =>
        fetch(`${sim.url}${path}`, {
          method: "POST",
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const faults = await post("/_sim/faults", { failNext: 1, webhooks: { reorder: true } });
      expect(await faults.json()).toMatchObject({ failNext: 1, webhooks: { reorder: true, lossRate: 0 } });
      expect((await post("/_sim/faults", { failNext: "many" })).status).toBe(400);
      const gateway = clientOf(sim);
      await expect(gateway.createRefund(refundRequest("po_1"))).rejects.toMatchObject({ status: 503 });
      await gateway.createRefund(refundRequest("po_1"));
      expect(await (await post("/_sim/settle")).json()).toEqual({ settled: 1 });
      const listed = (await (await fetch(`${sim.url}/_sim/refunds`)).json()) as { refunds: unknown[] };
      expect(listed.refunds).toEqual([expect.objectContaining({ status: "succeeded", paymentId: "pay-1" })]);
      const byId = await fetch(`${sim.url}/v1/refunds/${sim.refunds()[0]?.gatewayRefundId}`, {
        headers: { authorization: `Bearer ${sim.apiKey}` },
      });
      expect(await byId.json()).toEqual(sim.refunds()[0]);
      expect((await post("/_sim/reset")).status).toBe(200);
      expect(sim.refunds()).toEqual([]);
      expect(sim.faults().webhooks.reorder).toBe(false);
    });
  });

  describe("gatewayFromConfig", () => {
    const env = { REFUND_DESK_SECRET_KEY: "11".repeat(32), REFUND_DESK_DATA_DIR: "/nonexistent" };

    it("is null without REFUND_DESK_GATEWAY_URL, and a working client with it", async () => {
      expect(gatewayFromConfig(loadConfig(env))).toBeNull();
      const sim = await simulator();
      const gateway = gatewayFromConfig(
        loadConfig({ ...env, REFUND_DESK_GATEWAY_URL: sim.url, REFUND_DESK_GATEWAY_API_KEY: sim.apiKey }),
      );
      expect(await gateway?.getRefund("po_1")).toBeNull();
    });

    it("refuses a gateway URL without an API key at start", () => {
      expect(() => loadConfig({ ...env, REFUND_DESK_GATEWAY_URL: "http://127.0.0.1:8099" })).toThrow(
        /REFUND_DESK_GATEWAY_API_KEY/,
      );
    });
  });
});

describe("refund-desk gateway-sim", () => {
  it("starts, prints its URL, API key and webhook secret, answers, and stops on SIGTERM", async () => {
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      [
        "--import",
        import.meta.resolve("tsx"),
        resolve(ROOT, "src/cli/main.ts"),
        "gateway-sim",
        "--port",
        "0",
        "--api-key",
        "sk_cli_test",
        "--settle-after-ms",
        "0",
      ],
      { cwd: ROOT, env: { ...process.env, REFUND_DESK_LOG_LEVEL: "silent" } },
    );
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    try {
      await expect
        .poll(() => stdout, { timeout: 20_000, interval: 100 })
        .toMatch(/Webhook secret: whsec_\S+/);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      expect(stdout).toContain("API key:        sk_cli_test");
      expect(url).toBeDefined();
      const gateway = new HttpPaymentGateway({ baseUrl: url ?? "", apiKey: "sk_cli_test" });
      await gateway.createRefund(refundRequest("po_cli"));
      await expect.poll(async () => (await gateway.getRefund("po_cli"))?.status).toBe("succeeded");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});
