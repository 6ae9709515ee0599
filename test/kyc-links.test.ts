import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, type Caller, call, login, type RequestOptions } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

const engines = await testEngines();

const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
  Buffer.from([0xff, 0xd9]),
]);

// Secrets that must never come back out: raw, normalised, and the card fingerprint.
const SHARED_NUMBER_ACME = "ab 123 456-c";
const SHARED_NUMBER_GLOBEX = "AB-123456 C";
const SHARED_NUMBER_NORMALISED = "AB123456C";
const OTHER_NUMBER = "ZZ-999-888";
const SHARED_CARD = "fp_Q8sH2kLm9TnXc4Va";
const OTHER_CARD = "fp_Unrelated77Card";

interface Link {
  accountId: string;
  accountName: string;
  organisationId: string;
  organisationName: string;
  shared: string[];
  review: { verdict: string; reason: string; reviewedBy: string; reviewedAt: string } | null;
}

interface PaymentMethod {
  id: string;
  type: string;
  label: string;
  status: string;
  createdAt: string;
}

describe.each(engines)("identity links and payment methods on %s", (engine) => {
  let server: TestServer;
  let acmeOwner: Caller;
  let acmeViewer: Caller;
  let globexOwner: Caller;
  let reviewer: Caller;
  let compliance: Caller;
  let admin: Caller;
  let acmeProduction: string;
  let acmeDataLake: string;
  let globexShop: string;
  let globexBilling: string;
  const responses: string[] = [];

  /** Every response of this suite is kept, to prove no identity secret ever leaves. */
  async function api<T>(method: string, path: string, options: RequestOptions): Promise<ApiResponse<T>> {
    const res = await call<T>(server.baseUrl, method, path, options);
    responses.push(res.text);
    return res;
  }

  async function uploadAndSubmit(as: Caller, accountId: string, identityNumber: string) {
    const boundary = "----kyc-links-test";
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nnational_id\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="id.jpg"\r\n` +
          "Content-Type: image/jpeg\r\n\r\n",
      ),
      JPEG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const up = await api("POST", `/accounts/${accountId}/kyc/documents`, {
      as,
      rawBody: body,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    expect(up.status).toBe(201);
    const sub = await api("POST", `/accounts/${accountId}/kyc`, {
      as,
      body: { type: "individual", legalName: "Sam Same", identityNumber },
    });
    expect(sub.status).toBe(200);
  }

  const addCard = (
    as: Caller,
    accountId: string,
    instrumentFingerprint: string,
    label = "Visa ending 4242",
  ) =>
    api<PaymentMethod & { code: string }>("POST", `/accounts/${accountId}/payment-methods`, {
      as,
      body: { type: "card", label, instrumentFingerprint },
    });

  const links = (as: Caller, accountId: string) =>
    api<{ items: Link[]; code?: string }>("GET", `/accounts/${accountId}/links`, { as });

  beforeAll(async () => {
    server = await startTestServer(engine);
    const url = server.baseUrl;
    [acmeOwner, acmeViewer, globexOwner, reviewer, compliance, admin] = await Promise.all([
      login(url, "owner@acme.example"),
      login(url, "viewer@acme.example"),
      login(url, "owner@globex.example"),
      login(url, "reviewer@nimbus.example"),
      login(url, "compliance@nimbus.example"),
      login(url, "admin@nimbus.example"),
    ]);
    [acmeProduction, acmeDataLake] = server.world.customers.acme.memberAccountIds as [string, string];
    globexShop = server.world.customers.globex.memberAccountIds[0]!;
    globexBilling = server.world.customers.globex.billingAccountId;

    await uploadAndSubmit(acmeOwner, acmeProduction, SHARED_NUMBER_ACME);
    await uploadAndSubmit(globexOwner, globexShop, SHARED_NUMBER_GLOBEX);
    await uploadAndSubmit(acmeOwner, acmeDataLake, OTHER_NUMBER);
  });
  afterAll(async () => server?.close());

  describe("payment methods", () => {
    it("registers a card, lists it without its fingerprint, and keeps only a keyed hash", async () => {
      const created = await addCard(acmeOwner, acmeProduction, SHARED_CARD);
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^pm_/),
        type: "card",
        label: "Visa ending 4242",
        status: "active",
        createdAt: "2026-05-04T10:00:00.000Z",
      });
      const list = await api<{ items: PaymentMethod[] }>(
        "GET",
        `/accounts/${acmeProduction}/payment-methods`,
        {
          as: acmeViewer,
        },
      );
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([created.body]);

      const row = await server.services.store.db
        .selectFrom("payment_methods")
        .innerJoin("identity_fingerprints", "identity_fingerprints.id", "payment_methods.fingerprint_id")
        .select([
          "identity_fingerprints.kind",
          "identity_fingerprints.keyed_hash",
          "identity_fingerprints.account_id",
        ])
        .where("payment_methods.id", "=", created.body.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ kind: "payment_instrument", account_id: acmeProduction });
      expect(row.keyed_hash).toMatch(/^[0-9a-f]{64}$/);

      expect((await addCard(globexOwner, globexShop, SHARED_CARD, "UnionPay 0001")).status).toBe(201);
      expect((await addCard(acmeOwner, acmeDataLake, OTHER_CARD)).status).toBe(201);
    });

    it("lets only owners and billing admins manage payment methods", async () => {
      const before = await server.services.store.db.selectFrom("payment_methods").select("id").execute();
      const asViewer = await addCard(acmeViewer, acmeProduction, "fp_viewer");
      expect(asViewer.status).toBe(403);
      expect(asViewer.body.code).toBe("forbidden");
      const foreign = await addCard(globexOwner, acmeProduction, "fp_foreign");
      expect(foreign.status).toBe(404);
      const blank = await addCard(acmeOwner, acmeProduction, "   ", " ");
      expect(blank.status).toBe(400);
      expect(await server.services.store.db.selectFrom("payment_methods").select("id").execute()).toEqual(
        before,
      );
    });

    it("refuses the same instrument twice while active; closing is final and idempotent", async () => {
      const dup = await addCard(acmeOwner, acmeProduction, ` ${SHARED_CARD} `);
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe("conflict");

      const [pm] = (
        await api<{ items: PaymentMethod[] }>("GET", `/accounts/${acmeProduction}/payment-methods`, {
          as: acmeOwner,
        })
      ).body.items;
      const closePath = `/accounts/${acmeProduction}/payment-methods/${pm!.id}/close`;
      expect((await api("POST", closePath, { as: acmeViewer })).status).toBe(403);
      const closed = await api<PaymentMethod>("POST", closePath, { as: acmeOwner });
      expect(closed.status).toBe(200);
      expect(closed.body.status).toBe("closed");
      const row = await server.services.store.db
        .selectFrom("payment_methods")
        .select("status")
        .where("id", "=", pm!.id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe("closed");
      const audits = (await server.services.store.db.selectFrom("audit_log").select("seq").execute()).length;
      const again = await api<PaymentMethod>("POST", closePath, { as: acmeOwner });
      expect(again.body.status).toBe("closed");
      expect((await server.services.store.db.selectFrom("audit_log").select("seq").execute()).length).toBe(
        audits,
      );
      const elsewhere = await api("POST", `/accounts/${acmeDataLake}/payment-methods/${pm!.id}/close`, {
        as: acmeOwner,
      });
      expect(elsewhere.status).toBe(404);

      // Re-registering the closed card makes a new active method on the same fingerprint.
      const readded = await addCard(acmeOwner, acmeProduction, SHARED_CARD);
      expect(readded.status).toBe(201);
      const prints = await server.services.store.db
        .selectFrom("identity_fingerprints")
        .select("id")
        .where("account_id", "=", acmeProduction)
        .where("kind", "=", "payment_instrument")
        .execute();
      expect(prints).toHaveLength(1);
    });
  });

  describe("identity links", () => {
    it("links an Acme and a Globex account sharing an identity number and a card, both ways", async () => {
      const fromAcme = await links(reviewer, acmeProduction);
      expect(fromAcme.status).toBe(200);
      expect(fromAcme.body.items).toEqual([
        {
          accountId: globexShop,
          accountName: "Globex — web shop",
          organisationId: server.world.customers.globex.organisationId,
          organisationName: "Globex Retail (Shanghai) Co., Ltd.",
          shared: ["identity_number", "payment_instrument"],
          review: null,
        },
      ]);
      const fromGlobex = await links(compliance, globexShop);
      expect(fromGlobex.body.items).toEqual([
        expect.objectContaining({
          accountId: acmeProduction,
          organisationId: server.world.customers.acme.organisationId,
          shared: ["identity_number", "payment_instrument"],
        }),
      ]);
      const asAdmin = await links(admin, acmeProduction);
      expect(asAdmin.body.items).toHaveLength(1);
    });

    it("shows compliance's latest verdict on a link, seen from either account", async () => {
      const review = (verdict: string, reason: string) =>
        api("POST", `/accounts/${acmeProduction}/links/${globexShop}/review`, {
          as: compliance,
          body: { verdict, reason },
        });
      expect((await review("suspected_abuse", "Same passport, refunds on both sides")).status).toBe(201);
      expect((await review("legitimate", "A group company; confirmed by phone")).status).toBe(201);
      for (const [from, to] of [
        [acmeProduction, globexShop],
        [globexShop, acmeProduction],
      ] as const) {
        const items = (await links(reviewer, from)).body.items;
        expect(items.find((l) => l.accountId === to)?.review).toMatchObject({
          verdict: "legitimate",
          reason: "A group company; confirmed by phone",
        });
      }
    });

    it("lists nothing for an unrelated account", async () => {
      expect((await links(reviewer, acmeDataLake)).body.items).toEqual([]);
      expect((await links(reviewer, globexBilling)).body.items).toEqual([]);
    });

    it("is for staff only: customers get 403 on their own accounts, 404 on others", async () => {
      const own = await links(acmeOwner, acmeProduction);
      expect(own.status).toBe(403);
      expect(own.body.code).toBe("forbidden");
      const foreign = await links(globexOwner, acmeProduction);
      expect(foreign.status).toBe(404);
    });

    it("never shows identity numbers, card fingerprints or their hashes in responses or the audit log", async () => {
      const db = server.services.store.db;
      const hashes = (await db.selectFrom("identity_fingerprints").select("keyed_hash").execute()).map(
        (r) => r.keyed_hash,
      );
      expect(hashes.length).toBeGreaterThanOrEqual(5);
      for (const who of [acmeOwner, reviewer, compliance]) {
        await api("GET", `/accounts/${acmeProduction}/kyc`, { as: who });
        await api("GET", `/accounts/${acmeProduction}`, { as: who });
      }
      await api("GET", `/organisations/${server.world.customers.acme.organisationId}/audit-log`, {
        as: acmeOwner,
      });
      const secrets = [
        SHARED_NUMBER_ACME,
        SHARED_NUMBER_GLOBEX,
        SHARED_NUMBER_NORMALISED,
        OTHER_NUMBER,
        "ZZ999888",
        SHARED_CARD,
        OTHER_CARD,
        ...hashes,
      ];
      const audit = (await db.selectFrom("audit_log").select(["action", "summary"]).execute()).map(
        (r) => `${r.action} ${r.summary}`,
      );
      expect(audit.some((a) => a.startsWith("kyc.submitted"))).toBe(true);
      expect(audit.some((a) => a.startsWith("payment_method.added"))).toBe(true);
      expect(responses.length).toBeGreaterThan(20);
      for (const secret of secrets) {
        for (const text of [...responses, ...audit]) expect(text).not.toContain(secret);
      }
      // The stored rows hold the hash, never the input.
      const stored = JSON.stringify(await db.selectFrom("identity_fingerprints").selectAll().execute());
      for (const secret of [SHARED_NUMBER_NORMALISED, SHARED_CARD, OTHER_CARD, "ZZ999888"])
        expect(stored).not.toContain(secret);
    });
  });
});
