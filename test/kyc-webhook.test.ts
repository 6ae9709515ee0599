import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { PNG } from "./support/uploads.js";

const engines = await testEngines();

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
interface Problem {
  code: string;
  errors?: Array<{ field: string; code: string }>;
}

function signed(payload: string, msgId = `msg_${randomBytes(8).toString("hex")}`, at = new Date()) {
  return {
    msgId,
    headers: {
      "content-type": "application/json",
      "webhook-id": msgId,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(SECRET).sign(msgId, at, payload),
    },
  };
}

const verdict = (accountId: string, v: "verified" | "rejected", reason: string) =>
  JSON.stringify({ type: "kyc.verdict", data: { accountId, verdict: v, reason } });

describe.each(engines)("KYC verifier webhook on %s", (engine) => {
  let server: TestServer;
  let unconfigured: TestServer;
  let acmeBilling: string;
  let globexBilling: string;

  beforeAll(async () => {
    [server, unconfigured] = await Promise.all([
      startTestServer(engine, { kycWebhookSecret: SECRET }),
      startTestServer(engine),
    ]);
    acmeBilling = server.world.customers.acme.billingAccountId;
    globexBilling = server.world.customers.globex.billingAccountId;
    // Both billing accounts wait for review; JSON routes still parse bodies next to the webhook.
    for (const [email, accountId] of [
      ["owner@acme.example", acmeBilling],
      ["owner@globex.example", globexBilling],
    ] as const) {
      const as: Caller = await login(server.baseUrl, email);
      const boundary = "----kyc-webhook-test";
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npassport\r\n` +
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\n` +
            "Content-Type: image/png\r\n\r\n",
        ),
        PNG,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const up = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc/documents`, {
        as,
        rawBody: body,
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      });
      expect(up.status).toBe(201);
      const sub = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc`, {
        as,
        body: { type: "enterprise", legalName: "Some Ltd", identityNumber: "REG-1" },
      });
      expect(sub.status).toBe(200);
    }
  });
  afterAll(async () => {
    await Promise.all([server?.close(), unconfigured?.close()]);
  });

  const db = () => server.services.store.db;
  const post = (payload: string, headers: Record<string, string>, target = server) =>
    call<Record<string, unknown> & Problem>(target.baseUrl, "POST", "/webhooks/kyc-verifier", {
      rawBody: payload,
      headers,
    });
  const account = (id: string) =>
    db().selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const processed = async () =>
    (await db().selectFrom("processed_webhooks").select("message_id").execute()).map((r) => r.message_id);
  const reviewCount = async () => (await db().selectFrom("kyc_reviews").select("id").execute()).length;

  it("answers 503 when no secret is configured", async () => {
    const payload = verdict(unconfigured.world.customers.acme.billingAccountId, "verified", "ok");
    const res = await post(payload, signed(payload).headers, unconfigured);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe("unavailable");
  });

  it("refuses a tampered body, a missing signature and a stale timestamp, changing nothing", async () => {
    const before = await account(globexBilling);
    const reviews = await reviewCount();
    const payload = verdict(globexBilling, "rejected", "fraud");
    const { headers } = signed(payload);
    const attempts: Array<[string, Record<string, string>]> = [
      [verdict(globexBilling, "verified", "fraud"), headers],
      [payload, { "content-type": "application/json" }],
      [payload, { ...headers, "webhook-signature": "v1,AAAA" }],
      [payload, signed(payload, "msg_stale", new Date(Date.now() - 10 * 60 * 1000)).headers],
      [payload, { ...headers, "webhook-id": "msg_other" }],
    ];
    for (const [body, h] of attempts) {
      const res = await post(body, h);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe("invalid_webhook_signature");
    }
    expect(await account(globexBilling)).toEqual(before);
    expect(await reviewCount()).toBe(reviews);
    expect(await processed()).toEqual([]);
  });

  it("applies a signed verdict once; a replay of the same id is a duplicate", async () => {
    const payload = verdict(acmeBilling, "verified", "Registry match");
    const { msgId, headers } = signed(payload);
    const res = await post(payload, headers);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ applied: true, status: "verified" });
    const row = await account(acmeBilling);
    expect(row.kyc_status).toBe("verified");
    expect(row.kyc_expires_at).not.toBeNull();
    const reviews = await db()
      .selectFrom("kyc_reviews")
      .selectAll()
      .where("account_id", "=", acmeBilling)
      .execute();
    expect(reviews).toEqual([
      expect.objectContaining({
        decision: "verified",
        reason: "Registry match",
        decided_by: "system:kyc-verifier",
      }),
    ]);
    const audit = await db()
      .selectFrom("audit_log")
      .select(["actor", "action"])
      .where("subject_id", "=", acmeBilling)
      .where("action", "=", "kyc.verified")
      .execute();
    expect(audit).toEqual([{ actor: "system:kyc-verifier", action: "kyc.verified" }]);
    expect(await processed()).toEqual([msgId]);

    const replay = await post(payload, headers);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ duplicate: true });
    expect(await account(acmeBilling)).toEqual(row);
    expect(await reviewCount()).toBe(1);
  });

  it("acknowledges a verdict for an account that is not pending, or unknown, without changing it", async () => {
    const before = await account(acmeBilling);
    const payload = verdict(acmeBilling, "rejected", "late verdict");
    const { msgId, headers } = signed(payload);
    const res = await post(payload, headers);
    expect(res.status).toBe(200);
    expect(res.body.applied).toBe(false);
    expect(String(res.body.reason)).toContain("verified");
    expect(await account(acmeBilling)).toEqual(before);
    expect(await processed()).toContain(msgId);

    const unknown = verdict("acct_01jzzzzzzzzzzzzzzzzzzzzzzz", "verified", "ok");
    const u = await post(unknown, signed(unknown).headers);
    expect(u.status).toBe(200);
    expect(u.body).toEqual({ applied: false, reason: "unknown_account" });
    expect(await reviewCount()).toBe(1);
  });

  it("validates the payload after the signature: 400, nothing recorded, so a fixed redelivery still applies", async () => {
    const bad = JSON.stringify({
      type: "kyc.verdict",
      data: { accountId: globexBilling, verdict: "maybe", reason: "" },
    });
    const { msgId, headers } = signed(bad);
    const res = await post(bad, headers);
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.field).sort()).toEqual(["data.reason", "data.verdict"]);
    expect(await processed()).not.toContain(msgId);
    expect((await account(globexBilling)).kyc_status).toBe("pending");

    const other = JSON.stringify({ type: "kyc.something_new", data: {} });
    const ignored = await post(other, signed(other).headers);
    expect(ignored.status).toBe(200);
    expect(ignored.body.applied).toBe(false);

    const good = verdict(globexBilling, "rejected", "Document expired");
    const ok = await post(good, signed(good).headers);
    expect(ok.body).toEqual({ applied: true, status: "rejected" });
    expect(await account(globexBilling)).toMatchObject({
      kyc_status: "rejected",
      kyc_rejection_reason: "Document expired",
    });
  });
});
