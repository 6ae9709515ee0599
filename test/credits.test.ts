import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueCreditExpirySweep } from "../src/credits/expire-credits.js";
import { importFile } from "../src/imports/import-file.js";
import { inTransaction } from "../src/store/database.js";
import { runCli } from "./support/cli.js";
import { type Caller, call, login } from "./support/client.js";
import { POSTGRES_ADMIN_URL, testEngines } from "./support/engines.js";
import { startTestServer, TEST_SECRET_KEY, type TestServer } from "./support/server.js";

/**
 * Account credits from decision to invoice to expiry, through the HTTP API and the CLI, on both
 * engines: two scoped credits are decided on April charges, June's charges are imported, June's
 * invoice consumes the credits in the documented order and only within scope, the ledger stays
 * balanced, the same invoice run again consumes nothing, and what is left expires into breakage.
 */
const engines = await testEngines();

const HEADER =
  "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,RegionId,ResourceId,SkuId,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,BilledCost,BillingCurrency,InvoiceId";
const PROD = "100000000001,100000000002,Acme — production,AWS";
const LAKE = "100000000001,100000000003,Acme — data lake,AWS";
const S3 = "Amazon Simple Storage Service";
const EC2 = "Amazon Elastic Compute Cloud";
const APRIL = [
  // line 2: the RDS charge the first credit is decided on
  `${PROD},Amazon Relational Database Service,us-east-1,db-orders,InstanceUsage,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,720,Hours,120.00,USD,INV-2026-04`,
  // line 3: the S3 charge the second credit is decided on
  `${PROD},${S3},us-east-1,bucket-logs,TimedStorage,Usage,Usage-Based,2026-04-01T00:00:00Z,2026-05-01T00:00:00Z,1000,GB-Mo,40.00,USD,INV-2026-04`,
];
const JUNE = [
  // line 2: S3 in us-east-1, in both credits' scope
  `${PROD},${S3},us-east-1,bucket-logs,TimedStorage,Usage,Usage-Based,2026-06-01T00:00:00Z,2026-07-01T00:00:00Z,1000,GB-Mo,40.00,USD,INV-2026-06`,
  // line 3: S3 in eu-west-1: in the any-region credit's scope only
  `${PROD},${S3},eu-west-1,bucket-eu,TimedStorage,Usage,Usage-Based,2026-06-02T00:00:00Z,2026-07-01T00:00:00Z,250,GB-Mo,10.00,USD,INV-2026-06`,
  // line 4: EC2, in no credit's scope
  `${PROD},${EC2},us-east-1,i-0a1,BoxUsage:m5.large,Usage,Usage-Based,2026-06-01T00:00:00Z,2026-07-01T00:00:00Z,720,Hours,100.00,USD,INV-2026-06`,
  // line 5: S3 billed in EUR: another currency's invoice
  `${PROD},${S3},us-east-1,bucket-eur,TimedStorage,Usage,Usage-Based,2026-06-03T00:00:00Z,2026-07-01T00:00:00Z,100,GB-Mo,30.00,EUR,INV-2026-06-EUR`,
  // line 6: July: the next period
  `${PROD},${S3},us-east-1,bucket-logs,TimedStorage,Usage,Usage-Based,2026-07-01T00:00:00Z,2026-08-01T00:00:00Z,1000,GB-Mo,15.00,USD,INV-2026-07`,
  // line 7: another account of the organisation
  `${LAKE},${S3},us-east-1,bucket-lake,TimedStorage,Usage,Usage-Based,2026-06-01T00:00:00Z,2026-07-01T00:00:00Z,1000,GB-Mo,50.00,USD,INV-2026-06`,
];

interface InvoiceBody {
  id: string;
  accountId: string;
  periodStart: string;
  periodEnd: string;
  currency: string;
  charges: string;
  credits: string;
  due: string;
  creditsConsumed: Array<{ creditId: string; caseId: string | null; amount: string }>;
  lines: Array<{
    chargeId: string;
    serviceName: string | null;
    regionId: string | null;
    amount: string;
    credited: string;
    due: string;
    credits: Array<{ creditId: string; amount: string }>;
  }>;
}
interface CreditBody {
  id: string;
  caseId: string | null;
  amount: string;
  remaining: string;
  status: string;
  expiresAt: string;
  scope: { services: string[]; regions: string[] };
  uses: Array<{ kind: string; invoiceId: string | null; amount: string }>;
}
interface CreditsBody {
  items: CreditBody[];
  balances: Array<{ currency: string; remaining: string }>;
}
interface Problem {
  code: string;
  errors?: Array<{ field: string; code: string }>;
}

describe.each(engines)("account credits and invoices on %s", (engine) => {
  let server: TestServer;
  let dir: string;
  let owner: Caller;
  let reviewer: Caller;
  let finance: Caller;
  let admin: Caller;
  let globexOwner: Caller;
  let acmeOrg: string;
  let production: string;
  let dataLake: string;
  const charge: Record<string, string> = {};
  /** The credit decided first (RDS case): S3 in us-east-1, expires 1 September. */
  let regional: CreditBody;
  /** The credit decided second (S3 case): S3 in any region, expires 1 August — spent first. */
  let anyRegion: CreditBody;
  let june: InvoiceBody;

  const db = () => server.services.store.db;
  const api = <T>(method: string, path: string, as: Caller, body?: unknown) =>
    call<T>(server.baseUrl, method, path, { as, body });

  async function signInAll(): Promise<void> {
    [owner, reviewer, finance, admin, globexOwner] = (await Promise.all(
      [
        "owner@acme.example",
        "reviewer@nimbus.example",
        "finance@nimbus.example",
        "admin@nimbus.example",
        "owner@globex.example",
      ].map((e) => login(server.baseUrl, e)),
    )) as [Caller, Caller, Caller, Caller, Caller];
  }
  /** Sessions expire with the (test) clock: after moving it, everyone signs in again. */
  async function setClock(at: string): Promise<void> {
    server.clock.set(at);
    await signInAll();
  }

  async function importCsv(name: string, lines: readonly string[]): Promise<void> {
    writeFileSync(join(dir, name), `${HEADER}\n${lines.join("\n")}\n`);
    await importFile(
      server.services,
      { actor: "system:test", requestId: null },
      { organisationId: acmeOrg, kind: "charges", path: join(dir, name), fileName: name, onInvalid: "fail" },
    );
    await server.worker.drain();
    for (const r of await db().selectFrom("charges").select(["id", "source_ref"]).execute())
      charge[r.source_ref] = r.id;
  }

  /** Files a case on a charge and has a reviewer decide an account credit with a scope and expiry. */
  async function decideCredit(
    chargeRef: string,
    amount: string,
    credit: { services: string[]; regions: string[]; expiresAt: string },
  ): Promise<CreditBody> {
    const filed = await api<{ cases: Array<{ id: string }> }>("POST", "/cases", owner, {
      accountId: production,
      items: [{ chargeId: charge[chargeRef] }],
      reason: "billing_error",
      desiredOutcome: "account_credit",
      summary: `Billed wrongly on ${chargeRef}`,
      description: `The charge ${chargeRef} on invoice INV-2026-04 bills days the resource was degraded.`,
      impactStatement: "We overpaid for April.",
    });
    expect(filed.status, filed.text).toBe(201);
    const caseId = filed.body.cases[0]!.id;
    await server.worker.drain();
    expect((await api("POST", `/cases/${caseId}/claim`, reviewer, {})).status).toBe(200);
    const decided = await api<{ state: string }>("POST", `/cases/${caseId}/decision`, reviewer, {
      outcome: "account_credit",
      amount,
      rationale: "The degraded days are credited to the account, for the services that were affected.",
      clauses: ["billing-errors-refunded"],
      credit,
    });
    expect(decided.status, decided.text).toBe(200);
    const credits = await api<CreditsBody>("GET", `/accounts/${production}/credits`, owner);
    const found = credits.body.items.find((c) => c.caseId === caseId);
    expect(found).toBeDefined();
    return found!;
  }

  /** Every journal entry balances per currency, so the whole ledger does. */
  async function ledgerSums(): Promise<Record<string, number>> {
    const rows = await db()
      .selectFrom("journal_lines")
      .select(["currency", (eb) => eb.fn.sum<number | string>("amount_minor").as("sum")])
      .groupBy("currency")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.currency, Number(r.sum)]));
  }

  /** The account's customer_credit balance in minor units (a liability: credits are negative lines). */
  async function customerCredit(accountId: string): Promise<number> {
    const row = await db()
      .selectFrom("journal_lines")
      .innerJoin("ledger_accounts", "ledger_accounts.id", "journal_lines.ledger_account_id")
      .select((eb) => eb.fn.sum<number | string>("journal_lines.amount_minor").as("sum"))
      .where("ledger_accounts.code", "=", "customer_credit")
      .where("ledger_accounts.account_id", "=", accountId)
      .where("ledger_accounts.currency", "=", "USD")
      .executeTakeFirst();
    return 0 - Number(row?.sum ?? 0);
  }

  async function remainingOf(accountId: string): Promise<number> {
    const rows = await db()
      .selectFrom("credit_grants")
      .select("remaining_minor")
      .where("account_id", "=", accountId)
      .execute();
    return rows.reduce((s, r) => s + Number(r.remaining_minor), 0);
  }

  beforeAll(async () => {
    server = await startTestServer(engine);
    dir = mkdtempSync(join(tmpdir(), "refund-desk-credits-"));
    await signInAll();
    acmeOrg = server.world.customers.acme.organisationId;
    [production, dataLake] = server.world.customers.acme.memberAccountIds as [string, string];
    await importCsv("april.csv", APRIL);
    regional = await decideCredit("april.csv:2", "30.00", {
      services: [S3],
      regions: ["us-east-1"],
      expiresAt: "2026-09-01T00:00:00.000Z",
    });
    anyRegion = await decideCredit("april.csv:3", "25.00", {
      services: [S3],
      regions: [],
      expiresAt: "2026-08-01T00:00:00.000Z",
    });
    await importCsv("june.csv", JUNE);
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows the decided credits with their scope, expiry and what remains, and posts them to customer credit", async () => {
    const credits = await api<CreditsBody>("GET", `/accounts/${production}/credits`, owner);
    expect(credits.status).toBe(200);
    expect(credits.body.items.map((c) => [c.amount, c.remaining, c.status, c.scope])).toEqual([
      ["30.00", "30.00", "active", { services: [S3], regions: ["us-east-1"] }],
      ["25.00", "25.00", "active", { services: [S3], regions: [] }],
    ]);
    expect(credits.body.balances).toEqual([{ currency: "USD", remaining: "55.00" }]);
    expect(await customerCredit(production)).toBe(5500);
    expect((await api("GET", `/accounts/${production}/credits`, globexOwner)).status).toBe(404);
  });

  it("runs June's invoice only for finance or admin, and only once the period is over", async () => {
    expect(
      (await api<Problem>("POST", `/accounts/${production}/invoices`, owner, { period: "2026-06" })).status,
    ).toBe(403);
    expect(
      (await api<Problem>("POST", `/accounts/${production}/invoices`, globexOwner, { period: "2026-06" }))
        .status,
    ).toBe(404);
    const early = await api<Problem>("POST", `/accounts/${production}/invoices`, finance, {
      period: "2026-06",
    });
    expect(early.status).toBe(400);
    expect(early.body.errors).toEqual([
      expect.objectContaining({ field: "period", code: "period_not_ended" }),
    ]);
    const bad = await api<Problem>("POST", `/accounts/${production}/invoices`, finance, {
      periodStart: "2026-06-01",
      periodEnd: "2026-05-01T00:00:00Z",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => [e.field, e.code])).toEqual([["periodStart", "invalid_instant"]]);
    expect(await db().selectFrom("invoices").selectAll().execute()).toEqual([]);
  });

  it("consumes the credits in the documented order, only on charges in their scope and currency", async () => {
    await setClock("2026-07-02T09:00:00.000Z");
    // Two at once: one runs it, the other gets the same invoice.
    const [a, b] = await Promise.all(
      [finance, admin].map((who) =>
        api<InvoiceBody>("POST", `/accounts/${production}/invoices`, who, { period: "2026-06" }),
      ),
    );
    expect([a!.status, b!.status].sort(), a!.text).toEqual([200, 201]);
    expect(a!.body).toEqual(b!.body);
    june = a!.body;
    expect(june).toMatchObject({
      accountId: production,
      periodStart: "2026-06-01T00:00:00.000Z",
      periodEnd: "2026-07-01T00:00:00.000Z",
      currency: "USD",
      charges: "150.00",
      credits: "40.00",
      due: "110.00",
    });
    // Charge order: 1 June (EC2 and S3 by charge id), then 2 June; the EUR, July and data-lake charges are not here.
    const byRef = Object.fromEntries(Object.entries(charge).map(([ref, id]) => [id, ref]));
    expect(june.lines.map((l) => byRef[l.chargeId]).sort()).toEqual([
      "june.csv:2",
      "june.csv:3",
      "june.csv:4",
    ]);
    const line = (ref: string) => june.lines.find((l) => l.chargeId === charge[ref])!;
    // The any-region credit expires first, so it is spent first: 25.00 on the us-east-1 S3 charge; the
    // regional credit then covers the remaining 15.00 of it, and cannot touch eu-west-1.
    expect(line("june.csv:2")).toMatchObject({
      amount: "40.00",
      credited: "40.00",
      due: "0.00",
      credits: [
        { creditId: anyRegion.id, amount: "25.00" },
        { creditId: regional.id, amount: "15.00" },
      ],
    });
    expect(line("june.csv:3")).toMatchObject({
      amount: "10.00",
      credited: "0.00",
      due: "10.00",
      credits: [],
    });
    expect(line("june.csv:4")).toMatchObject({
      serviceName: EC2,
      amount: "100.00",
      credited: "0.00",
      credits: [],
    });
    expect(june.creditsConsumed.map((c) => [c.creditId, c.amount])).toEqual([
      [anyRegion.id, "25.00"],
      [regional.id, "15.00"],
    ]);

    const credits = await api<CreditsBody>("GET", `/accounts/${production}/credits`, owner);
    const state = (id: string) => credits.body.items.find((c) => c.id === id)!;
    expect(state(anyRegion.id)).toMatchObject({ remaining: "0.00", status: "used" });
    expect(state(regional.id)).toMatchObject({ remaining: "15.00", status: "active" });
    expect(state(regional.id).uses).toEqual([
      expect.objectContaining({ kind: "consumed", invoiceId: june.id, amount: "15.00" }),
    ]);
    expect(credits.body.balances).toEqual([{ currency: "USD", remaining: "15.00" }]);

    const entries = await db()
      .selectFrom("journal_entries")
      .select(["kind", "posting_key"])
      .where("invoice_id", "=", june.id)
      .execute();
    expect(entries).toEqual([{ kind: "credit_consumed", posting_key: `invoice:${june.id}:credits` }]);
    expect(await ledgerSums()).toEqual({ USD: 0 });
    expect(await customerCredit(production)).toBe(await remainingOf(production));
    expect(await customerCredit(production)).toBe(1500);

    const audit = await db()
      .selectFrom("audit_log")
      .select("action")
      .where("subject_id", "=", june.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["invoice.created"]);

    // Other currencies and other accounts are untouched: their invoices take no USD credit.
    const eur = await api<InvoiceBody>("POST", `/accounts/${production}/invoices`, finance, {
      period: "2026-06",
      currency: "EUR",
    });
    expect(eur.status).toBe(201);
    expect(eur.body).toMatchObject({ currency: "EUR", charges: "30.00", credits: "0.00", due: "30.00" });
    const lake = await api<InvoiceBody>("POST", `/accounts/${dataLake}/invoices`, admin, {
      period: "2026-06",
    });
    expect(lake.body).toMatchObject({ charges: "50.00", credits: "0.00", creditsConsumed: [] });
  });

  it("returns the same invoice when it is run again, consuming nothing twice", async () => {
    const countUses = async () => (await db().selectFrom("credit_uses").select("id").execute()).length;
    const countEntries = async () => (await db().selectFrom("journal_entries").select("id").execute()).length;
    const [uses, entries] = [await countUses(), await countEntries()];
    const again = await api<InvoiceBody>("POST", `/accounts/${production}/invoices`, admin, {
      period: "2026-06",
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(june);
    const explicit = await api<InvoiceBody>("POST", `/accounts/${production}/invoices`, finance, {
      periodStart: "2026-06-01T02:00:00+02:00",
      periodEnd: "2026-07-01T00:00:00Z",
    });
    expect(explicit.status).toBe(200);
    expect(explicit.body.id).toBe(june.id);
    expect([await countUses(), await countEntries()]).toEqual([uses, entries]);
    expect(await customerCredit(production)).toBe(1500);

    const overlapping = await api<Problem>("POST", `/accounts/${production}/invoices`, finance, {
      periodStart: "2026-06-15T00:00:00Z",
      periodEnd: "2026-07-01T00:00:00Z",
    });
    expect(overlapping.status).toBe(409);
    expect(overlapping.body.code).toBe("conflict");
  });

  it("lists the account's invoices and shows one to whoever may read the account's bills", async () => {
    const list = await api<{ items: Array<{ id: string; currency: string; credits: string }> }>(
      "GET",
      `/accounts/${production}/invoices`,
      owner,
    );
    expect(list.status).toBe(200);
    expect(list.body.items.map((i) => [i.currency, i.credits])).toEqual([
      ["USD", "40.00"],
      ["EUR", "0.00"],
    ]);
    const one = await api<InvoiceBody>("GET", `/invoices/${june.id}`, owner);
    expect(one.body).toEqual(june);
    expect((await api("GET", `/invoices/${june.id}`, globexOwner)).status).toBe(404);
    expect((await api("GET", "/invoices/inv_01jzzzzzzzzzzzzzzzzzzzzzzz", owner)).status).toBe(404);
  });

  it("prints the invoice from the CLI, as a table and as JSON", async () => {
    let url = server.services.store.description;
    if (engine === "postgres") {
      const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db());
      url = POSTGRES_ADMIN_URL.replace(/\/[^/]*$/, `/${rows[0]!.name}`);
    }
    const env = {
      REFUND_DESK_DATABASE_URL: url,
      REFUND_DESK_DATA_DIR: server.services.config.dataDir,
      REFUND_DESK_SECRET_KEY: TEST_SECRET_KEY,
    };
    const table = await runCli(["invoice", "--account", production, "--period", "2026-06"], env);
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("already been run");
    expect(table.stdout).toContain(`Invoice ${june.id}`);
    expect(table.stdout).toContain("Charges 150.00 USD · credits 40.00 USD · due 110.00 USD");
    expect(table.stdout).toContain(anyRegion.id);
    expect(table.stdout).toMatch(/Amazon Elastic Compute Cloud\s+us-east-1\s+100\.00\s+0\.00\s+100\.00/);
    const json = await runCli(
      ["invoice", "--account", production, "--period", "2026-06", "--format", "json"],
      env,
    );
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(june);
    const bad = await runCli(["invoice", "--account", production, "--period", "June"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("must be YYYY-MM");
  });

  it("expires what is left at the expiry, reversing it in the ledger into breakage", async () => {
    // June's invoice queued the sweep for the regional credit's expiry; nothing runs before it.
    await setClock("2026-08-31T23:59:59.000Z");
    await server.worker.drain();
    expect(
      (
        await db()
          .selectFrom("credit_grants")
          .select("status")
          .where("id", "=", regional.id)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe("active");

    await setClock("2026-09-01T00:00:01.000Z");
    await server.worker.drain();
    const credits = await api<CreditsBody>("GET", `/accounts/${production}/credits`, owner);
    const expired = credits.body.items.find((c) => c.id === regional.id)!;
    expect(expired).toMatchObject({ status: "expired", remaining: "0.00" });
    expect(expired.uses.map((u) => [u.kind, u.amount])).toEqual([
      ["consumed", "15.00"],
      ["expired", "15.00"],
    ]);
    expect(credits.body.balances).toEqual([]);
    const entry = await db()
      .selectFrom("journal_entries")
      .select(["kind", "effective_at", "id"])
      .where("posting_key", "=", `credit:${regional.id}:expired`)
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ kind: "credit_expired", effective_at: "2026-09-01T00:00:00.000Z" });
    const lines = await db()
      .selectFrom("journal_lines")
      .innerJoin("ledger_accounts", "ledger_accounts.id", "journal_lines.ledger_account_id")
      .select(["ledger_accounts.code", "journal_lines.amount_minor"])
      .where("journal_lines.entry_id", "=", entry.id)
      .orderBy("ledger_accounts.code")
      .execute();
    expect(lines.map((l) => [l.code, Number(l.amount_minor)])).toEqual([
      ["credit_breakage", -1500],
      ["customer_credit", 1500],
    ]);
    expect(await customerCredit(production)).toBe(0);
    expect(await ledgerSums()).toEqual({ USD: 0 });

    // A second sweep finds nothing more; the next one is queued within a day.
    await inTransaction(server.services.store, (tx) =>
      enqueueCreditExpirySweep(tx, "2026-09-01T00:00:01.000Z"),
    );
    expect(await server.worker.drain()).toBe(1);
    expect(
      (await db().selectFrom("credit_uses").select("id").where("kind", "=", "expired").execute()).length,
    ).toBe(1);
    const queued = await db()
      .selectFrom("jobs")
      .select("run_after")
      .where("kind", "=", "credit.expire")
      .where("status", "=", "queued")
      .execute();
    expect(queued).toEqual([{ run_after: "2026-09-02T00:00:01.000Z" }]);

    // July's invoice, run after the expiry, has no credit left to take.
    const july = await api<InvoiceBody>("POST", `/accounts/${production}/invoices`, finance, {
      period: "2026-07",
    });
    expect(july.body).toMatchObject({ charges: "15.00", credits: "0.00", due: "15.00", creditsConsumed: [] });
  });
});
