import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../src/audit-log/verify-audit-log.js";
import { seedDemo } from "../src/demo/seed-demo.js";
import { createOrganisation } from "../src/organisations/create-organisation.js";
import { systemClock } from "../src/shared/clock.js";
import type { Services } from "../src/shared/context.js";
import { openStore } from "../src/store/database.js";
import { migrationsAreCurrent } from "../src/store/migrations/index.js";
import { runCli } from "./support/cli.js";
import { openTestStore, type TestStore } from "./support/engines.js";
import { TEST_SECRET_KEY, testConfig } from "./support/server.js";

/**
 * `refund-desk backup` and `restore` on the embedded SQLite database, as real processes: a backup
 * taken while the server's write path commits, restored into a new data folder, opens and verifies;
 * bad backups are refused before anything is touched. On PostgreSQL both commands point to
 * pg_dump / pg_restore.
 */
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("backup and restore of the embedded SQLite database", () => {
  let source: TestStore;
  let services: Services;
  let work: string;
  let env: Record<string, string>;
  let restoredDir: string;
  let restoreEnv: Record<string, string>;
  const backupFile = () => join(work, "backup.sqlite");

  beforeAll(async () => {
    source = await openTestStore("sqlite");
    services = { store: source.store, config: testConfig(source.dataDir), clock: systemClock };
    await seedDemo(services);
    work = mkdtempSync(join(tmpdir(), "refund-desk-backup-"));
    restoredDir = join(work, "restored-data");
    env = {
      REFUND_DESK_DATABASE_URL: source.url,
      REFUND_DESK_DATA_DIR: source.dataDir,
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
    };
    restoreEnv = { REFUND_DESK_DATA_DIR: restoredDir, REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY };
  });
  afterAll(async () => {
    await source?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("backs up while the server writes, and the backup restores into a new data folder that verifies", async () => {
    // The server's write path (an organisation, its account and audit entry per transaction) runs
    // until the backup process has finished.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await createOrganisation(
          services,
          { actor: "system:test", requestId: null },
          { kind: "customer", name: `Busy ${written}`, billingAccount: { name: "billing", currency: "USD" } },
        );
        written += 1;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const before = written;
    const res = await runCli(["backup", backupFile()], env);
    const during = written - before;
    writing = false;
    await writer;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`Backed up to ${backupFile()}`);
    expect(res.stdout).toContain("integrity ok");
    expect(during).toBeGreaterThan(0);
    // No temporary file is left beside the backup.
    expect(readdirSync(work).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    const restored = await runCli(["restore", backupFile()], restoreEnv);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(join(restoredDir, "refund-desk.sqlite"));

    const store = openStore(`sqlite:${join(restoredDir, "refund-desk.sqlite")}`);
    try {
      const verification = await verifyAuditLog(store);
      expect(verification.firstBreak).toBeNull();
      expect(verification.entries).toBeGreaterThan(0);
      expect(await migrationsAreCurrent(store)).toBe(true);
      // A consistent snapshot: some of the organisations written meanwhile, each with its audit entry.
      const busy = await store.db
        .selectFrom("organisations")
        .select("id")
        .where("name", "like", "Busy %")
        .execute();
      expect(busy.length).toBeLessThanOrEqual(written);
      const audited = await store.db
        .selectFrom("audit_log")
        .select("subject_id")
        .where("action", "=", "organisation.created")
        .execute();
      const auditedIds = new Set(audited.map((a) => a.subject_id));
      for (const org of busy) expect(auditedIds.has(org.id)).toBe(true);
    } finally {
      await store.close();
    }

    // And the CLI's own check agrees.
    const verified = await runCli(["audit-log", "verify"], restoreEnv);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it("refuses to overwrite an existing file with a backup", async () => {
    const target = join(work, "exists.sqlite");
    writeFileSync(target, "keep me");
    const res = await runCli(["backup", target], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("already exists");
    expect(readFileSync(target, "utf8")).toBe("keep me");
  });

  describe("restore refuses, leaving the existing database untouched", () => {
    const target = () => join(restoredDir, "refund-desk.sqlite");
    let digest: string;
    beforeAll(() => {
      digest = sha256(target());
    });

    it("a file that is not a database", async () => {
      const file = join(work, "notes.txt");
      writeFileSync(file, "this is not a database, just some notes\n".repeat(200));
      const res = await runCli(["restore", file], restoreEnv);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`${file} is not a SQLite database or is damaged`);
      expect(sha256(target())).toBe(digest);
    });

    it("a SQLite database that is not Refund Desk's", async () => {
      const file = join(work, "other.sqlite");
      const other = new SQLite(file);
      other.exec(
        "create table notes (id integer primary key, body text); insert into notes (body) values ('x')",
      );
      other.close();
      const res = await runCli(["restore", file], restoreEnv);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain("is a SQLite database but not a Refund Desk one");
      expect(sha256(target())).toBe(digest);
    });

    it("a corrupt backup", async () => {
      const file = join(work, "corrupt.sqlite");
      copyFileSync(backupFile(), file);
      // Keep the header page (it still opens as SQLite) and overwrite every table page after it.
      const bytes = readFileSync(file);
      const pageSize = bytes.readUInt16BE(16);
      bytes.fill(0x5a, pageSize);
      writeFileSync(file, bytes);
      const res = await runCli(["restore", file], restoreEnv);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/is damaged|is not a SQLite database or is damaged/);
      expect(sha256(target())).toBe(digest);
    });

    it("a database a running process has open, unless --force", async () => {
      const running = openStore(`sqlite:${target()}`);
      try {
        await running.db.selectFrom("organisations").select("id").limit(1).execute();
        const res = await runCli(["restore", backupFile()], restoreEnv);
        expect(res.code).toBe(2);
        expect(res.stderr).toContain("is in use");
        expect(res.stderr).toContain("--force");
        expect(sha256(target())).toBe(digest);

        const forced = await runCli(["restore", "--force", backupFile()], restoreEnv);
        expect(forced.code, forced.stderr).toBe(0);
        expect(forced.stdout).toContain("the previous database was replaced");
      } finally {
        await running.close();
      }
      // The process that had the old file open is gone; the restored file is whole.
      const store = openStore(`sqlite:${target()}`);
      try {
        expect((await verifyAuditLog(store)).firstBreak).toBeNull();
      } finally {
        await store.close();
      }
    });
  });
});

describe("backup and restore on PostgreSQL", () => {
  it("point to pg_dump and pg_restore, touching nothing", async () => {
    const env = {
      REFUND_DESK_DATABASE_URL: "postgres://postgres@127.0.0.1:5432/refund_desk",
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
    };
    const backup = await runCli(["backup", join(tmpdir(), "never-written.dump")], env);
    expect(backup.code).toBe(2);
    expect(backup.stderr).toContain("pg_dump");
    const restore = await runCli(["restore", join(tmpdir(), "never-read.dump")], env);
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain("pg_restore");
  });
});
