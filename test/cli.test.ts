import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditLog } from "../src/audit-log/verify-audit-log.js";
import { openStore } from "../src/store/database.js";
import { runCli } from "./support/cli.js";
import { TEST_SECRET_KEY } from "./support/server.js";

describe("refund-desk CLI on a fresh SQLite file", () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "refund-desk-cli-"));
    env = {
      REFUND_DESK_DATA_DIR: dir,
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
      REFUND_DESK_ARGON2_MEMORY_KIB: "1024",
      REFUND_DESK_ARGON2_ITERATIONS: "1",
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["serve"],
    ["migrate"],
    ["seed-demo"],
    ["user", "create"],
    ["token", "create"],
    ["audit-log", "verify"],
  ])("%s %s --help describes the command", async (...cmd) => {
    const res = await runCli([...cmd.filter(Boolean), "--help"], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: refund-desk /);
  });

  it("migrates, seeds the demo once, creates staff and tokens, and verifies the audit log", async () => {
    const migrated = await runCli(["migrate"], env);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain("ran 0001-foundation");

    const seeded = await runCli(["seed-demo"], env);
    expect(seeded.stdout).toContain("Demo data loaded.");
    expect(seeded.stdout).toContain("owner@acme.example");
    expect((await runCli(["seed-demo"], env)).stdout).toContain("Demo data was already there.");

    const staff = await runCli(
      [
        "user",
        "create",
        "--email",
        "ops@nimbus.example",
        "--name",
        "Ops",
        "--password-stdin",
        "--provider-role",
        "finance",
      ],
      env,
      "s3cret-pass\n",
    );
    expect(staff.stderr).toBe("");
    expect(staff.stdout).toMatch(/^Created user usr_/);

    const store = openStore(`sqlite:${join(dir, "refund-desk.sqlite")}`);
    try {
      const acme = await store.db
        .selectFrom("organisations")
        .select("id")
        .where("name", "=", "Acme Analytics Ltd")
        .executeTakeFirstOrThrow();
      const providers = await store.db
        .selectFrom("organisations")
        .select("id")
        .where("kind", "=", "provider")
        .execute();
      expect(providers).toHaveLength(1);

      const token = await runCli(
        [
          "token",
          "create",
          "--organisation",
          acme.id,
          "--name",
          "pipeline",
          "--permissions",
          "billing:read,refunds:write",
        ],
        env,
      );
      expect(token.code).toBe(0);
      expect(token.stdout.trim()).toMatch(/^rdk_[\w-]{40,}$/);
      expect(token.stderr).toContain("shown only once");

      const badPermission = await runCli(
        ["token", "create", "--organisation", acme.id, "--name", "x", "--permissions", "root"],
        env,
      );
      expect(badPermission.code).toBe(2);
      expect(badPermission.stderr).toContain("unknown_permission");

      const duplicate = await runCli(
        ["user", "create", "--email", "ops@nimbus.example", "--name", "Ops", "--password", "x1234"],
        env,
      );
      expect(duplicate.code).toBe(2);
      expect(duplicate.stderr).toContain("already exists");

      const verified = await runCli(["audit-log", "verify"], env);
      expect(verified.code).toBe(0);
      expect((await verifyAuditLog(store)).firstBreak).toBeNull();
    } finally {
      await store.close();
    }
  }, 180_000);

  it("refuses a database URL it does not understand", async () => {
    const res = await runCli(["migrate"], { ...env, REFUND_DESK_DATABASE_URL: "mysql://x" });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("must start with sqlite: or postgres://");
  });
});
