import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatInstant } from "../console/src/lib/dates.js";
import { formatMoney, sumDecimals } from "../console/src/lib/money.js";
import { consoleDirectory, consoleRoutes } from "../src/console/routes.js";
import { CONSOLE_CSP } from "../src/console/security-headers.js";
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

/**
 * The React console in a real browser: Debian's chromium driven by playwright-core, against the real
 * server over loopback. SQLite only: the console talks to nothing but the HTTP API, whose behaviour
 * on both engines the API suites already cover, and one browser run is what the time budget allows.
 * Every page visited is checked with axe-core (no `serious` or `critical` violation) and
 * photographed into test-output/screenshots/.
 */

const runInBrowser = browserSuiteRuns("console browser tests");

/** Bills for last month, so the audit's claim window is open whenever the suite runs. */
function lastMonthCsv(): string {
  const { start, end, invoice } = lastMonth("INV");
  const row = (service: string, resource: string, sku: string, qty: string, unit: string, cost: string) =>
    `100000000001,100000000002,Acme — production,AWS,${service},us-east-1,${resource},${sku},Usage,Usage-Based,${start},${end},${qty},${unit},${cost},USD,${invoice}`;
  return [
    CHARGES_CSV_HEADER,
    row("Amazon Elastic Compute Cloud", "i-0a1", "BoxUsage:m5.large", "720", "Hours", "72.00"),
    // The same S3 charge twice: the audit finds the duplicate.
    row("Amazon Simple Storage Service", "bucket-logs", "TimedStorage", "1000", "GB-Mo", "40.00"),
    row("Amazon Simple Storage Service", "bucket-logs", "TimedStorage", "1000", "GB-Mo", "40.00"),
    "",
  ].join("\n");
}

describe("the console's money and time formats", () => {
  it("sums decimal strings exactly, whatever their scales, and groups thousands without a float", () => {
    expect(sumDecimals(["0.1", "0.2"])).toBe("0.3");
    expect(sumDecimals(["40.00", "0.0000008", "-0.0000008"])).toBe("40.0000000");
    expect(sumDecimals(["9007199254740993.01", "1"])).toBe("9007199254740994.01");
    expect(sumDecimals(["-5", "2.5"])).toBe("-2.5");
    expect(sumDecimals(["12", "not a number"])).toBe("12");
    expect(formatMoney("1234567.5", "USD")).toBe("USD 1,234,567.50");
    expect(formatMoney("40", "USD")).toBe("USD 40.00");
    expect(formatMoney("0.0000008", "USD")).toBe("USD 0.0000008");
    expect(formatMoney("1500", "JPY")).toBe("JPY 1,500");
  });

  it("shows an instant in the viewer's zone with its offset, across DST and half-hour zones", () => {
    const at = "2026-05-04T10:00:00.000Z";
    expect(formatInstant(at, "Asia/Shanghai")).toBe("2026-05-04 18:00 (UTC+08:00)");
    expect(formatInstant(at, "UTC")).toBe("2026-05-04 10:00 (UTC+00:00)");
    expect(formatInstant(at, "America/New_York")).toBe("2026-05-04 06:00 (UTC-04:00)");
    expect(formatInstant("2026-01-04T10:00:00Z", "America/New_York")).toBe("2026-01-04 05:00 (UTC-05:00)");
    expect(formatInstant(at, "Asia/Kolkata")).toBe("2026-05-04 15:30 (UTC+05:30)");
    expect(formatInstant("2026-05-03T16:30:00Z", "Asia/Shanghai")).toBe("2026-05-04 00:30 (UTC+08:00)");
    expect(formatInstant("not a date", "UTC")).toBe("not a date");
  });
});

describe("the console's routes", () => {
  it("without a built console, `/` says how to build it, under the same security headers", async () => {
    const empty = mkdtempSync(join(tmpdir(), "refund-desk-console-empty-"));
    const before = process.env.REFUND_DESK_CONSOLE_DIR;
    process.env.REFUND_DESK_CONSOLE_DIR = empty;
    const app = Fastify({ logger: false });
    try {
      expect(consoleDirectory()).toBeNull();
      await app.register(consoleRoutes);
      const res = await app.inject({ method: "GET", url: "/" });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain("npm run build");
      expect(res.body).toContain('href="/docs"');
      expect(res.headers["content-security-policy"]).toBe(CONSOLE_CSP);
      expect((await app.inject({ method: "GET", url: "/app/overview" })).statusCode).toBe(404);
    } finally {
      await app.close();
      if (before === undefined) delete process.env.REFUND_DESK_CONSOLE_DIR;
      else process.env.REFUND_DESK_CONSOLE_DIR = before;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!runInBrowser)("the web console in a real browser (SQLite)", () => {
  let built: BuiltConsole | undefined;
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let production: string;
  let caseId: string;
  let ticket: string;

  const { see, nav, heading, signIn, signOut } = consoleSteps(() => ({ page, baseUrl: server.baseUrl }));

  beforeAll(async () => {
    built = await buildConsoleForTests("refund-desk-console-");

    server = await startTestServer("sqlite");
    // The browser judges the session cookie's expiry by the real clock: the server's must agree.
    server.clock.set(new Date().toISOString());
    production = server.world.customers.acme.memberAccountIds[0]!;
    await importCharges(server, server.world.customers.acme.organisationId, "acme.csv", lastMonthCsv());
    await server.worker.drain();

    browser = await launchChromium();
    ({ context, page, pageErrors } = await newConsolePage(browser));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    built?.restore();
  });

  it("serves the console with a strict Content-Security-Policy, index.html on client routes and immutable assets", async () => {
    const home = await call(server.baseUrl, "GET", "/");
    expect(home.status).toBe(200);
    expect(home.headers.get("content-type")).toContain("text/html");
    const csp = home.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(home.headers.get("x-frame-options")).toBe("DENY");
    expect(home.headers.get("x-content-type-options")).toBe("nosniff");
    expect(home.headers.get("cache-control")).toBe("no-cache");
    // No inline script anywhere in the page the CSP protects.
    expect(home.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

    const deep = await call(server.baseUrl, "GET", "/app/cases/case_anything");
    expect(deep.status).toBe(200);
    expect(deep.text).toBe(home.text);
    // The API keeps its own paths: /cases/… is JSON, never the console.
    const api = await call(server.baseUrl, "GET", `/cases/case_${"0".repeat(26)}`);
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toContain("application/problem+json");

    const script = /src="(\/assets\/[^"]+\.js)"/.exec(home.text)?.[1];
    expect(script).toBeDefined();
    const asset = await call(server.baseUrl, "GET", script!);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect((await call(server.baseUrl, "GET", "/assets/missing.js")).status).toBe(404);
  });

  it("a customer signs in, sees what the audit found, browses the bills and files the duplicate finding in one click", async () => {
    await page.goto(`${server.baseUrl}/`);
    await heading("Sign in");
    await expectNoSeriousAxeViolations(page, "sign-in");
    await screenshot(page, "01-sign-in.png");
    expect(
      await page.getByRole("link", { name: "Read the API documentation (/docs)" }).getAttribute("href"),
    ).toBe("/docs");

    // By keyboard alone: the page's heading has the focus on arrival, Tab reaches each field, Enter
    // submits; a wrong password is said in plain words.
    expect(await page.evaluate<string>("document.activeElement?.tagName")).toBe("H1");
    await page.keyboard.press("Tab");
    await page.keyboard.type("owner@acme.example");
    await page.keyboard.press("Tab");
    await page.keyboard.type("wrong");
    await page.keyboard.press("Enter");
    await see("The e-mail or password is wrong.");
    expect(await page.getByLabel("E-mail").inputValue()).toBe("owner@acme.example");

    await page.getByLabel("Password").fill("demo");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await heading("Overview");
    await see("USD 40.00");
    expect(await page.getByText("1 claimable finding(s)").count()).toBe(1);
    await see("You have no open cases.");
    await expectNoSeriousAxeViolations(page, "overview");
    await screenshot(page, "02-overview.png");

    await nav("Bills").click();
    await heading("Bills");
    await see("i-0a1");
    expect(await page.getByRole("row").count()).toBe(4);
    // Filters: a service narrows the list (and lands in the address, so a reload keeps it).
    await page.getByLabel("Service").fill("Amazon Simple Storage Service");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL(/service=Amazon/);
    await page.getByRole("row").nth(2).waitFor();
    await see("bucket-logs");
    expect(await page.getByRole("row").count()).toBe(3);
    await expectNoSeriousAxeViolations(page, "bills");
    await screenshot(page, "03-bills.png");

    await page.getByRole("link", { name: "Amazon Simple Storage Service" }).first().click();
    await heading(/Amazon Simple Storage Service · bucket-logs/);
    await see(/acme\.csv:\d/);
    // Charge periods are instants shown in the viewer's zone, with the offset.
    await see(/\d{4}-\d\d-01 08:00 \(UTC\+08:00\)/);
    expect(await page.getByRole("link", { name: "Request refund" }).getAttribute("href")).toContain(
      `account=${production}`,
    );
    await expectNoSeriousAxeViolations(page, "charge");
    await screenshot(page, "04-charge.png");

    await nav("Findings").click();
    await heading("Findings");
    const finding = page.getByRole("article").filter({ hasText: "Duplicate charge" });
    await finding.waitFor();
    expect(await finding.textContent()).toContain("USD 40.00");
    await expectNoSeriousAxeViolations(page, "findings");
    await screenshot(page, "05-findings.png");

    await finding.getByRole("button", { name: "File a refund request" }).click();
    await page.waitForURL(/\/app\/cases\/case_[0-9a-z]+$/);
    await heading(/^Case RD-\d{4}-\d{6}$/);
    caseId = page.url().split("/").pop()!;
    ticket = (await page.getByRole("heading", { level: 1 }).textContent())!.replace("Case ", "");
    await see("Submitted");
    await see(/\(UTC\+08:00\)/);

    // Evidence upload through the multipart route, with its progress bar.
    await page.getByLabel("Add a file as evidence").setInputFiles({
      name: "support-chat.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("Chat with support: the bucket was billed twice for the same month.\n"),
    });
    await page.getByRole("button", { name: "Upload" }).click();
    await see("support-chat.txt was added to the evidence.");
    await page.getByRole("link", { name: "support-chat.txt" }).waitFor();
    await expectNoSeriousAxeViolations(page, "case (filed)");
    await screenshot(page, "06-case-filed.png");
  }, 120_000);

  it("the request builder shows a vague-language hint next to the text, with the excerpt marked, and the built request, and files it", async () => {
    await nav("Request builder").click();
    await heading("Request builder");
    await page.getByLabel("Account", { exact: true }).selectOption(production);
    await page.getByRole("checkbox", { name: /Amazon Elastic Compute Cloud · i-0a1/ }).check();
    await page.getByLabel("Summary").fill("Instance i-0a1 billed for hours it did not run");
    await page
      .getByLabel("Description")
      .fill("Maybe the instance i-0a1 was stopped on the 16th, but the invoice bills the whole month.");
    const mark = page.locator(".lint-text mark", { hasText: "Maybe" });
    await mark.waitFor({ timeout: 15_000 });
    // The hint sits with the description (its aria-describedby), not in a list somewhere else.
    const describedBy = (await page.getByLabel("Description").getAttribute("aria-describedby")) ?? "";
    const hintText = await page.locator(`[id="${describedBy.split(" ")[0]}"]`).textContent();
    expect(hintText).toContain("Maybe");
    expect(hintText).toContain("Advice");
    expect(hintText).toContain("makes the request sound unsure");
    // The built request: the subject and executive summary as a reviewer will read them.
    await see("Executive summary");
    expect(await page.locator(".subject").textContent()).toMatch(/i-0a1/);
    await expectNoSeriousAxeViolations(page, "request builder");
    await screenshot(page, "07-request-builder.png");
    // Hints are advice: the request files as it stands, and the case page opens with its ticket.
    await page.getByRole("button", { name: "File the request" }).click();
    await page.waitForURL(/\/app\/cases\/case_[0-9a-z]+$/);
    await heading(/^Case RD-\d{4}-\d{6}$/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).not.toBe(`Case ${ticket}`);
    await see("Instance i-0a1 billed for hours it did not run");
  }, 60_000);

  it("switching to 中文 changes the labels, and back", async () => {
    await nav("Overview").click();
    await heading("Overview");
    await page.getByRole("button", { name: "中文" }).click();
    await heading("概览");
    await nav("审计发现").waitFor();
    await see("审计发现的可退款金额");
    expect(await page.evaluate<string>("document.documentElement.lang")).toBe("zh-CN");
    await expectNoSeriousAxeViolations(page, "overview (中文)");
    await screenshot(page, "08-overview-zh.png");
    await page.getByRole("button", { name: "English" }).click();
    await heading("Overview");
  }, 60_000);

  it("the reviewer finds the case in the queue with its risk signal, meets a plain 409 when the case moved, and decides an account credit", async () => {
    // The initial review (KYC unverified: no fast-track) runs now.
    await server.worker.drain();
    await signOut();
    await signIn("reviewer@nimbus.example");
    await heading("Review queue");
    const row = page.getByRole("row").filter({ hasText: ticket });
    await row.waitFor();
    expect(await row.textContent()).toContain("KYC not verified");
    expect(await row.textContent()).toContain("Acme Analytics Ltd");
    await expectNoSeriousAxeViolations(page, "queue");
    await screenshot(page, "09-queue.png");

    await row.getByRole("link", { name: ticket }).click();
    await heading(`Case ${ticket}`);
    await see("Automatic review");
    await see("Identity verification (KYC)");
    await page.getByLabel("Outcome").selectOption("account_credit");
    await page
      .getByLabel("Rationale")
      .fill("The S3 storage for bucket-logs was billed twice for the same month; the copy is credited.");
    // The policy evaluation's clauses come ticked; the finding's own clause is added by id.
    expect(await page.getByRole("checkbox", { name: "billing-errors-refunded" }).isChecked()).toBe(true);
    await page.getByLabel("Other clause ids (comma-separated)").fill("duplicate-charge");

    // The case moves on elsewhere (a claim from another tab) while this page still shows the old version.
    const other: Caller = await login(server.baseUrl, "reviewer@nimbus.example");
    expect(
      (await call(server.baseUrl, "POST", `/cases/${caseId}/claim`, { as: other, body: {} })).status,
    ).toBe(200);
    await page.getByRole("button", { name: "Record the decision" }).click();
    await see("Someone else changed this case after you opened it.");
    await expectNoSeriousAxeViolations(page, "workbench (conflict)");
    await screenshot(page, "10-workbench-conflict.png");

    await page.getByRole("button", { name: "Reload the case" }).click();
    await see(/Deciding on version \d+/);
    await page.getByRole("button", { name: "Record the decision" }).click();
    await page
      .getByRole("heading", { level: 3, name: /Account credit · USD 40/ })
      .waitFor({ timeout: 15_000 });
    await expectNoSeriousAxeViolations(page, "workbench (decided)");
    await screenshot(page, "11-workbench-decided.png");
    const decided = await call<{ state: string; decisions: Array<{ outcome: string; amount: string }> }>(
      server.baseUrl,
      "GET",
      `/cases/${caseId}`,
      { as: other },
    );
    expect(decided.body.state).toBe("decided");
    expect(decided.body.decisions[0]).toMatchObject({ outcome: "account_credit", amount: "40.00" });
  }, 120_000);

  it("the customer sees the decision with times in their zone, and the letter link returns a PDF", async () => {
    await server.worker.drain();
    await signOut();
    await signIn("owner@acme.example");
    await heading("Overview");
    // The ticket is linked from the cases list and, the decision being a credit, from the credits list.
    await page.getByRole("link", { name: ticket }).first().click();
    await heading(`Case ${ticket}`);
    await page.getByRole("heading", { level: 3, name: /Account credit · USD 40/ }).waitFor();
    await see("Appeal the decision");
    const times = await page.locator(".timeline time").allTextContents();
    expect(times.length).toBeGreaterThan(2);
    for (const time of times) expect(time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+08:00\)$/);
    const href = await page
      .getByRole("link", { name: "Download the decision letter (PDF)" })
      .getAttribute("href");
    expect(href).toMatch(new RegExp(`^/cases/${caseId}/decisions/[^/]+/letter$`));
    const letter = await page.evaluate<{ status: number; type: string | null; head: string }>(
      `fetch(${JSON.stringify(href)}).then(async (r) => ({ status: r.status, type: r.headers.get("content-type"),
        head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) }))`,
    );
    expect(letter).toEqual({ status: 200, type: "application/pdf", head: "%PDF-" });
    await expectNoSeriousAxeViolations(page, "case (decided)");
    await screenshot(page, "12-case-decided.png");
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
