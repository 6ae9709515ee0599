import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFile } from "../src/imports/import-file.js";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

const engines = await testEngines();

const HEADER =
  "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,RegionId,ResourceId,SkuId,ChargeCategory,ChargeClass,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,ContractedUnitPrice,BilledCost,BillingCurrency,x_CostCentre";
const ROWS = [
  "100000000001,100000000002,Acme — production,AWS,Amazon Elastic Compute Cloud,us-east-1,i-0abc,BoxUsage:m5.large,Usage,,Usage-Based,2026-05-03T00:00:00Z,2026-05-04T00:00:00Z,24,Hours,0.096,2.304,USD,data-eng",
  "100000000001,100000000002,Acme — production,AWS,Amazon Elastic Compute Cloud,us-east-1,i-0abc,BoxUsage:m5.large,Usage,,Usage-Based,2026-05-03T00:00:00Z,2026-05-04T00:00:00Z,24,Hours,0.096,2.304,USD,data-eng",
  "100000000001,100000000009,Acme — sandbox,AWS,Amazon Simple Storage Service,eu-west-1,bucket-logs,TimedStorage-ByteHrs,Usage,,Usage-Based,2026-06-01T00:00:00Z,2026-07-01T00:00:00Z,100,GB-Mo,0.023,2.3,USD,platform",
  "100000000001,,,AWS,Tax,,,,Tax,,One-Time,2026-05-01T00:00:00Z,2026-06-01T00:00:00Z,NULL,,,0.0000008,USD,",
];
const focusCsv = (rows: string[]) => `${HEADER}\n${rows.join("\n")}\n`;

describe.each(engines)("imports on %s", (engine) => {
  let server: TestServer;
  let dir: string;
  let owner: Caller;
  let orgId: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    dir = mkdtempSync(join(tmpdir(), "refund-desk-imports-"));
    owner = await login(server.baseUrl, "owner@acme.example");
    orgId = server.world.customers.acme.organisationId;
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const db = () => server.services.store.db;
  const countCharges = async () =>
    (await db().selectFrom("charges").select("id").where("organisation_id", "=", orgId).execute()).length;

  describe("importFile (the CLI's path)", () => {
    it("stores every charge with its source line, on the account the bill names, and creates new sub-accounts", async () => {
      const file = join(dir, "may.csv");
      writeFileSync(file, focusCsv(ROWS));
      const outcome = await importFile(
        server.services,
        { actor: "system:test", requestId: null },
        {
          organisationId: orgId,
          kind: "charges",
          path: file,
          fileName: "may.csv",
          onInvalid: "fail",
        },
      );
      expect(outcome).toMatchObject({ duplicate: false, format: "focus", rowsImported: 4, rowsInvalid: 0 });
      expect(outcome.accountsCreated).toHaveLength(1);
      const rows = await db()
        .selectFrom("charges")
        .selectAll()
        .where("import_id", "=", outcome.importId)
        .orderBy("source_ref")
        .execute();
      expect(rows.map((r) => r.source_ref)).toEqual(["may.csv:2", "may.csv:3", "may.csv:4", "may.csv:5"]);
      const [first, , storage, tax] = rows;
      expect(first).toMatchObject({
        account_id: server.world.customers.acme.memberAccountIds[0],
        billed_cost: "2.304",
        charge_frequency: "Usage-Based",
        month: "2026-05",
      });
      expect(JSON.parse(first!.extensions!)).toEqual({ x_CostCentre: "data-eng" });
      expect(storage!.account_id).toBe(outcome.accountsCreated[0]);
      const sandbox = await db()
        .selectFrom("accounts")
        .selectAll()
        .where("id", "=", outcome.accountsCreated[0]!)
        .executeTakeFirstOrThrow();
      expect(sandbox).toMatchObject({
        name: "Acme — sandbox",
        external_id: "100000000009",
        organisation_id: orgId,
      });
      expect(tax).toMatchObject({
        account_id: server.world.customers.acme.billingAccountId,
        billed_cost: "0.0000008",
        pricing_quantity: null,
      });
      const audit = await db()
        .selectFrom("audit_log")
        .select(["action", "summary"])
        .where("subject_id", "=", outcome.importId)
        .execute();
      expect(audit.map((a) => a.action)).toEqual(["import.completed"]);
    });

    it("treats the same bytes imported again as a no-op", async () => {
      const file = join(dir, "may-again.csv");
      writeFileSync(file, focusCsv(ROWS));
      const before = await countCharges();
      const again = await importFile(
        server.services,
        { actor: "system:test", requestId: null },
        {
          organisationId: orgId,
          kind: "charges",
          path: file,
          fileName: "may-again.csv",
          onInvalid: "fail",
        },
      );
      expect(again.duplicate).toBe(true);
      expect(await countCharges()).toBe(before);
    });

    it("rejects a bad file naming file, line and column, and imports nothing of it", async () => {
      const file = join(dir, "bad.csv");
      writeFileSync(
        file,
        focusCsv([
          ROWS[0]!,
          ROWS[2]!.replace(",2.3,USD", ",2,3,USD"),
          ROWS[2]!.replace("2026-06-01T00:00:00Z", "2026-02-30T00:00:00Z"),
        ]),
      );
      const before = {
        charges: await countCharges(),
        imports: (await db().selectFrom("imports").select("id").execute()).length,
      };
      await expect(
        importFile(
          server.services,
          { actor: "system:test", requestId: null },
          { organisationId: orgId, kind: "charges", path: file, fileName: "bad.csv", onInvalid: "fail" },
        ),
      ).rejects.toMatchObject({ code: "validation_failed", extensions: { file: "bad.csv", line: 3 } });
      expect(await countCharges()).toBe(before.charges);
      expect((await db().selectFrom("imports").select("id").execute()).length).toBe(before.imports);
    });

    it("with collect, imports the valid rows and returns each rejected one with its reason", async () => {
      const file = join(dir, "partly-bad.csv");
      writeFileSync(
        file,
        focusCsv([
          ROWS[0]!.replace("2.304", "2.305"),
          ROWS[2]!.replace("2026-06-01T00:00:00Z", "2026-02-30T00:00:00Z"),
        ]),
      );
      const outcome = await importFile(
        server.services,
        { actor: "system:test", requestId: null },
        {
          organisationId: orgId,
          kind: "charges",
          path: file,
          fileName: "partly-bad.csv",
          onInvalid: "collect",
        },
      );
      expect(outcome.rowsImported).toBe(1);
      expect(outcome.invalid).toEqual([
        expect.objectContaining({ file: "partly-bad.csv", line: 3, column: "ChargePeriodStart" }),
      ]);
    });

    // PostgreSQL text cannot hold U+0000 (the import failed as "internal" there), SQLite stored it:
    // both engines now refuse it as a bad value, by line and column.
    it("refuses a NUL character in a bill's or an evidence file's text, naming line and column", async () => {
      const ctx = { actor: "system:test", requestId: null };
      const bill = join(dir, "nul.csv");
      writeFileSync(
        bill,
        focusCsv([ROWS[0]!.replace("2.304", "2.306"), ROWS[2]!.replace("Amazon", "Ama\u0000zon")]),
      );
      const before = await countCharges();
      await expect(
        importFile(server.services, ctx, {
          organisationId: orgId,
          kind: "charges",
          path: bill,
          fileName: "nul.csv",
          onInvalid: "fail",
        }),
      ).rejects.toMatchObject({
        code: "validation_failed",
        extensions: { file: "nul.csv", line: 3, column: "ServiceName" },
      });
      expect(await countCharges()).toBe(before);
      const collected = await importFile(server.services, ctx, {
        organisationId: orgId,
        kind: "charges",
        path: bill,
        fileName: "nul.csv",
        onInvalid: "collect",
      });
      expect(collected.rowsImported).toBe(1);
      expect(collected.invalid).toEqual([
        expect.objectContaining({
          line: 3,
          column: "ServiceName",
          expected: "text without the NUL character (U+0000)",
          found: expect.stringContaining("Ama\u2400zon"),
        }),
      ]);

      const usage = join(dir, "nul-usage.jsonl");
      writeFileSync(
        usage,
        '{"resourceId":"i-0\\u0000bc","start":"2026-05-03T00:00:00Z","end":"2026-05-03T09:12:00Z"}\n',
      );
      await expect(
        importFile(server.services, ctx, {
          organisationId: orgId,
          kind: "usage",
          path: usage,
          fileName: "nul-usage.jsonl",
          onInvalid: "fail",
        }),
      ).rejects.toMatchObject({ code: "validation_failed", extensions: { line: 1, column: "resourceId" } });
    });

    it("imports usage evidence with its source lines", async () => {
      const file = join(dir, "usage.jsonl");
      writeFileSync(
        file,
        '{"resourceId":"i-0abc","start":"2026-05-03T00:00:00Z","end":"2026-05-03T09:12:00Z"}\n{"resourceId":"i-0abc","start":"2026-05-03T10:00:00+02:00","end":"2026-05-03T11:00:00+02:00"}\n',
      );
      const outcome = await importFile(
        server.services,
        { actor: "system:test", requestId: null },
        { organisationId: orgId, kind: "usage", path: file, fileName: "usage.jsonl", onInvalid: "fail" },
      );
      expect(outcome.rowsImported).toBe(2);
      const rows = await db()
        .selectFrom("usage_intervals")
        .selectAll()
        .where("import_id", "=", outcome.importId)
        .orderBy("source_ref")
        .execute();
      expect(rows.map((r) => [r.source_ref, r.start_at, r.end_at])).toEqual([
        ["usage.jsonl:1", "2026-05-03T00:00:00Z", "2026-05-03T09:12:00Z"],
        ["usage.jsonl:2", "2026-05-03T08:00:00Z", "2026-05-03T09:00:00Z"],
      ]);
    });
  });

  describe("the upload API", () => {
    const upload = (name: string, content: string, fields: Record<string, string> = {}) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append("file", new Blob([content]), name);
      return call<{
        id: string;
        status: string;
        progress: unknown;
        error: { code: string; line: number; column: string } | null;
        rowsImported: number;
        duplicateOf: string | null;
      }>(server.baseUrl, "POST", `/organisations/${orgId}/imports`, { as: owner, rawBody: form });
    };

    it("queues the file (202), the job imports it, and the import reports success", async () => {
      // Run what earlier imports queued (their audit), so the count below is this upload's.
      await server.worker.drain();
      const content = focusCsv([ROWS[0]!.replaceAll("2026-05-03", "2026-05-10")]);
      const res = await upload("june.csv", content);
      expect(res.status).toBe(202);
      expect(res.body.status).toBe("queued");
      // The import job, then the audit it enqueues.
      expect(await server.worker.drain()).toBe(2);
      const done = await call<{ status: string; rowsImported: number; format: string }>(
        server.baseUrl,
        "GET",
        `/imports/${res.body.id}`,
        { as: owner },
      );
      expect(done.body).toMatchObject({ status: "succeeded", rowsImported: 1, format: "focus" });
      const charges = await call<{ items: Array<{ sourceRef: string; billedCost: string }> }>(
        server.baseUrl,
        "GET",
        `/organisations/${orgId}/charges?month=2026-05&resourceId=i-0abc&limit=200`,
        { as: owner },
      );
      expect(charges.body.items.map((c) => c.sourceRef)).toContain("june.csv:2");
      const again = await upload("june-copy.csv", content);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(res.body.id);
      expect(await server.worker.drain()).toBe(0);
    });

    it("records a bad file's error on the import, with its line and column, and stores nothing", async () => {
      const before = await countCharges();
      const res = await upload("broken.csv", focusCsv([ROWS[0]!.replace(",2.304,", ",two,")]));
      expect(res.status).toBe(202);
      await server.worker.drain();
      const failed = await call<{ status: string; error: { code: string; line: number; column: string } }>(
        server.baseUrl,
        "GET",
        `/imports/${res.body.id}`,
        { as: owner },
      );
      expect(failed.body.status).toBe("failed");
      expect(failed.body.error).toMatchObject({ code: "validation_failed", line: 2, column: "BilledCost" });
      expect(await countCharges()).toBe(before);
    });

    it("refuses a hostile file name and an unknown kind before storing anything", async () => {
      const hostile = await upload("../../etc/passwd", "x");
      expect(hostile.status).toBe(400);
      const kind = await upload("x.csv", "x", { kind: "secrets" });
      expect(kind.status).toBe(400);
    });

    it("filters charges by account, service and region, and hides another organisation's", async () => {
      const member = server.world.customers.acme.memberAccountIds[0]!;
      const byAccount = await call<{ items: Array<{ accountId: string; serviceName: string }> }>(
        server.baseUrl,
        "GET",
        `/organisations/${orgId}/charges?accountId=${member}&service=Amazon%20Elastic%20Compute%20Cloud&region=us-east-1`,
        { as: owner },
      );
      expect(byAccount.status).toBe(200);
      expect(byAccount.body.items.length).toBeGreaterThan(0);
      expect(
        byAccount.body.items.every(
          (c) => c.accountId === member && c.serviceName === "Amazon Elastic Compute Cloud",
        ),
      ).toBe(true);
      const foreign = await login(server.baseUrl, "owner@globex.example");
      const hidden = await call(server.baseUrl, "GET", `/organisations/${orgId}/charges`, { as: foreign });
      expect(hidden.status).toBe(404);
    });
  });

  it("writes the rejected rows of --report-invalid as CSV through the CLI", async () => {
    const { runCli } = await import("./support/cli.js");
    const file = join(dir, "cli-partly-bad.csv");
    writeFileSync(
      file,
      focusCsv([ROWS[0]!.replace("i-0abc", "i-0cli"), ROWS[0]!.replace(",2.304,", ",abc,")]),
    );
    const report = join(dir, "rejected.csv");
    const res = await runCli(["import", "--organisation", orgId, "--report-invalid", report, file], {
      REFUND_DESK_DATABASE_URL: server.services.store.description,
      REFUND_DESK_SECRET_KEY: "11".repeat(32),
    });
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/imported 1 rows \(focus\).*rejected 1/);
    expect(readFileSync(report, "utf8")).toContain(",3,,BilledCost,");
    const badFile = join(dir, "cli-bad.csv");
    writeFileSync(badFile, focusCsv([ROWS[0]!, ROWS[0]!.replace(",2.304,", ",two,")]));
    const bad = await runCli(["import", "--organisation", orgId, badFile], {
      REFUND_DESK_DATABASE_URL: server.services.store.description,
      REFUND_DESK_SECRET_KEY: "11".repeat(32),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("cli-bad.csv:3: column BilledCost");
  });
});
