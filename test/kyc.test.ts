import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { ELF, HTML, JPEG, multipart, type Part, PDF, PNG, ZIP } from "./support/uploads.js";

const engines = await testEngines();

interface DocumentBody {
  id: string;
  kind: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  createdAt: string;
}

interface Problem {
  code: string;
  errors?: Array<{ field: string; code: string }>;
}

interface KycStatusBody {
  accountId: string;
  status: string;
  via: string | null;
  type: string | null;
  legalName: string | null;
  submittedAt: string | null;
  verifiedAt: string | null;
  expiresAt: string | null;
  rejectionReason: string | null;
  documents: DocumentBody[];
  reviews: Array<{ decision: string; reason: string; decidedBy: string; at: string }>;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(engines)("KYC on %s", (engine) => {
  let server: TestServer;
  let small: TestServer;
  let owner: Caller;
  let billingAdmin: Caller;
  let billingContact: Caller;
  let viewer: Caller;
  let globexOwner: Caller;
  let compliance: Caller;
  let reviewer: Caller;
  let acmeBilling: string;
  let acmeProduction: string;
  let acmeDataLake: string;
  let globexBilling: string;

  beforeAll(async () => {
    [server, small] = await Promise.all([
      startTestServer(engine),
      startTestServer(engine, { maxUploadBytes: 1024 }),
    ]);
    const url = server.baseUrl;
    [owner, billingAdmin, billingContact, viewer, globexOwner, compliance, reviewer] = await Promise.all([
      login(url, "owner@acme.example"),
      login(url, "admin@acme.example"),
      login(url, "billing@acme.example"),
      login(url, "viewer@acme.example"),
      login(url, "owner@globex.example"),
      login(url, "compliance@nimbus.example"),
      login(url, "reviewer@nimbus.example"),
    ]);
    acmeBilling = server.world.customers.acme.billingAccountId;
    [acmeProduction, acmeDataLake] = server.world.customers.acme.memberAccountIds as [string, string];
    globexBilling = server.world.customers.globex.billingAccountId;
  });
  afterAll(async () => {
    await Promise.all([server?.close(), small?.close()]);
  });

  const db = () => server.services.store.db;

  function upload(
    target: TestServer,
    as: Caller,
    accountId: string,
    parts: Part[],
  ): Promise<ApiResponse<DocumentBody & Problem>> {
    const form = multipart(parts);
    return call(target.baseUrl, "POST", `/accounts/${accountId}/kyc/documents`, {
      as,
      rawBody: form.body,
      headers: { "content-type": form.contentType },
    });
  }

  const file = (data: Buffer, filename: string, contentType: string): Part => ({
    name: "file",
    filename,
    contentType,
    data,
  });
  const kind = (value: string): Part => ({ name: "kind", value });

  async function documentCount(target: TestServer): Promise<number> {
    const rows = await target.services.store.db.selectFrom("kyc_documents").select("id").execute();
    return rows.length;
  }

  async function accountRow(id: string) {
    return db().selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  async function auditCount(): Promise<number> {
    return (await db().selectFrom("audit_log").select("seq").execute()).length;
  }

  const kycOf = (as: Caller, accountId: string) =>
    call<KycStatusBody>(server.baseUrl, "GET", `/accounts/${accountId}/kyc`, { as });

  const submit = (as: Caller, accountId: string, body: Record<string, unknown>) =>
    call<KycStatusBody & Problem>(server.baseUrl, "POST", `/accounts/${accountId}/kyc`, { as, body });

  const decide = (as: Caller, accountId: string, body: Record<string, unknown>) =>
    call<KycStatusBody & Problem>(server.baseUrl, "POST", `/accounts/${accountId}/kyc/decision`, {
      as,
      body,
    });

  async function download(as: Caller, path: string) {
    const res = await fetch(`${server.baseUrl}${path}`, { headers: { cookie: as.cookie ?? "" } });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  it("documents every KYC route in the OpenAPI description", async () => {
    const res = await call<{ paths: Record<string, Record<string, unknown>> }>(
      server.baseUrl,
      "GET",
      "/openapi.json",
    );
    expect(res.status).toBe(200);
    const routes = Object.entries(res.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        "POST /accounts/{accountId}/kyc/documents",
        "GET /accounts/{accountId}/kyc/documents/{documentId}",
        "GET /accounts/{accountId}/kyc",
        "POST /accounts/{accountId}/kyc",
        "POST /accounts/{accountId}/kyc/legal-name",
        "POST /accounts/{accountId}/kyc/decision",
        "GET /kyc/queue",
        "GET /accounts/{accountId}/payment-methods",
        "POST /accounts/{accountId}/payment-methods",
        "POST /accounts/{accountId}/payment-methods/{paymentMethodId}/close",
        "GET /accounts/{accountId}/links",
        "POST /webhooks/kyc-verifier",
      ]),
    );
  });

  describe("documents", () => {
    let pngId: string;

    it("stores a new document (201) and the same content again only once (200)", async () => {
      const before = await documentCount(server);
      const first = await upload(server, owner, acmeBilling, [
        kind("passport"),
        file(PNG, "passport.png", "image/png"),
      ]);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        kind: "passport",
        contentType: "image/png",
        sizeBytes: PNG.length,
        sha256: sha256(PNG),
      });
      expect(first.body.id).toMatch(/^kycdoc_/);
      pngId = first.body.id;

      // Same bytes under another name, kind and declared type: still the same document.
      const again = await upload(server, billingAdmin, acmeBilling, [
        kind("other"),
        file(PNG, "copy.bin", "application/octet-stream"),
      ]);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(pngId);
      expect(again.body.kind).toBe("passport");
      expect(await documentCount(server)).toBe(before + 1);
    });

    it("decides the type by magic bytes, not the name or declared type", async () => {
      const res = await upload(server, owner, acmeBilling, [
        kind("business_licence"),
        file(PDF, "certificate.png", "image/png"),
      ]);
      expect(res.status).toBe(201);
      expect(res.body.contentType).toBe("application/pdf");
      const jpeg = await upload(server, globexOwner, globexBilling, [
        kind("driving_licence"),
        file(JPEG, "licence", "text/plain"),
      ]);
      expect(jpeg.status).toBe(201);
      expect(jpeg.body.contentType).toBe("image/jpeg");
    });

    it("keeps the document encrypted at rest and downloads the exact bytes", async () => {
      const row = await db()
        .selectFrom("kyc_documents")
        .selectAll()
        .where("id", "=", pngId)
        .executeTakeFirstOrThrow();
      const stored = Buffer.from(row.ciphertext);
      expect(stored.includes(PNG)).toBe(false);
      expect(stored.includes(Buffer.from("X1234567"))).toBe(false);
      expect(stored.includes(PNG.subarray(0, 8))).toBe(false);
      expect(stored.length).toBe(PNG.length + 12 + 16);

      for (const who of [owner, billingAdmin, compliance]) {
        const res = await download(who, `/accounts/${acmeBilling}/kyc/documents/${pngId}`);
        expect(res.status).toBe(200);
        expect(res.bytes.equals(PNG)).toBe(true);
        expect(res.headers.get("content-type")).toBe("image/png");
        expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${pngId}.png"`);
        expect(res.headers.get("cache-control")).toBe("no-store");
      }
      const reads = await db()
        .selectFrom("audit_log")
        .select(["actor", "summary"])
        .where("action", "=", "kyc.document_read")
        .where("subject_id", "=", acmeBilling)
        .execute();
      expect(reads).toHaveLength(3);
    });

    it("lets only owner, billing admin and compliance download; other tenants see nothing", async () => {
      const path = `/accounts/${acmeBilling}/kyc/documents/${pngId}`;
      const asViewer = await call<Problem>(server.baseUrl, "GET", path, { as: viewer });
      expect(asViewer.status).toBe(403);
      expect(asViewer.body.code).toBe("forbidden");
      const asContact = await call<Problem>(server.baseUrl, "GET", path, { as: billingContact });
      expect(asContact.status).toBe(403);
      const asReviewer = await call<Problem>(server.baseUrl, "GET", path, { as: reviewer });
      expect(asReviewer.status).toBe(403);
      const asGlobex = await call<Problem>(server.baseUrl, "GET", path, { as: globexOwner });
      expect(asGlobex.status).toBe(404);
      expect(asGlobex.body.code).toBe("not_found");
      // The document exists, but not under another account of the same organisation.
      const wrongAccount = await call<Problem>(
        server.baseUrl,
        "GET",
        `/accounts/${acmeProduction}/kyc/documents/${pngId}`,
        { as: owner },
      );
      expect(wrongAccount.status).toBe(404);
      const anonymous = await call<Problem>(server.baseUrl, "GET", path);
      expect(anonymous.status).toBe(401);
    });

    it("rejects an upload by a role without kyc.submit, storing nothing", async () => {
      const before = await documentCount(server);
      const res = await upload(server, viewer, acmeBilling, [
        kind("passport"),
        file(JPEG, "a.jpg", "image/jpeg"),
      ]);
      expect(res.status).toBe(403);
      const foreign = await upload(server, globexOwner, acmeBilling, [
        kind("passport"),
        file(JPEG, "a.jpg", "image/jpeg"),
      ]);
      expect(foreign.status).toBe(404);
      expect(await documentCount(server)).toBe(before);
    });

    it("answers 413 for an over-size file and stores nothing", async () => {
      const big = Buffer.concat([PDF, Buffer.alloc(2048, 0x20)]);
      const before = await documentCount(small);
      const smallOwner = await login(small.baseUrl, "owner@acme.example");
      const res = await upload(small, smallOwner, small.world.customers.acme.billingAccountId, [
        kind("passport"),
        file(big, "big.pdf", "application/pdf"),
      ]);
      expect(res.status).toBe(413);
      expect(res.body.code).toBe("payload_too_large");
      expect(await documentCount(small)).toBe(before);
      // The same server still takes a file under the limit.
      const ok = await upload(small, smallOwner, small.world.customers.acme.billingAccountId, [
        kind("passport"),
        file(PDF, "ok.pdf", "application/pdf"),
      ]);
      expect(ok.status).toBe(201);
    });

    it.each([
      ["HTML", HTML],
      ["ELF", ELF],
      ["ZIP", ZIP],
    ])("answers 415 for %s named id.pdf and declared application/pdf, storing nothing", async (_n, data) => {
      const before = await documentCount(server);
      const res = await upload(server, owner, acmeBilling, [
        kind("passport"),
        file(data, "id.pdf", "application/pdf"),
      ]);
      expect(res.status).toBe(415);
      expect(res.body.code).toBe("unsupported_media_type");
      expect(await documentCount(server)).toBe(before);
    });

    it.each([
      ["a parent path", "../../etc/passwd"],
      ["a Windows path", "..\\\\..\\\\boot.ini"],
      ["an absolute path", "/etc/passwd.pdf"],
      ["a NUL character", "id.png\u0000.exe"],
      ["300 characters", `${"a".repeat(296)}.png`],
    ])("answers 400 unsafe_filename for %s, storing nothing", async (_n, filename) => {
      const before = await documentCount(server);
      const res = await upload(server, owner, acmeBilling, [
        kind("passport"),
        file(JPEG, filename, "image/jpeg"),
      ]);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("validation_failed");
      expect(res.body.errors).toContainEqual(
        expect.objectContaining({ field: "file.filename", code: "unsafe_filename" }),
      );
      expect(await documentCount(server)).toBe(before);
    });

    it("collects every field error: unknown kind, kind after the file, missing file", async () => {
      const before = await documentCount(server);
      const unknownKind = await upload(server, owner, acmeBilling, [
        kind("selfie"),
        file(JPEG, "a.jpg", "image/jpeg"),
      ]);
      expect(unknownKind.status).toBe(400);
      expect(unknownKind.body.errors).toEqual([
        expect.objectContaining({ field: "kind", code: "invalid_kind" }),
      ]);

      const kindLast = await upload(server, owner, acmeBilling, [
        file(JPEG, "a.jpg", "image/jpeg"),
        kind("passport"),
      ]);
      expect(kindLast.status).toBe(400);
      expect(kindLast.body.errors).toEqual([expect.objectContaining({ field: "kind", code: "required" })]);

      const both = await upload(server, owner, acmeBilling, [file(JPEG, "../a.jpg", "image/jpeg")]);
      expect(both.status).toBe(400);
      expect(both.body.errors?.map((e) => e.code).sort()).toEqual(["required", "unsafe_filename"]);

      const noFile = await upload(server, owner, acmeBilling, [kind("passport")]);
      expect(noFile.status).toBe(400);
      expect(noFile.body.errors).toEqual([expect.objectContaining({ field: "file", code: "required" })]);

      const json = await call<Problem>(server.baseUrl, "POST", `/accounts/${acmeBilling}/kyc/documents`, {
        as: owner,
        body: { kind: "passport" },
      });
      expect(json.status).toBe(415);
      expect(await documentCount(server)).toBe(before);
    });
  });

  describe("submission and decision", () => {
    it("needs a document before submitting; nothing changes without one", async () => {
      const before = await accountRow(acmeDataLake);
      const fingerprints = await db().selectFrom("identity_fingerprints").select("id").execute();
      const res = await submit(owner, acmeDataLake, {
        type: "individual",
        legalName: "Olivia Owner",
        identityNumber: "X1234567",
      });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ code: "documents_required" })]);
      expect(await accountRow(acmeDataLake)).toEqual(before);
      expect(await db().selectFrom("identity_fingerprints").select("id").execute()).toEqual(fingerprints);
    });

    it("rejects blank fields and roles without kyc.submit", async () => {
      const blank = await submit(owner, acmeBilling, {
        type: "enterprise",
        legalName: "  ",
        identityNumber: " - ",
      });
      expect(blank.status).toBe(400);
      expect(blank.body.errors?.map((e) => e.field).sort()).toEqual(["identityNumber", "legalName"]);
      const asViewer = await submit(viewer, acmeBilling, {
        type: "enterprise",
        legalName: "Acme Analytics Ltd",
        identityNumber: "GB123",
      });
      expect(asViewer.status).toBe(403);
      expect((await accountRow(acmeBilling)).kyc_status).toBe("unverified");
    });

    it("upload → submit → compliance approves → the account shows verified", async () => {
      const start = await accountRow(acmeBilling);
      const res = await submit(owner, acmeBilling, {
        type: "enterprise",
        legalName: "Acme Analytics Ltd",
        identityNumber: "GB 0123-4567",
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: "pending",
        via: "own",
        type: "enterprise",
        legalName: "Acme Analytics Ltd",
        submittedAt: "2026-05-04T10:00:00.000Z",
      });
      expect(res.body.documents.length).toBeGreaterThanOrEqual(2);
      expect(res.text).not.toContain("0123");
      const pending = await accountRow(acmeBilling);
      expect(pending.version).toBe(start.version + 1);

      const queue = await call<{ items: Array<{ accountId: string }> }>(server.baseUrl, "GET", "/kyc/queue", {
        as: compliance,
      });
      expect(queue.status).toBe(200);
      expect(queue.body.items.map((i) => i.accountId)).toContain(acmeBilling);

      server.clock.advance(60_000);
      const approved = await decide(compliance, acmeBilling, {
        decision: "verified",
        reason: "Certificate matches",
      });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({
        status: "verified",
        via: "own",
        verifiedAt: "2026-05-04T10:01:00.000Z",
        expiresAt: new Date(Date.parse("2026-05-04T10:01:00.000Z") + 365 * DAY_MS).toISOString(),
        reviews: [{ decision: "verified", reason: "Certificate matches", at: "2026-05-04T10:01:00.000Z" }],
      });
      const account = await call<{ kyc: { status: string; via: string } }>(
        server.baseUrl,
        "GET",
        `/accounts/${acmeBilling}`,
        { as: viewer },
      );
      expect(account.body.kyc).toMatchObject({ status: "verified", via: "own" });
      const row = await accountRow(acmeBilling);
      expect(row.version).toBe(start.version + 2);
      const reviews = await db()
        .selectFrom("kyc_reviews")
        .selectAll()
        .where("account_id", "=", acmeBilling)
        .execute();
      expect(reviews).toHaveLength(1);
      expect(reviews[0]?.decided_by).not.toBe("");
      const actions = await db()
        .selectFrom("audit_log")
        .select("action")
        .where("subject_id", "=", acmeBilling)
        .orderBy("seq")
        .execute();
      expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(["kyc.submitted", "kyc.verified"]));
    });

    it("refuses decisions from anyone but compliance, changing nothing", async () => {
      await upload(server, globexOwner, globexBilling, [kind("passport"), file(PNG, "p.png", "image/png")]);
      const submitted = await submit(globexOwner, globexBilling, {
        type: "individual",
        legalName: "Wei Owner",
        identityNumber: "310101199001011234",
      });
      expect(submitted.status).toBe(200);
      const before = await accountRow(globexBilling);
      const audits = await auditCount();
      for (const who of [reviewer, globexOwner]) {
        const res = await decide(who, globexBilling, { decision: "verified", reason: "looks fine" });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe("forbidden");
      }
      const foreign = await decide(owner, globexBilling, { decision: "verified", reason: "looks fine" });
      expect(foreign.status).toBe(404);
      const noReason = await decide(compliance, globexBilling, { decision: "rejected", reason: "   " });
      expect(noReason.status).toBe(400);
      expect(noReason.body.errors).toEqual([expect.objectContaining({ field: "reason", code: "required" })]);
      expect(await accountRow(globexBilling)).toEqual(before);
      expect(await auditCount()).toBe(audits);
    });

    it("rejection with a reason, then resubmission back to pending", async () => {
      const rejected = await decide(compliance, globexBilling, {
        decision: "rejected",
        reason: "Scan is blurred",
      });
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({ status: "rejected", rejectionReason: "Scan is blurred" });
      const seen = await kycOf(globexOwner, globexBilling);
      expect(seen.body.reviews).toEqual([
        expect.objectContaining({ decision: "rejected", reason: "Scan is blurred" }),
      ]);

      const again = await submit(globexOwner, globexBilling, {
        type: "individual",
        legalName: "Wei Owner",
        identityNumber: "310101199001011234",
      });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ status: "pending", rejectionReason: null });
      expect(again.body.reviews).toHaveLength(1);
    });

    it("deciding an account that is not pending is 409 invalid_transition, changing nothing", async () => {
      for (const [accountId, state] of [
        [acmeDataLake, "unverified"],
        [acmeBilling, "verified"],
      ] as const) {
        const before = await accountRow(accountId);
        const reviews = await db().selectFrom("kyc_reviews").select("id").execute();
        const audits = await auditCount();
        const res = await decide(compliance, accountId, { decision: "rejected", reason: "second thoughts" });
        expect(res.status).toBe(409);
        expect(res.body.code).toBe("invalid_transition");
        expect(res.body).toMatchObject({ currentState: state });
        expect(await accountRow(accountId)).toEqual(before);
        expect(await db().selectFrom("kyc_reviews").select("id").execute()).toEqual(reviews);
        expect(await auditCount()).toBe(audits);
      }
    });

    it("lists the queue oldest submission first, page by page, for compliance only", async () => {
      // Globex was (re)submitted at 10:01; a later submission comes after it.
      server.clock.advance(60_000);
      await upload(server, owner, acmeProduction, [kind("passport"), file(JPEG, "p.jpg", "image/jpeg")]);
      await submit(owner, acmeProduction, {
        type: "individual",
        legalName: "Olivia Owner",
        identityNumber: "P-777",
      });
      const first = await call<{
        items: Array<{ accountId: string; submittedAt: string }>;
        nextCursor: string | null;
      }>(server.baseUrl, "GET", "/kyc/queue?limit=1", { as: compliance });
      expect(first.status).toBe(200);
      expect(first.body.items.map((i) => i.accountId)).toEqual([globexBilling]);
      expect(first.body.nextCursor).not.toBeNull();
      const second = await call<{ items: Array<{ accountId: string }>; nextCursor: string | null }>(
        server.baseUrl,
        "GET",
        `/kyc/queue?limit=1&cursor=${first.body.nextCursor}`,
        { as: compliance },
      );
      expect(second.body.items.map((i) => i.accountId)).toEqual([acmeProduction]);
      expect(second.body.nextCursor).toBeNull();

      const bad = await call<Problem>(server.baseUrl, "GET", "/kyc/queue?cursor=bm9wZQ", { as: compliance });
      expect(bad.status).toBe(400);
      expect((await call(server.baseUrl, "GET", "/kyc/queue", { as: reviewer })).status).toBe(403);
      expect((await call(server.baseUrl, "GET", "/kyc/queue", { as: owner })).status).toBe(404);
    });
  });

  describe("member accounts and expiry", () => {
    it("a member account relies on the verified enterprise billing account when its legal name matches", async () => {
      const mismatch = await call<KycStatusBody>(
        server.baseUrl,
        "POST",
        `/accounts/${acmeDataLake}/kyc/legal-name`,
        {
          as: owner,
          body: { legalName: "Acme Holdings plc" },
        },
      );
      expect(mismatch.status).toBe(200);
      expect(mismatch.body).toMatchObject({
        status: "unverified",
        via: null,
        legalName: "Acme Holdings plc",
      });

      const version = (await accountRow(acmeDataLake)).version;
      const match = await call<KycStatusBody>(
        server.baseUrl,
        "POST",
        `/accounts/${acmeDataLake}/kyc/legal-name`,
        {
          as: billingAdmin,
          body: { legalName: "  ＡＣＭＥ analytics   LTD " },
        },
      );
      expect(match.status).toBe(200);
      expect(match.body).toMatchObject({ status: "verified", via: "billing_account", documents: [] });
      expect((await accountRow(acmeDataLake)).version).toBe(version + 1);
      const account = await call<{ kyc: { status: string; via: string } }>(
        server.baseUrl,
        "GET",
        `/accounts/${acmeDataLake}`,
        { as: viewer },
      );
      expect(account.body.kyc).toMatchObject({ status: "verified", via: "billing_account" });
    });

    it("refuses a legal-name declaration on the billing account or a pending member", async () => {
      const onBilling = await call<Problem>(
        server.baseUrl,
        "POST",
        `/accounts/${acmeBilling}/kyc/legal-name`,
        {
          as: owner,
          body: { legalName: "Something Else Ltd" },
        },
      );
      expect(onBilling.status).toBe(409);
      expect(onBilling.body.code).toBe("conflict");
      const onPending = await call<Problem>(
        server.baseUrl,
        "POST",
        `/accounts/${acmeProduction}/kyc/legal-name`,
        {
          as: owner,
          body: { legalName: "Acme Analytics Ltd" },
        },
      );
      expect(onPending.status).toBe(409);
      expect((await accountRow(acmeBilling)).kyc_legal_name).toBe("Acme Analytics Ltd");
      expect((await accountRow(acmeProduction)).kyc_legal_name).toBe("Olivia Owner");
    });

    it("expires at exactly kycValidityDays after approval, for the account and its members", async () => {
      const expiresAt = (await accountRow(acmeBilling)).kyc_expires_at!;
      const original = server.clock.now().toISOString();
      try {
        server.clock.set(new Date(Date.parse(expiresAt) - 1));
        // A year on, the old session has expired too.
        const ownerLater = await login(server.baseUrl, "owner@acme.example");
        expect((await kycOf(ownerLater, acmeBilling)).body.status).toBe("verified");
        expect((await kycOf(ownerLater, acmeDataLake)).body.status).toBe("verified");

        server.clock.set(expiresAt);
        const billing = await call<{ kyc: { status: string } }>(
          server.baseUrl,
          "GET",
          `/accounts/${acmeBilling}`,
          {
            as: ownerLater,
          },
        );
        expect(billing.body.kyc.status).toBe("expired");
        expect((await kycOf(ownerLater, acmeBilling)).body).toMatchObject({ status: "expired", expiresAt });
        expect((await kycOf(ownerLater, acmeDataLake)).body).toMatchObject({
          status: "unverified",
          via: null,
        });
        // Nothing is written on expiry: it is derived from the clock.
        expect((await accountRow(acmeBilling)).kyc_status).toBe("verified");
      } finally {
        server.clock.set(original);
      }
    });
  });
});
