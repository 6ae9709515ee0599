import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAuditEntry } from "../src/audit-log/append-audit-entry.js";
import { chainVerifier, entryHash, GENESIS_HASH } from "../src/audit-log/chain.js";
import { verifyAuditLog } from "../src/audit-log/verify-audit-log.js";
import { inTransaction } from "../src/store/database.js";
import { runCli } from "./support/cli.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, TEST_SECRET_KEY, type TestServer } from "./support/server.js";

const engines = await testEngines();

describe("chainVerifier", () => {
  const make = (seq: number, prev: string) => {
    const e = {
      seq,
      id: `aud_${seq}`,
      at: "2026-01-01T00:00:00.000Z",
      actor: "a",
      action: "x",
      subject_type: "t",
      subject_id: "s",
      organisation_id: null,
      summary: "{}",
      request_id: null,
      prev_hash: prev,
    };
    return { ...e, hash: entryHash(e) };
  };
  it("accepts an intact chain and its head", () => {
    const a = make(1, GENESIS_HASH);
    const b = make(2, a.hash);
    const v = chainVerifier();
    expect(v.push(a)).toBeNull();
    expect(v.push(b)).toBeNull();
    expect(v.finish({ seq: 2, hash: b.hash })).toBeNull();
  });
  it("reports a changed field as hash_mismatch at that entry", () => {
    const a = make(1, GENESIS_HASH);
    const v = chainVerifier();
    expect(v.push({ ...a, summary: '{"amount":"1"}' })).toEqual({
      kind: "hash_mismatch",
      seq: 1,
      id: "aud_1",
    });
  });
});

describe.each(engines)("audit log on %s", (engine) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(async () => server?.close());

  it("records every seeding write with actor, action and subject, and the chain verifies", async () => {
    const rows = await server.services.store.db.selectFrom("audit_log").selectAll().orderBy("seq").execute();
    expect(rows.length).toBeGreaterThan(10);
    expect(rows[0]).toMatchObject({
      seq: 1,
      actor: "system:seed-demo",
      action: "organisation.created",
      prev_hash: GENESIS_HASH,
    });
    const result = await verifyAuditLog(server.services.store);
    expect(result).toEqual({ entries: rows.length, firstBreak: null });
  });

  it("orders concurrent appends into one unbroken chain", async () => {
    const { store } = server.services;
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        inTransaction(store, (tx) =>
          appendAuditEntry(tx, store.capabilities, {
            actor: "system:test",
            action: "test.concurrent",
            subjectType: "test",
            subjectId: String(i),
            organisationId: null,
            summary: { i },
            requestId: null,
            at: new Date().toISOString(),
          }),
        ),
      ),
    );
    expect((await verifyAuditLog(store)).firstBreak).toBeNull();
  });

  it("hashes awkward text exactly as the verifier does (PostgreSQL hashes in the database)", async () => {
    const { store } = server.services;
    const awkward = [
      '"quoted" \\ back\\slash',
      "退款 — 测试",
      "emoji 💸",
      "ctl \u0001\t\n\u007f",
      "lone \ud800",
    ];
    for (const [i, text] of awkward.entries())
      await inTransaction(store, (tx) =>
        appendAuditEntry(tx, store.capabilities, {
          actor: `system:${text}`,
          action: "test.awkward",
          subjectType: "test",
          subjectId: text,
          organisationId: i % 2 ? null : text,
          summary: { text, n: i },
          requestId: i % 2 ? text : null,
          at: new Date().toISOString(),
        }),
      );
    const rows = await store.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "test.awkward")
      .orderBy("seq")
      .execute();
    expect(rows).toHaveLength(awkward.length);
    for (const row of rows) expect(row.hash).toBe(entryHash(row));
    expect((await verifyAuditLog(store)).firstBreak).toBeNull();
  });

  it("detects an altered row, a deleted row and a deleted newest row, by API and by CLI", async () => {
    const { store } = server.services;
    const env = {
      REFUND_DESK_DATABASE_URL: engine === "sqlite" ? store.description : await currentUrl(server),
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
    };
    const ok = await runCli(["audit-log", "verify"], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Audit log intact: \d+ entries verified/);

    await store.db
      .updateTable("audit_log")
      .set({ summary: '{"email":"mallory@evil.example"}' })
      .where("seq", "=", 5)
      .execute();
    expect((await verifyAuditLog(store)).firstBreak).toMatchObject({ kind: "hash_mismatch", seq: 5 });
    const broken = await runCli(["audit-log", "verify"], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("entry 5");

    // Recompute the tampered row's hash: the next entry's link then breaks instead.
    const row = await store.db
      .selectFrom("audit_log")
      .selectAll()
      .where("seq", "=", 5)
      .executeTakeFirstOrThrow();
    await store.db
      .updateTable("audit_log")
      .set({ hash: entryHash(row) })
      .where("seq", "=", 5)
      .execute();
    expect((await verifyAuditLog(store)).firstBreak).toMatchObject({ kind: "prev_hash_mismatch", seq: 6 });

    await store.db.deleteFrom("audit_log").where("seq", ">=", 5).where("seq", "<=", 6).execute();
    expect((await verifyAuditLog(store)).firstBreak).toEqual({
      kind: "missing_entry",
      expectedSeq: 5,
      foundSeq: 7,
    });
  });

  it("detects deleting the newest entries through the head", async () => {
    const fresh = await startTestServer(engine);
    try {
      const { store } = fresh.services;
      const max = await store.db
        .selectFrom("audit_log")
        .select(sql<number>`max(seq)`.as("m"))
        .executeTakeFirstOrThrow();
      await store.db.deleteFrom("audit_log").where("seq", "=", Number(max.m)).execute();
      expect((await verifyAuditLog(store)).firstBreak).toMatchObject({ kind: "head_mismatch" });
    } finally {
      await fresh.close();
    }
  });
});

async function currentUrl(server: TestServer): Promise<string> {
  // PostgreSQL's description is redacted; rebuild the URL of the test database.
  const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(
    server.services.store.db,
  );
  return `postgres://postgres@127.0.0.1:5432/${rows[0]!.db}`;
}
