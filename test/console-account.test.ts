import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFile } from "../src/imports/import-file.js";
import {
  type BuiltConsole,
  browserSuiteRuns,
  buildConsoleForTests,
  CHARGES_CSV_HEADER,
  consoleSteps,
  expectNoSeriousAxeViolations,
  importCharges,
  lastMonth,
  launchChromium,
  newConsolePage,
  screenshot,
} from "./support/browser.js";
import { type Caller, call, login } from "./support/client.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { PNG } from "./support/uploads.js";

/**
 * The console's account pages in a real browser: the overview's account credits, the organisation
 * page (accounts with their KYC, members and roles, API tokens), and the reviewer workbench's
 * evidence panels (billed versus actual usage, outages against the SLA, linked accounts). SQLite
 * only, as the other console suites: the pages talk to nothing but the HTTP API.
 *
 * The data is made the way people make it: bills, usage and incidents imported, KYC submitted for
 * two accounts with the same passport number (an identity link), refund requests filed by the owner
 * and decided by a reviewer through the API (two of them as account credits).
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const RDS = "Amazon Relational Database Service";

interface CaseAnalysis {
  billedVersusActual: { rows: Array<Record<string, string | null>>; note: string } | null;
  sla: {
    entry: { clauseId: string; thresholdPercent: string } | null;
    months: Array<{
      month: string;
      downtimeMs: string;
      availabilityPercent: string;
      creditPercent: string | null;
    }>;
    incidents: Array<{ incidentId: string; start: string; end: string }>;
  } | null;
  unavailable: string | null;
}

const runInBrowser = browserSuiteRuns("console account browser tests");

describe.skipIf(!runInBrowser)(
  "the console's credits, organisation page and workbench panels in a real browser (SQLite)",
  () => {
    let built: BuiltConsole | undefined;
    let server: TestServer;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let pageErrors: string[];
    let organisationId: string;
    let production: string;
    let dataLake: string;
    let owner: Caller;
    let reviewer: Caller;
    /** Case ids by resource. */
    const cases = new Map<string, string>();
    let period: { start: string; end: string; invoice: string };
    let soonExpiry: string;

    const { see, heading, signIn, signOut } = consoleSteps(() => ({ page, baseUrl: server.baseUrl }));
    const nav = (name: string) =>
      page.getByRole("navigation", { name: "Main navigation" }).getByRole("link", { name, exact: true });
    /** A panel of the page: a section named by its heading. */
    const panel = (name: string) => page.getByRole("region", { name, exact: true });
    const check = async (name: string, file: string) => {
      await expectNoSeriousAxeViolations(page, name);
      await screenshot(page, file);
    };
    const at = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * HOUR_MS).toISOString();

    async function submitKyc(accountId: string): Promise<void> {
      const form = new FormData();
      form.append("kind", "passport");
      form.append("file", new Blob([PNG]), "passport.png");
      const up = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc/documents`, {
        as: owner,
        rawBody: form,
      });
      expect(up.status, up.text).toBe(201);
      // The same passport number on two accounts: one person behind both, an identity link.
      const sub = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc`, {
        as: owner,
        body: { type: "individual", legalName: "Olivia Owner", identityNumber: "P-7770123" },
      });
      expect(sub.status, sub.text).toBe(200);
    }

    async function importEvidence(kind: "usage" | "incidents", lines: unknown[]): Promise<void> {
      const fileName = `acme-${kind}.jsonl`;
      const path = join(server.services.config.dataDir, fileName);
      writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
      await importFile(
        server.services,
        { actor: "system:test", requestId: null },
        { organisationId, kind, path, fileName, onInvalid: "fail" },
      );
    }

    async function file(resource: string, chargeId: string, body: Record<string, unknown>): Promise<string> {
      const res = await call<{ cases: Array<{ id: string }> }>(server.baseUrl, "POST", "/cases", {
        as: owner,
        body: {
          accountId: production,
          items: [{ chargeId }],
          summary: `Refund for ${resource}`,
          description: `The charge for ${resource} last month should not have been billed in full.`,
          impactStatement: "We overpaid last month.",
          ...body,
        },
      });
      expect(res.status, res.text).toBe(201);
      const id = res.body.cases[0]!.id;
      cases.set(resource, id);
      return id;
    }

    async function decide(caseId: string, body: Record<string, unknown>): Promise<void> {
      const res = await call(server.baseUrl, "POST", `/cases/${caseId}/decision`, { as: reviewer, body });
      expect(res.status, res.text).toBe(200);
    }

    beforeAll(async () => {
      built = await buildConsoleForTests("refund-desk-console-account-");
      server = await startTestServer("sqlite");
      // The browser judges the session cookie's expiry by the real clock: the server's must agree.
      server.clock.set(new Date().toISOString());
      const acme = server.world.customers.acme;
      organisationId = acme.organisationId;
      [production, dataLake] = acme.memberAccountIds as [string, string];
      owner = await login(server.baseUrl, "owner@acme.example");
      reviewer = await login(server.baseUrl, "reviewer@nimbus.example");

      // Last month's bills: two EC2 instances billed 720 hours each and an RDS instance.
      period = lastMonth("INV-ACCT");
      const row = (service: string, resource: string, sku: string, cost: string) =>
        `100000000001,100000000002,Acme — production,AWS,${service},us-east-1,${resource},${sku},Usage,Usage-Based,${period.start},${period.end},720,Hours,${cost},USD,${period.invoice}`;
      await importCharges(
        server,
        organisationId,
        "acme-account.csv",
        [
          CHARGES_CSV_HEADER,
          row("Amazon Elastic Compute Cloud", "i-acct1", "BoxUsage:m5.large", "72.00"),
          row("Amazon Elastic Compute Cloud", "i-acct2", "BoxUsage:m5.large", "72.00"),
          row(RDS, "db-acct", "InstanceUsage:db.m5", "120.00"),
          "",
        ].join("\n"),
      );
      // i-acct2 ran 100 of the 720 hours billed; RDS was down 2 h and then 30 min in us-east-1.
      await importEvidence("usage", [
        { resourceId: "i-acct2", start: period.start, end: at(period.start, 100) },
      ]);
      await importEvidence("incidents", [
        {
          incidentId: "rds-use1-a",
          serviceName: RDS,
          regionId: "us-east-1",
          start: at(period.start, 9 * 24 + 2),
          end: at(period.start, 9 * 24 + 4),
          statusPageUrl: "https://status.example.com/rds-use1-a",
        },
        {
          incidentId: "rds-use1-b",
          serviceName: RDS,
          regionId: "us-east-1",
          start: at(period.start, 14 * 24 + 10),
          end: at(period.start, 14 * 24 + 10.5),
        },
      ]);
      await server.worker.drain();
      const charges = await server.services.store.db
        .selectFrom("charges")
        .select(["id", "resource_id"])
        .where("organisation_id", "=", organisationId)
        .execute();
      const chargeOf = (resource: string) => charges.find((c) => c.resource_id === resource)!.id;

      // KYC submitted for two accounts with one passport: the cases' account has a linked account.
      await submitKyc(production);
      await submitKyc(dataLake);

      const credited = await file("i-acct1", chargeOf("i-acct1"), {
        reason: "billing_error",
        desiredOutcome: "account_credit",
      });
      const sla = await file("db-acct", chargeOf("db-acct"), {
        reason: "sla_breach",
        desiredOutcome: "account_credit",
        items: [{ chargeId: chargeOf("db-acct"), amount: "12.00" }],
      });
      await file("i-acct2", chargeOf("i-acct2"), {
        reason: "billing_error",
        desiredOutcome: "refund_original_method",
      });
      await server.worker.drain();

      await decide(credited, {
        outcome: "account_credit",
        rationale: "The instance i-acct1 was billed for a month it did not run; credited in full.",
        clauses: ["billing-errors-refunded"],
      });
      // The SLA credit applies to RDS only and expires in ten days: the overview flags it.
      soonExpiry = new Date(Date.now() + 10 * DAY_MS - 60_000).toISOString();
      await decide(sla, {
        outcome: "account_credit",
        amount: "12.00",
        rationale: "RDS availability fell below the SLA last month; the SLA's 10% service credit is granted.",
        clauses: ["sla-credit"],
        credit: { services: [RDS], expiresAt: soonExpiry },
      });
      await server.worker.drain();

      browser = await launchChromium();
      ({ context, page, pageErrors } = await newConsolePage(browser, {
        permissions: ["clipboard-read", "clipboard-write"],
      }));
    }, 240_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await server?.close();
      built?.restore();
    });

    it("the case analysis gives reviewers the billed-versus-actual table and the SLA's outages and threshold", async () => {
      const usage = await call<CaseAnalysis>(
        server.baseUrl,
        "GET",
        `/cases/${cases.get("i-acct2")}/analysis`,
        { as: reviewer },
      );
      expect(usage.status, usage.text).toBe(200);
      expect(usage.body.billedVersusActual?.rows).toEqual([
        expect.objectContaining({
          resourceId: "i-acct2",
          billedQuantity: "720",
          actualQuantity: "100",
          differenceQuantity: "620",
          unit: "Hours",
          billedCost: "72",
        }),
      ]);
      expect(usage.body.sla).toBeNull();

      const sla = await call<CaseAnalysis>(server.baseUrl, "GET", `/cases/${cases.get("db-acct")}/analysis`, {
        as: reviewer,
      });
      expect(sla.status, sla.text).toBe(200);
      const analysis = sla.body;
      expect(analysis.billedVersusActual).toBeNull();
      expect(analysis.sla?.entry).toMatchObject({
        clauseId: "sla-aws-rds-multi-az",
        thresholdPercent: "99.95",
      });
      // 2 h 30 min of a 28- to 31-day month: between 99.0 % and 99.95 %, so the first credit tier.
      expect(analysis.sla?.months).toEqual([
        expect.objectContaining({
          month: period.start.slice(0, 7),
          downtimeMs: String(2.5 * HOUR_MS),
          creditPercent: "10",
        }),
      ]);
      expect(analysis.sla?.months[0]?.availabilityPercent).toMatch(/^99\.[6-7]\d{5}$/);
      expect(analysis.sla?.incidents.map((i) => i.incidentId)).toEqual(["rds-use1-a", "rds-use1-b"]);
      // The customer's own evidence: the customer reads the same on their case.
      const mine = await call<CaseAnalysis>(
        server.baseUrl,
        "GET",
        `/cases/${cases.get("db-acct")}/analysis`,
        {
          as: owner,
        },
      );
      expect(mine.body).toEqual(analysis);
    });

    it("a customer's overview lists the account credits with what remains, the scope and the expiry, flagging the one expiring soon", async () => {
      await signIn("owner@acme.example");
      await heading("Overview");
      const credits = panel("Account credits");
      await credits.getByRole("row").filter({ hasText: "USD 72.00" }).waitFor({ timeout: 15_000 });
      const full = credits.getByRole("row").filter({ hasText: "USD 72.00" });
      expect(await full.textContent()).toContain("any service · any region");
      expect(await full.textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(UTC\+08:00\)/);
      expect(await full.getAttribute("class")).toBeNull();
      const soon = credits.getByRole("row").filter({ hasText: "USD 12.00" });
      expect(await soon.textContent()).toContain(`${RDS} · any region`);
      expect(await soon.textContent()).toContain("Expires in 10 day(s)");
      expect(await soon.getAttribute("class")).toBe("soon");
      expect(await soon.getByRole("link").textContent()).toMatch(/^RD-\d{4}-\d+$/);
      // The total the next invoices can spend.
      expect(await credits.locator(".tile-figure").textContent()).toBe("USD 84.00");
      await check("overview with credits", "account-overview.png");
      await signOut();

      // Another customer with no credit sees the empty state.
      await signIn("owner@globex.example");
      await heading("Overview");
      await panel("Account credits").getByText("You have no account credit to spend.").waitFor();
      await check("overview without credits", "account-overview-empty.png");
      await signOut();
    }, 60_000);

    it("an owner changes a member's role, creates an API token, sees its secret once, and revokes it", async () => {
      await signIn("owner@acme.example");
      await heading("Overview");
      await nav("Organisation").click();
      await heading("Organisation: Acme Analytics Ltd");
      const accounts = panel("Accounts");
      const productionRow = accounts.getByRole("row").filter({ hasText: "Acme — production" });
      await productionRow.waitFor();
      expect(await productionRow.textContent()).toContain("Under review");
      expect(await productionRow.getByRole("link").getAttribute("href")).toBe(
        `/app/kyc?account=${production}`,
      );
      const members = panel("Members and roles");
      await members.getByRole("row").filter({ hasText: "viewer@acme.example" }).waitFor();
      await check("organisation page", "account-organisation.png");

      // The viewer becomes a billing contact, by keyboard.
      await members.getByLabel("Role of Victor Viewer").selectOption({ label: "Billing contact" });
      await members.getByRole("button", { name: "Change the role of Victor Viewer" }).focus();
      await page.keyboard.press("Enter");
      await see("Victor Viewer is now Billing contact.");
      const listed = await call<{ items: Array<{ email: string; role: string }> }>(
        server.baseUrl,
        "GET",
        `/organisations/${organisationId}/members`,
        { as: owner },
      );
      expect(listed.body.items.find((m) => m.email === "viewer@acme.example")?.role).toBe("billing_contact");

      // A token for a nightly export: the secret shows once.
      const tokens = panel("API tokens");
      await tokens.getByText("The organisation has no API token.").waitFor();
      await tokens.getByLabel("Name", { exact: true }).fill("Nightly export");
      await tokens.getByRole("checkbox", { name: /Read and import bills/ }).check();
      await tokens.getByRole("button", { name: "Create the token" }).click();
      const secretPanel = panel("The secret of Nightly export");
      await secretPanel.waitFor();
      await secretPanel.getByText("Copy it now: you will not see it again.").waitFor();
      const secret = await secretPanel.getByLabel("Secret of Nightly export").inputValue();
      expect(secret).toMatch(/^rdk_/);
      await secretPanel.getByRole("button", { name: "Copy", exact: true }).click();
      await secretPanel.getByText(/^(Copied to the clipboard\.|The secret is selected)/).waitFor();
      await check("organisation page, new token", "account-organisation-secret.png");

      const asToken: Caller = { bearer: secret };
      const before = await call(server.baseUrl, "GET", `/organisations/${organisationId}/accounts`, {
        as: asToken,
      });
      expect(before.status, before.text).toBe(200);

      await secretPanel.getByRole("button", { name: "I have stored it: hide the secret" }).click();
      await secretPanel.waitFor({ state: "detached" });
      expect(await page.content()).not.toContain(secret);
      const tokenRow = tokens.getByRole("row").filter({ hasText: "Nightly export" });
      expect(await tokenRow.textContent()).toContain("Read and import bills");
      expect(await tokenRow.textContent()).toContain("Active");

      // Asked twice, by keyboard: the confirming button takes the focus.
      await tokenRow.getByRole("button", { name: "Revoke Nightly export" }).focus();
      await page.keyboard.press("Enter");
      await tokenRow.getByRole("button", { name: "Revoke Nightly export now" }).waitFor();
      expect(await page.evaluate<string>("document.activeElement?.textContent ?? ''")).toBe(
        "Revoke Nightly export now",
      );
      await page.keyboard.press("Enter");
      await see("Nightly export was revoked: it no longer works.");
      await tokens.getByRole("row").filter({ hasText: "Revoked" }).waitFor();
      const after = await call(server.baseUrl, "GET", `/organisations/${organisationId}/accounts`, {
        as: asToken,
      });
      expect(after.status).toBe(401);
      await check("organisation page, token revoked", "account-organisation-revoked.png");
      await signOut();

      // A billing contact reads the organisation and changes nothing.
      await signIn("billing@acme.example");
      await heading("Overview");
      await nav("Organisation").click();
      await heading("Organisation: Acme Analytics Ltd");
      await see("Only an owner can add members, change roles or remove members.");
      await see("Only owners and billing admins can see and manage API tokens.");
      expect(await page.getByRole("button", { name: /^Change the role/ }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Remove/ }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Create the token" }).count()).toBe(0);
      await check("organisation page, read only", "account-organisation-readonly.png");
      await signOut();
    }, 90_000);

    it("a reviewer sees billed versus actual usage, the outages against the SLA and the linked accounts", async () => {
      await signIn("reviewer@nimbus.example");
      await heading("Review queue");
      await page.goto(`${server.baseUrl}/app/review/cases/${cases.get("i-acct2")}`);
      await heading(/^Case RD-/);
      const usage = panel("Billed versus actual usage");
      const figure = usage.locator("figure.chart").filter({ hasText: "Billed and actual quantity (Hours)" });
      await figure.waitFor({ timeout: 15_000 });
      expect(await figure.locator(".chart-figures").textContent()).toBe(
        "i-acct2: Billed 720 Hours, Actual (usage records) 100 Hours",
      );
      const exact = usage.getByRole("row").filter({ hasText: "i-acct2" });
      expect((await exact.locator("td.num").allTextContents()).map((s) => s.trim())).toEqual([
        "720",
        "100",
        "620",
        "USD 72.00",
      ]);
      await panel("Outages against the SLA").getByText("Not an SLA breach").waitFor();
      const links = panel("Linked accounts");
      const linked = links.getByRole("row").filter({ hasText: "Acme — data lake" });
      await linked.waitFor();
      expect(await linked.textContent()).toContain("Same identity number");
      expect(await linked.textContent()).toContain("Acme Analytics Ltd");
      expect(await links.textContent()).toContain("Not reviewed by compliance");
      await check("workbench, usage case", "workbench-usage.png");

      await page.goto(`${server.baseUrl}/app/review/cases/${cases.get("db-acct")}`);
      await heading(/^Case RD-/);
      const sla = panel("Outages against the SLA");
      await sla.getByText("threshold 99.95% monthly availability").first().waitFor({ timeout: 15_000 });
      expect(await sla.textContent()).toContain("sla-aws-rds-multi-az");
      expect(await sla.textContent()).toContain("Below the SLA: service credit 10%");
      expect(await sla.textContent()).toMatch(/measured availability 99\.[67]\d{5}%/);
      const timeline = sla.getByRole("img", { name: /^2 outage\(s\), 2 h 30 min in all, between / });
      expect(await timeline.count()).toBe(1);
      expect(await sla.locator("rect.timeline-outage").count()).toBe(2);
      const first = sla.getByRole("row").filter({ hasText: "rds-use1-a" });
      expect(await first.textContent()).toMatch(/\(UTC\+08:00\).*\(UTC\+08:00\)2 h 0 min/);
      expect(await first.getByRole("link", { name: "rds-use1-a" }).getAttribute("href")).toBe(
        "https://status.example.com/rds-use1-a",
      );
      await panel("Billed versus actual usage").getByText("No usage records of this resource").waitFor();
      await check("workbench, SLA case", "workbench-sla.png");

      // The same panels in Chinese.
      await page.getByRole("button", { name: "中文" }).click();
      await page.getByRole("heading", { name: "故障与 SLA 对比" }).waitFor();
      await check("workbench, SLA case (zh)", "workbench-sla-zh.png");
      await page.getByRole("button", { name: "English" }).click();
      await signOut();
      expect(pageErrors).toEqual([]);
    }, 60_000);
  },
);
