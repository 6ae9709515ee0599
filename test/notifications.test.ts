import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueJob } from "../src/jobs/enqueue-job.js";
import { renderDecisionLetter } from "../src/letters/decision-letter.js";
import type { CustomerNotice } from "../src/notifications/customer-notice.js";
import { notifyCustomer } from "../src/notifications/notify-customer.js";
import { sendEmail } from "../src/notifications/send-email.js";
import { inTransaction } from "../src/store/database.js";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

const engines = await testEngines();

interface Problem {
  code: string;
  errors?: Array<{ field: string; code: string }>;
}

interface EndpointBody {
  id: string;
  organisationId: string;
  url: string;
  events: string[];
  status: string;
  secret?: string;
}

interface DeliveryBody {
  id: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  payload: string;
  attemptLog: Array<{ attempt: number; statusCode: number | null; error: string | null }>;
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on loopback; each path answers its queued statuses, then 200. */
async function startReceiver() {
  const received = new Map<string, Received[]>();
  const statuses = new Map<string, number[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.set(path, [
        ...(received.get(path) ?? []),
        { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") },
      ]);
      res.statusCode = statuses.get(path)?.shift() ?? 200;
      res.end("thanks");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received: (path: string) => received.get(path) ?? [],
    answer: (path: string, ...codes: number[]) => statuses.set(path, codes),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const signatureHeaders = (h: IncomingHttpHeaders): Record<string, string> => ({
  "webhook-id": String(h["webhook-id"]),
  "webhook-timestamp": String(h["webhook-timestamp"]),
  "webhook-signature": String(h["webhook-signature"]),
});

describe.each(engines)("customer notifications on %s", (engine) => {
  let server: TestServer;
  let strict: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let owner: Caller;
  let viewer: Caller;
  let globexOwner: Caller;
  let acmeOrg: string;
  let globexOrg: string;
  let caseSeq = 0;

  beforeAll(async () => {
    [server, strict, receiver] = await Promise.all([
      startTestServer(engine, { webhookAllowPrivateNetworks: true }),
      startTestServer(engine),
      startReceiver(),
    ]);
    // Receivers check the signature's timestamp against their wall clock.
    server.clock.set(new Date());
    acmeOrg = server.world.customers.acme.organisationId;
    globexOrg = server.world.customers.globex.organisationId;
    owner = await login(server.baseUrl, "owner@acme.example");
    viewer = await login(server.baseUrl, "viewer@acme.example");
    globexOwner = await login(server.baseUrl, "owner@globex.example");
    // The demo's own jobs (its audit) run now, so each test drains only its own.
    await server.worker.drain();
  });
  afterAll(async () => {
    await Promise.all([server?.close(), strict?.close(), receiver?.close()]);
  });

  const db = () => server.services.store.db;
  const register = (body: Record<string, unknown>, as = owner, target = server, key?: string) =>
    call<EndpointBody & Problem>(
      target.baseUrl,
      "POST",
      `/organisations/${target.world.customers.acme.organisationId}/webhook-endpoints`,
      { as, body, idempotencyKey: key },
    );
  const notice = (overrides: Partial<CustomerNotice> = {}): CustomerNotice => {
    caseSeq += 1;
    return {
      type: "case.decided",
      organisationId: acmeOrg,
      subjectId: `case_test${String(caseSeq).padStart(22, "0")}`,
      occurredAt: server.clock.now().toISOString(),
      data: { caseId: `case_${caseSeq}`, ticketNumber: `RD-2026-${caseSeq}`, outcome: "partial_refund" },
      email: null,
      ...overrides,
    };
  };
  const notify = (n: CustomerNotice) => inTransaction(server.services.store, (tx) => notifyCustomer(tx, n));
  const deliveriesOf = (subjectId: string, endpointId?: string) => {
    let q = db().selectFrom("webhook_deliveries").selectAll().where("subject_id", "=", subjectId);
    if (endpointId) q = q.where("endpoint_id", "=", endpointId);
    return q.orderBy("id").execute();
  };
  const deliveryLog = (endpointId: string, query = "") =>
    call<{ items: DeliveryBody[]; nextCursor: string | null }>(
      server.baseUrl,
      "GET",
      `/organisations/${acmeOrg}/webhook-endpoints/${endpointId}/deliveries${query}`,
      { as: owner },
    );

  it("registers an endpoint: the secret is shown once and stored only encrypted, with an audit entry", async () => {
    const res = await register({ url: receiver.url("/register"), events: ["*"], description: "ops" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ organisationId: acmeOrg, events: ["*"], status: "active" });
    expect(res.body.id).toMatch(/^whe_/);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const row = await db()
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("id", "=", res.body.id)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(row.secret_ciphertext).toString("latin1")).not.toContain(
      res.body.secret?.slice("whsec_".length),
    );
    const list = await call<{ items: EndpointBody[] }>(
      server.baseUrl,
      "GET",
      `/organisations/${acmeOrg}/webhook-endpoints`,
      { as: owner },
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((e) => e.id)).toContain(res.body.id);
    expect(list.text).not.toContain("whsec_");
    const audit = await db()
      .selectFrom("audit_log")
      .select(["action", "actor", "summary"])
      .where("subject_id", "=", res.body.id)
      .execute();
    expect(audit).toEqual([expect.objectContaining({ action: "webhook_endpoint.created" })]);
    expect(audit[0]?.summary).not.toContain("whsec_");
  });

  it("replays a registration sent twice with one Idempotency-Key", async () => {
    const body = { url: receiver.url("/idempotent"), events: ["case.closed"] };
    const first = await register(body, owner, server, "create-endpoint-1");
    const second = await register(body, owner, server, "create-endpoint-1");
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body.id).toBe(first.body.id);
    const rows = await db()
      .selectFrom("webhook_endpoints")
      .select("id")
      .where("url", "=", body.url)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it("signs and delivers an event to each subscribed endpoint; the receiver verifies it", async () => {
    const all = await register({ url: receiver.url("/all"), events: ["*"] });
    const decided = await register({
      url: receiver.url("/decided"),
      events: ["case.decided", "case.closed"],
    });
    const other = await register({ url: receiver.url("/other"), events: ["case.submitted"] });
    const n = notice();
    await notify(n);
    // Nothing is sent inside the transaction: only rows and jobs.
    expect(receiver.received("/all")).toEqual([]);
    await server.worker.drain();

    expect(receiver.received("/other")).toEqual([]);
    for (const [endpoint, path] of [
      [all, "/all"],
      [decided, "/decided"],
    ] as const) {
      const [got] = receiver.received(path);
      expect(got).toBeDefined();
      if (!got) continue;
      expect(got.headers["content-type"]).toBe("application/json");
      expect(got.headers["user-agent"]).toBe("RefundDesk-Webhooks/1");
      const payload = new Webhook(endpoint.body.secret ?? "").verify(got.body, signatureHeaders(got.headers));
      expect(payload).toEqual({ type: "case.decided", timestamp: n.occurredAt, data: n.data });
      // Another endpoint's secret does not verify it.
      expect(() =>
        new Webhook(other.body.secret ?? "").verify(got.body, signatureHeaders(got.headers)),
      ).toThrow();
    }
    const rows = (await deliveriesOf(n.subjectId)).filter((r) =>
      [all.body.id, decided.body.id, other.body.id].includes(r.endpoint_id),
    );
    expect(rows.map((r) => r.endpoint_id).sort()).toEqual([all.body.id, decided.body.id].sort());
    for (const r of rows) {
      expect(r).toMatchObject({ status: "delivered", attempts: 1, last_status_code: 200 });
      expect(r.id).toMatch(/^whd_/);
    }
    const [toAll] = receiver.received("/all");
    expect(toAll?.headers["webhook-id"]).toBe(rows.find((r) => r.endpoint_id === all.body.id)?.id);
  });

  it("retries a failing receiver with backoff, under the same webhook-id, and logs each attempt", async () => {
    const endpoint = await register({ url: receiver.url("/flaky"), events: ["case.escalated"] });
    receiver.answer("/flaky", 500, 500);
    const n = notice({ type: "case.escalated" });
    await notify(n);

    await server.worker.drain();
    expect(receiver.received("/flaky")).toHaveLength(1);
    // Not due yet: the worker's backoff is 2 s after the first failure, then 4 s.
    await server.worker.drain();
    expect(receiver.received("/flaky")).toHaveLength(1);
    server.clock.advance(2_000);
    await server.worker.drain();
    expect(receiver.received("/flaky")).toHaveLength(2);
    server.clock.advance(4_000);
    await server.worker.drain();

    const got = receiver.received("/flaky");
    expect(got).toHaveLength(3);
    const [delivery] = await deliveriesOf(n.subjectId, endpoint.body.id);
    expect(new Set(got.map((g) => g.headers["webhook-id"]))).toEqual(new Set([delivery?.id]));
    // The body is the same bytes every time; each attempt is signed afresh.
    expect(new Set(got.map((g) => g.body)).size).toBe(1);
    const last = got[2];
    if (last) new Webhook(endpoint.body.secret ?? "").verify(last.body, signatureHeaders(last.headers));

    const log = await deliveryLog(endpoint.body.id);
    expect(log.status).toBe(200);
    expect(log.body.items).toHaveLength(1);
    expect(log.body.items[0]).toMatchObject({ id: delivery?.id, status: "delivered", attempts: 3 });
    expect(log.body.items[0]?.attemptLog.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, "HTTP 500"],
      [2, 500, "HTTP 500"],
      [3, 200, null],
    ]);
  });

  it("marks a delivery failed after its last attempt; a retry re-queues it under the same id", async () => {
    const endpoint = await register({ url: receiver.url("/down"), events: ["case.withdrawn"] });
    receiver.answer("/down", ...Array.from({ length: 8 }, () => 503));
    const n = notice({ type: "case.withdrawn" });
    await notify(n);
    for (let attempt = 1; attempt <= 8; attempt++) {
      await server.worker.drain();
      server.clock.advance(2 ** attempt * 1000);
    }
    const [failed] = await deliveriesOf(n.subjectId, endpoint.body.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 8, last_status_code: 503 });
    expect(receiver.received("/down")).toHaveLength(8);
    const jobs = await db()
      .selectFrom("jobs")
      .select(["status", "attempts"])
      .where("kind", "=", "webhook.deliver")
      .where("payload", "=", JSON.stringify({ deliveryId: failed?.id }))
      .execute();
    expect(jobs).toEqual([{ status: "dead", attempts: 8 }]);

    const retry = await call<DeliveryBody & Problem>(
      server.baseUrl,
      "POST",
      `/organisations/${acmeOrg}/webhook-deliveries/${failed?.id}/retry`,
      { as: owner },
    );
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ id: failed?.id, status: "pending" });
    await server.worker.drain();
    const [delivered] = await deliveriesOf(n.subjectId, endpoint.body.id);
    expect(delivered).toMatchObject({ id: failed?.id, status: "delivered", attempts: 9 });
    expect(new Set(receiver.received("/down").map((g) => g.headers["webhook-id"]))).toEqual(
      new Set([failed?.id]),
    );
    const again = await call<Problem>(
      server.baseUrl,
      "POST",
      `/organisations/${acmeOrg}/webhook-deliveries/${failed?.id}/retry`,
      { as: owner },
    );
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("invalid_transition");
    const audit = await db()
      .selectFrom("audit_log")
      .select("action")
      .where("subject_id", "=", failed?.id ?? "")
      .execute();
    expect(audit).toEqual([{ action: "webhook_delivery.retried" }]);
    expect((await deliveryLog(endpoint.body.id)).body.items[0]?.attemptLog).toHaveLength(9);
  });

  it("pages the delivery log newest first", async () => {
    const endpoint = await register({ url: receiver.url("/paged"), events: ["case.info_reminder"] });
    const subjects: string[] = [];
    for (let i = 0; i < 3; i++) {
      const n = notice({ type: "case.info_reminder" });
      subjects.push(n.subjectId);
      await notify(n);
    }
    const first = await deliveryLog(endpoint.body.id, "?limit=2");
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await deliveryLog(endpoint.body.id, `?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items].map((d) => d.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(ids).toHaveLength(3);
    await server.worker.drain();
  });

  it("sends nothing to a disabled endpoint: its pending delivery fails unsent", async () => {
    const endpoint = await register({ url: receiver.url("/disabled"), events: ["case.appealed"] });
    const n = notice({ type: "case.appealed" });
    await notify(n);
    const res = await call<EndpointBody>(
      server.baseUrl,
      "POST",
      `/organisations/${acmeOrg}/webhook-endpoints/${endpoint.body.id}/disable`,
      { as: owner },
    );
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("disabled");
    await server.worker.drain();
    expect(receiver.received("/disabled")).toEqual([]);
    const [delivery] = await deliveriesOf(n.subjectId, endpoint.body.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 0 });
    // Later events make no delivery for it at all.
    const later = notice({ type: "case.appealed" });
    await notify(later);
    expect(await deliveriesOf(later.subjectId, endpoint.body.id)).toEqual([]);
    const retry = await call<Problem>(
      server.baseUrl,
      "POST",
      `/organisations/${acmeOrg}/webhook-deliveries/${delivery?.id}/retry`,
      { as: owner },
    );
    expect(retry.status).toBe(409);
  });

  it("e-mails the billing contacts once, as an .eml with the letter attached", async () => {
    const letterDir = join(server.services.config.dataDir, "letters");
    mkdirSync(letterDir, { recursive: true });
    const letterPath = join(letterDir, "RD-2026-000777.pdf");
    writeFileSync(
      letterPath,
      await renderDecisionLetter({
        providerName: "Nimbus Cloud",
        ticketNumber: "RD-2026-000777",
        caseId: "case_01jt0000000000000000000777",
        timeZone: "Europe/London",
        policyVersion: "2026.1",
        customer: {
          organisationName: "Acme Analytics Ltd",
          accountName: "Acme — billing",
          providerAccountId: null,
        },
        lineItem: {
          description: "Compute",
          serviceName: null,
          resourceId: null,
          regionId: null,
          chargePeriodStart: null,
          chargePeriodEnd: null,
          invoiceId: null,
          sourceRef: "charges.csv:2",
          billedCost: "10.00",
          currency: "USD",
        },
        requestedAmount: "10.00",
        decision: {
          sequence: 1,
          final: false,
          outcome: "refund_original_method",
          amount: "10.00",
          currency: "USD",
          decidedAt: server.clock.now().toISOString(),
          deciderName: "Riley Reviewer",
          rationale: "Billed twice.",
          clauses: [],
          evidence: [],
          credit: null,
          adjustment: null,
          alternatives: [],
        },
        appeal: { by: new Date(server.clock.now().getTime() + 30 * 86_400_000).toISOString() },
      }),
    );
    const n = notice({
      email: {
        subject: "Decision on RD-2026-000777",
        text: "We have decided your refund request. The letter is attached.",
        attachments: [{ filename: "RD-2026-000777.pdf", path: letterPath, contentType: "application/pdf" }],
      },
    });
    await notify(n);
    const row = await db()
      .selectFrom("email_messages")
      .selectAll()
      .where("subject_id", "=", n.subjectId)
      .executeTakeFirstOrThrow();
    expect(row.id).toMatch(/^eml_/);
    expect(JSON.parse(row.recipients)).toEqual([
      { name: "Aaron Admin", address: "admin@acme.example" },
      { name: "Bea Billing", address: "billing@acme.example" },
      { name: "Olivia Owner", address: "owner@acme.example" },
    ]);
    await server.worker.drain();

    const sent = await db()
      .selectFrom("email_messages")
      .selectAll()
      .where("id", "=", row.id)
      .executeTakeFirstOrThrow();
    const emlPath = join(server.services.config.dataDir, "mail", `${row.id}.eml`);
    expect(sent).toMatchObject({ status: "sent", file_path: emlPath, message_id: `<${row.id}@localhost>` });
    const eml = readFileSync(emlPath, "utf8");
    expect(eml).toContain("From: Refund Desk <refunds@localhost>");
    expect(eml).toMatch(
      /To: Aaron Admin <admin@acme\.example>, Bea Billing <billing@acme\.example>,\s+Olivia Owner <owner@acme\.example>/,
    );
    expect(eml).not.toContain("viewer@acme.example");
    expect(eml).toContain("Subject: Decision on RD-2026-000777");
    expect(eml).toContain(`Message-ID: <${row.id}@localhost>`);
    expect(eml).toContain("Content-Type: application/pdf; name=RD-2026-000777.pdf");
    expect(eml).toContain("Content-Disposition: attachment; filename=RD-2026-000777.pdf");
    // The attachment is the letter, byte for byte.
    const base64 = /filename=RD-2026-000777\.pdf\n\n([A-Za-z0-9+/=\n]+)\n--/.exec(eml)?.[1] ?? "";
    expect(Buffer.from(base64.replaceAll("\n", ""), "base64").equals(readFileSync(letterPath))).toBe(true);

    // A second run of the job (or a second job) sends nothing again.
    rmSync(emlPath);
    const job = await db()
      .selectFrom("jobs")
      .selectAll()
      .where("kind", "=", "notification.email")
      .where("payload", "=", JSON.stringify({ emailId: row.id }))
      .executeTakeFirstOrThrow();
    await sendEmail(server.services, { emailId: row.id }, job);
    await inTransaction(server.services.store, (tx) =>
      enqueueJob(tx, {
        kind: "notification.email",
        payload: { emailId: row.id },
        at: server.clock.now().toISOString(),
      }),
    );
    await server.worker.drain();
    expect(existsSync(emlPath)).toBe(false);
    const after = await db()
      .selectFrom("email_messages")
      .select(["status", "sent_at"])
      .where("id", "=", row.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ status: "sent", sent_at: sent.sent_at });
  });

  it("refuses loopback, private and link-local URLs unless private networks are allowed", async () => {
    const strictOwner = await login(strict.baseUrl, "owner@acme.example");
    for (const [url, code] of [
      ["http://127.0.0.1:8080/hook", "private_address"],
      ["http://2130706433/hook", "private_address"],
      ["http://169.254.169.254/latest/meta-data", "private_address"],
      ["http://10.1.2.3/hook", "private_address"],
      ["http://[::1]/hook", "private_address"],
      ["http://[::ffff:192.168.0.1]/hook", "private_address"],
      ["http://localhost/hook", "private_address"],
      ["ftp://198.51.100.7/hook", "unsupported_scheme"],
      ["https://user:pass@198.51.100.7/hook", "credentials_in_url"],
      ["not a url", "invalid_url"],
    ] as const) {
      const res = await register({ url, events: ["*"] }, strictOwner, strict);
      expect(res.status, url).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(res.body.code).toBe("validation_failed");
      expect(res.body.errors, url).toEqual([expect.objectContaining({ field: "url", code })]);
    }
    const ok = await register({ url: "https://198.51.100.7/hook", events: ["*"] }, strictOwner, strict);
    expect(ok.status).toBe(201);
    const stored = await strict.services.store.db.selectFrom("webhook_endpoints").select("url").execute();
    expect(stored).toEqual([{ url: "https://198.51.100.7/hook" }]);
  });

  it("refuses at delivery an endpoint that now points at a private address, without sending", async () => {
    const endpoint = await register({ url: receiver.url("/rebound"), events: ["case.closed"] });
    const n = notice({ type: "case.closed" });
    await notify(n);
    server.services.config.webhookAllowPrivateNetworks = false;
    try {
      await server.worker.drain();
    } finally {
      server.services.config.webhookAllowPrivateNetworks = true;
    }
    expect(receiver.received("/rebound")).toEqual([]);
    const [delivery] = await deliveriesOf(n.subjectId, endpoint.body.id);
    expect(delivery?.status).toBe("failed");
    expect(delivery?.last_error).toMatch(/^refused: .*private/);
    const log = await deliveryLog(endpoint.body.id);
    expect(log.body.items[0]?.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: null, error: delivery?.last_error }),
    ]);
  });

  it("validates the events, collecting every field error", async () => {
    const res = await register({ url: "ftp://x", events: ["case.nope", "*"] });
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => [e.field, e.code])).toEqual([
      ["url", "unsupported_scheme"],
      ["events", "invalid_events"],
    ]);
    const events = await register({ url: receiver.url("/x"), events: ["case.nope", "case.decided"] });
    expect(events.body.errors).toEqual([
      expect.objectContaining({ field: "events", code: "unknown_event_type" }),
    ]);
    const star = await register({ url: receiver.url("/x"), events: ["*", "case.decided"] });
    expect(star.body.errors).toEqual([expect.objectContaining({ field: "events", code: "invalid_events" })]);
    const none = await register({ url: receiver.url("/x"), events: [] });
    expect(none.body.errors).toEqual([expect.objectContaining({ field: "events", code: "required" })]);
  });

  it("hides another organisation's endpoints and deliveries (404) and refuses a viewer (403)", async () => {
    const mine = await register({ url: receiver.url("/mine"), events: ["*"] });
    const n = notice({ type: "case.submitted" });
    await notify(n);
    const [delivery] = await deliveriesOf(n.subjectId, mine.body.id);
    for (const [method, path] of [
      ["GET", `/organisations/${acmeOrg}/webhook-endpoints`],
      ["POST", `/organisations/${acmeOrg}/webhook-endpoints/${mine.body.id}/disable`],
      ["GET", `/organisations/${acmeOrg}/webhook-endpoints/${mine.body.id}/deliveries`],
      ["POST", `/organisations/${acmeOrg}/webhook-deliveries/${delivery?.id}/retry`],
    ] as const) {
      const foreign = await call<Problem>(server.baseUrl, method, path, { as: globexOwner });
      expect(foreign.status, path).toBe(404);
      expect(foreign.text).not.toContain("Acme");
      const denied = await call<Problem>(server.baseUrl, method, path, { as: viewer });
      expect(denied.status, path).toBe(403);
    }
    const foreignCreate = await register({ url: receiver.url("/x"), events: ["*"] }, globexOwner);
    expect(foreignCreate.status).toBe(404);
    // Acme's endpoint, reached through Globex's own organisation, does not exist there.
    for (const [method, path] of [
      ["POST", `/organisations/${globexOrg}/webhook-endpoints/${mine.body.id}/disable`],
      ["GET", `/organisations/${globexOrg}/webhook-endpoints/${mine.body.id}/deliveries`],
      ["POST", `/organisations/${globexOrg}/webhook-deliveries/${delivery?.id}/retry`],
    ] as const) {
      const res = await call<Problem>(server.baseUrl, method, path, { as: globexOwner });
      expect(res.status, path).toBe(404);
    }
    expect(
      (
        await db()
          .selectFrom("webhook_endpoints")
          .select("status")
          .where("id", "=", mine.body.id)
          .executeTakeFirst()
      )?.status,
    ).toBe("active");
    await server.worker.drain();
  });
});
