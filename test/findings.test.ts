import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDataset } from "../src/generator/generate-dataset.js";
import { importFile } from "../src/imports/import-file.js";
import { type Caller, call, login } from "./support/client.js";
import { testEngines } from "./support/engines.js";
import { startTestServer, type TestServer } from "./support/server.js";

const engines = await testEngines();

interface TruthFinding {
  id: string;
  kind: string;
  accountId: string;
  charges: string[];
  amount: string;
  currency: string;
}

interface FindingBody {
  id: string;
  kind: string;
  accountId: string | null;
  providerAccountId: string;
  charges: string[];
  amount: string;
  currency: string;
  status: string;
  explanation: string;
}

describe.each(engines)("findings in the product on %s", (engine) => {
  let server: TestServer;
  let dir: string;
  let owner: Caller;
  let orgId: string;
  let truth: TruthFinding[];

  beforeAll(async () => {
    server = await startTestServer(engine);
    dir = mkdtempSync(join(tmpdir(), "refund-desk-findings-"));
    owner = await login(server.baseUrl, "owner@acme.example");
    orgId = server.world.customers.acme.organisationId;
    await generateDataset({
      outDir: dir,
      seed: 11,
      rows: 4000,
      accounts: 4,
      months: 3,
      currency: "USD",
      clean: false,
    });
    truth = (JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as { findings: TruthFinding[] })
      .findings;
    const ctx = { actor: "system:test", requestId: null };
    await importFile(server.services, ctx, {
      organisationId: orgId,
      kind: "charges",
      path: join(dir, "charges.csv"),
      fileName: "charges.csv",
      onInvalid: "fail",
    });
    for (const kind of ["usage", "subscriptions", "incidents", "promotions", "payments"] as const)
      await importFile(server.services, ctx, {
        organisationId: orgId,
        kind,
        path: join(dir, `${kind}.jsonl`),
        fileName: `${kind}.jsonl`,
        onInvalid: "fail",
      });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("audits once after the imports and stores exactly the planted findings, on the accounts the bill names", async () => {
    // Six imports coalesce into one queued audit.
    expect(await server.worker.drain()).toBe(1);
    const all: FindingBody[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const page = await call<{ items: FindingBody[]; nextCursor: string | null }>(
        server.baseUrl,
        "GET",
        `/organisations/${orgId}/findings?limit=5${q}`,
        { as: owner },
      );
      expect(page.status).toBe(200);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(truth.length).toBeGreaterThanOrEqual(7);
    const key = (f: { id: string; kind: string; amount: string; currency: string; charges: string[] }) =>
      `${f.id} ${f.kind} ${f.amount} ${f.currency} ${f.charges.join(",")}`;
    expect(all.map(key).sort()).toEqual(truth.map(key).sort());
    const accounts = await server.services.store.db
      .selectFrom("accounts")
      .select(["id", "external_id"])
      .where("organisation_id", "=", orgId)
      .execute();
    const byExternal = new Map(accounts.map((a) => [a.external_id, a.id]));
    for (const f of all) {
      expect(f.accountId).toBe(byExternal.get(f.providerAccountId));
      expect(f.status).toBe("open");
      expect(f.explanation.length).toBeGreaterThan(40);
    }
  });

  it("filters by kind and account, and a re-run keeps the same findings", async () => {
    const dup = await call<{ items: FindingBody[] }>(
      server.baseUrl,
      "GET",
      `/organisations/${orgId}/findings?kind=duplicate_charge`,
      { as: owner },
    );
    expect(dup.body.items.length).toBe(truth.filter((t) => t.kind === "duplicate_charge").length);
    const one = dup.body.items[0]!;
    const byAccount = await call<{ items: FindingBody[] }>(
      server.baseUrl,
      "GET",
      `/organisations/${orgId}/findings?accountId=${one.accountId}`,
      { as: owner },
    );
    expect(byAccount.body.items.every((f) => f.accountId === one.accountId)).toBe(true);

    const again = await call<{ jobId: string }>(server.baseUrl, "POST", `/organisations/${orgId}/audits`, {
      as: owner,
    });
    expect(again.status).toBe(202);
    expect(await server.worker.drain()).toBe(1);
    const runs = await call<{ items: Array<{ status: string; findings: number }> }>(
      server.baseUrl,
      "GET",
      `/organisations/${orgId}/audits`,
      { as: owner },
    );
    expect(runs.body.items.map((r) => [r.status, r.findings])).toEqual([
      ["succeeded", truth.length],
      ["succeeded", truth.length],
    ]);
    const single = await call<FindingBody>(
      server.baseUrl,
      "GET",
      `/organisations/${orgId}/findings/${one.id}`,
      { as: owner },
    );
    expect(single.body).toMatchObject({ id: one.id, amount: one.amount, status: "open" });
  });

  it("hides another organisation's findings", async () => {
    const globex = await login(server.baseUrl, "owner@globex.example");
    expect(
      (await call(server.baseUrl, "GET", `/organisations/${orgId}/findings`, { as: globex })).status,
    ).toBe(404);
  });
});
