import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GatewaySimulator,
  startGatewaySimulator,
} from "../src/gateway/simulator/start-gateway-simulator.js";
import {
  type BuiltConsole,
  browserSuiteRuns,
  buildConsoleForTests,
  CHARGES_CSV_HEADER,
  consoleSteps,
  expectNoSeriousAxeViolations,
  lastMonth,
  launchChromium,
  newConsolePage,
  screenshot,
} from "./support/browser.js";
import { type Caller, call, login } from "./support/client.js";
import { verifyKyc } from "./support/refunds.js";
import { startTestServer, type TestServer } from "./support/server.js";
import { PNG } from "./support/uploads.js";

/**
 * The console's end-to-end flows in a real browser (Debian's chromium driven by playwright-core),
 * against the real server on SQLite with the payment-gateway simulator behind it. Everything a
 * customer, an agent or a reviewer does goes through the UI; only what the console does not (yet)
 * offer — a KYC verification of the account the fast track needs, the compliance officer's verdict,
 * a membership in a second organisation — is set up through the HTTP API. Background jobs run when
 * a test drains the worker, so each step is observable. Every page visited is checked with axe-core
 * (no `serious` or `critical` violation) and photographed into test-output/screenshots/flow-*.png.
 *
 * The tests run in order and share one server, one browser and the cases they make.
 */

const runInBrowser = browserSuiteRuns("console flow tests");

/**
 * Last month's bills (the audit's claim window is open whenever the suite runs): on production an
 * EC2 instance, the same S3 charge twice (the duplicate the audit finds) and a Lambda function; on
 * the data lake an Athena workgroup. `BilledCost` of the Lambda row can be spoiled for the bad file.
 */
function lastMonthCsv(lambdaCost = "15.00"): string {
  const { start, end, invoice } = lastMonth("INV-FLOW");
  const row = (
    sub: string,
    subName: string,
    service: string,
    resource: string,
    sku: string,
    qty: string,
    unit: string,
    cost: string,
  ) =>
    `100000000001,${sub},${subName},AWS,${service},us-east-1,${resource},${sku},Usage,Usage-Based,${start},${end},${qty},${unit},${cost},USD,${invoice}`;
  const production = (...r: [string, string, string, string, string, string]) =>
    row("100000000002", "Acme — production", ...r);
  return [
    CHARGES_CSV_HEADER,
    production("AWS Lambda", "fn-report", "Lambda-GB-Second", "9000000", "GB-Seconds", lambdaCost),
    production("Amazon Elastic Compute Cloud", "i-0a1", "BoxUsage:m5.large", "720", "Hours", "72.00"),
    production("Amazon Simple Storage Service", "bucket-logs", "TimedStorage", "1000", "GB-Mo", "40.00"),
    production("Amazon Simple Storage Service", "bucket-logs", "TimedStorage", "1000", "GB-Mo", "40.00"),
    row(
      "100000000003",
      "Acme — data lake",
      "Amazon Athena",
      "wg-primary",
      "DataScannedInTB",
      "5",
      "TB",
      "25.00",
    ),
    "",
  ].join("\n");
}

interface CaseView {
  state: string;
  fastTrack: boolean;
  channel: string;
  onBehalfOf: string | null;
  decisions: Array<{ outcome: string; amount: string | null; final: boolean; decidedBy: string }>;
  informationRequests: Array<{ status: string; answer: string | null }>;
  evidence: Array<{ kind: string; label: string; phase: string }>;
  appeal: { argument: string } | null;
}

describe.skipIf(!runInBrowser)("the console's end-to-end flows in a real browser (SQLite)", () => {
  let built: BuiltConsole | undefined;
  let server: TestServer;
  let sim: GatewaySimulator;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let staff: Caller;
  let acmeOrg: string;
  let production: string;
  let dataLake: string;

  /** The axe check, then a full-page screenshot `flow-<name>.png`. */
  async function checkAndSnap(name: string): Promise<void> {
    await expectNoSeriousAxeViolations(page, name);
    await screenshot(page, `flow-${name}.png`);
  }

  const steps = consoleSteps(() => ({ page, baseUrl: server.baseUrl }));
  const { see, nav, heading, signOut } = steps;
  const button = (name: string) => page.getByRole("button", { name, exact: true });
  /** The case's state as the facts panel shows it. */
  const caseState = (state: string) =>
    page.locator(".facts .badge").filter({ hasText: state }).first().waitFor({ timeout: 15_000 });
  const drain = () => server.worker.drain();
  const caseOf = async (id: string) =>
    (await call<CaseView>(server.baseUrl, "GET", `/cases/${id}`, { as: staff })).body;
  const caseIdFromUrl = () => page.url().split("/").pop()!;
  const ticketOnPage = async () =>
    (await page.getByRole("heading", { level: 1 }).textContent())!.replace("Case ", "");

  /** Refunds posted to the simulator: their creation and settlement reach the server as signed webhooks. */
  async function settleAtGateway(): Promise<void> {
    await drain();
    await sim.webhooksIdle();
    await sim.settleAll();
    await sim.webhooksIdle();
    await drain();
  }

  async function signIn(email: string): Promise<void> {
    // Whoever was signed in (a test that failed half-way, say) is gone: each flow starts at the sign-in page.
    await context.clearCookies();
    await steps.signIn(email);
    await page.waitForURL(/\/app\//);
  }

  /** As whoever is signed in: opens a page of the console by its address. */
  async function open(path: string, title: string | RegExp): Promise<void> {
    await page.goto(`${server.baseUrl}${path}`);
    await heading(title);
  }

  beforeAll(async () => {
    built = await buildConsoleForTests("refund-desk-console-flows-");

    // The card gateway: refunds settle when a test says so; its webhooks go to the server.
    sim = await startGatewaySimulator({ settleAfterMs: null, webhookRetryDelayMs: 50 });
    server = await startTestServer("sqlite", {
      gatewayUrl: sim.url,
      gatewayApiKey: sim.apiKey,
      gatewayWebhookSecret: sim.webhookSecret,
      gatewayTimeoutMs: 5000,
    });
    sim.setWebhookUrl(`${server.baseUrl}/webhooks/gateway`);
    // The browser judges the session cookie's expiry, and the server the webhooks' timestamps, by the real clock.
    server.clock.set(new Date().toISOString());
    acmeOrg = server.world.customers.acme.organisationId;
    [production, dataLake] = server.world.customers.acme.memberAccountIds as [string, string];
    staff = await login(server.baseUrl, "reviewer@nimbus.example");
    // Production's identity is verified (the fast track needs it); the data lake's is not, for flow 4.
    await verifyKyc(
      server.baseUrl,
      await login(server.baseUrl, "owner@acme.example"),
      await login(server.baseUrl, "compliance@nimbus.example"),
      production,
      "P-FLOW-0001",
    );
    await drain();

    browser = await launchChromium();
    ({ context, page, pageErrors } = await newConsolePage(browser, { acceptDownloads: true }));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await sim?.close();
    built?.restore();
  });

  it("a customer imports bills with live progress, files the duplicate charge in one click, the fast track approves it, the refund is paid through the gateway and the letter downloads as a PDF", async () => {
    await signIn("owner@acme.example");
    await heading("Overview");
    await nav("Imports").click();
    await heading("Imports");
    await see("No file has been imported yet.");
    // Keyboard: the heading has the focus on arrival; Tab reaches the first control of the form.
    expect(await page.evaluate<string>("document.activeElement?.tagName")).toBe("H1");
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string | null>("document.activeElement?.id ?? null")).toBe(
      await page.getByLabel("What the file holds").getAttribute("id"),
    );

    // A bad file: refused whole, with its line and column in plain words.
    await page.getByLabel("File to import").setInputFiles({
      name: "acme-bad.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(lastMonthCsv("twelve")),
    });
    await button("Upload and import").click();
    await see("Uploaded. The import is waiting to start…");
    await page
      .getByRole("progressbar", { name: "Progress of the import of acme-bad.csv" })
      .waitFor({ timeout: 15_000 });
    await drain();
    await see(/Line 2 of acme-bad\.csv, column BilledCost: expected .+, found "twelve"\./);
    await see("Nothing of this file was imported. Correct it and upload it again.");
    await checkAndSnap("import-error");

    // The good file: imported by the background job; the list shows both.
    await page.getByLabel("File to import").setInputFiles({
      name: "acme-bills.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(lastMonthCsv()),
    });
    await button("Upload and import").click();
    await see("Uploaded. The import is waiting to start…");
    await drain(); // the import, then the audit it queues
    await see(/^5 row\(s\) imported\./);
    const rows = page.locator("table tbody tr");
    await rows.filter({ hasText: "acme-bills.csv" }).filter({ hasText: "Imported" }).waitFor();
    expect(await rows.filter({ hasText: "acme-bad.csv" }).textContent()).toContain("Refused");
    await checkAndSnap("import");

    // The duplicate the audit found, filed in one click.
    await nav("Findings").click();
    await heading("Findings");
    const finding = page.getByRole("article").filter({ hasText: "Duplicate charge" });
    await finding.waitFor();
    expect(await finding.textContent()).toContain("USD 40.00");
    await checkAndSnap("findings");
    await finding.getByRole("button", { name: "File a refund request" }).click();
    await page.waitForURL(/\/app\/cases\/case_[0-9a-z]+$/);
    await heading(/^Case RD-\d{4}-\d{6}$/);
    const caseId = caseIdFromUrl();
    const ticket = await ticketOnPage();

    // The initial review fast-tracks it; the payout job posts the refund at the gateway.
    await drain();
    await sim.webhooksIdle();
    await page.reload();
    await heading(`Case ${ticket}`);
    await caseState("Decided");
    await see("Fast-track");
    await page
      .getByRole("heading", { level: 3, name: /Refund to the original payment method · USD 40/ })
      .waitFor();
    await page
      .getByRole("region", { name: "Refund payment" })
      .getByText("Sent to the bank")
      .first()
      .waitFor();
    expect((await caseOf(caseId)).fastTrack).toBe(true);
    expect(sim.refunds().map((r) => r.amountMinor)).toEqual(["4000"]);

    await nav("Overview").click();
    await heading("Overview");
    const refunds = page.getByRole("region", { name: "Refunds to your payment method" });
    await refunds.getByText("Refunds in flight:").waitFor();
    expect(await refunds.textContent()).toContain("USD 40.00");
    expect(await refunds.getByRole("row").filter({ hasText: ticket }).textContent()).toContain(
      "Sent to the bank",
    );
    await checkAndSnap("overview-refund-in-flight");

    // The gateway settles it: the customer sees it paid, and no refund is left in flight.
    await settleAtGateway();
    await page.reload();
    await heading("Overview");
    const paidRow = refunds.getByRole("row").filter({ hasText: ticket });
    await paidRow.getByText("Paid").waitFor({ timeout: 15_000 });
    expect(await refunds.textContent()).toContain("Refunds in flight: none");
    await paidRow.getByRole("link", { name: ticket }).click();
    await heading(`Case ${ticket}`);
    await page.getByRole("region", { name: "Refund payment" }).getByText("Paid").waitFor();
    await checkAndSnap("case-paid");

    // The decision letter, downloaded as a file: a PDF.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download the decision letter (PDF)" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^decision-RD-\d{4}-\d{6}-1\.pdf$/);
    const letter = readFileSync((await download.path())!);
    expect(letter.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    await signOut();
  }, 120_000);

  let rfiCaseId: string;

  it("a support agent logs a phone request with a pasted transcript; the reviewer asks for information; the customer answers with a file and the case returns to review", async () => {
    await signIn("agent@nimbus.example");
    await heading("Request builder");
    await page.getByLabel("Customer", { exact: true }).selectOption({ label: "Acme Analytics Ltd" });
    await page.getByLabel("How the customer reached you").selectOption("phone");
    await page.getByLabel("Customer's contact (e-mail or phone)").fill("owner@acme.example");
    await page.getByRole("checkbox", { name: "I confirmed these contact details with the customer" }).check();
    await page.getByLabel("Account", { exact: true }).selectOption(production);
    await page.getByRole("checkbox", { name: /Amazon Elastic Compute Cloud · i-0a1/ }).check();
    await page.getByLabel("Summary").fill("Instance i-0a1 billed for the whole month after it was stopped");
    await page
      .getByLabel("Description")
      .fill("The customer stopped instance i-0a1 on the 10th; the invoice bills all 720 hours of the month.");
    await page.getByLabel("Title").fill("Phone call with Olivia Owner");
    await page
      .getByLabel("Text", { exact: true })
      .fill("Agent: How can I help?\nOlivia: We were billed for i-0a1 after we stopped it on the 10th.");
    await see("Executive summary");
    await checkAndSnap("builder-agent");
    await button("File the request").click();
    await page.waitForURL(/\/app\/cases\/case_[0-9a-z]+$/);
    await heading(/^Case RD-\d{4}-\d{6}$/);
    rfiCaseId = caseIdFromUrl();
    const ticket = await ticketOnPage();
    await see("Phone (support agent)");
    await see("owner@acme.example");
    await page.getByText("Phone call with Olivia Owner").waitFor();
    await checkAndSnap("case-agent");
    const filed = await caseOf(rfiCaseId);
    expect(filed).toMatchObject({ channel: "phone", onBehalfOf: "owner@acme.example" });
    expect(filed.evidence.map((e) => e.kind)).toContain("transcript");
    await drain(); // initial review: not a finding, so it waits for a reviewer
    await signOut();

    await signIn("reviewer@nimbus.example");
    await heading("Review queue");
    await page.getByRole("row").filter({ hasText: ticket }).getByRole("link", { name: ticket }).click();
    await heading(`Case ${ticket}`);
    await page
      .getByLabel("Questions (one per line)")
      .fill("When exactly was i-0a1 stopped?\nPlease attach the CloudTrail StopInstances event.");
    await button("Send the request").click();
    await caseState("Waiting for you");
    await checkAndSnap("workbench-rfi");
    await signOut();

    await signIn("owner@acme.example");
    await heading("Overview");
    await page.getByRole("link", { name: ticket }).first().click();
    await heading(`Case ${ticket}`);
    const rfi = page.getByRole("region", { name: "We need more information" });
    await rfi.getByText("When exactly was i-0a1 stopped?").waitFor();
    await see("The decision clock is paused while we wait for your answer.");
    await rfi
      .getByLabel("Your answer")
      .fill("It was stopped on the 10th at 09:12 UTC; the CloudTrail event is attached.");
    await rfi.getByLabel("Attach a file (optional)").setInputFiles({
      name: "cloudtrail-stop.json",
      mimeType: "application/json",
      buffer: Buffer.from(
        JSON.stringify({ eventName: "StopInstances", eventTime: "2026-01-10T09:12:00Z", resource: "i-0a1" }),
      ),
    });
    await checkAndSnap("case-rfi");
    await rfi.getByRole("button", { name: "Send the answer" }).click();
    await caseState("In review");
    await page.getByRole("link", { name: "cloudtrail-stop.json" }).waitFor();
    // Pasted evidence on the case page: an e-mail, kept as text.
    await page.getByLabel("What it is").selectOption("email");
    await page.getByLabel("Title").fill("E-mail from the operations team");
    await page.getByLabel("Text", { exact: true }).fill("Subject: i-0a1\n\nWe stopped i-0a1 on the 10th.");
    await button("Add to the evidence").click();
    await see("E-mail from the operations team was added to the evidence.");
    await checkAndSnap("case-rfi-answered");

    const answered = await caseOf(rfiCaseId);
    expect(answered.state).toBe("in_review");
    expect(answered.informationRequests[0]).toMatchObject({ status: "answered" });
    expect(answered.evidence.find((e) => e.label === "cloudtrail-stop.json")?.phase).toBe("information");
    expect(answered.evidence.map((e) => e.kind)).toContain("email");
    await signOut();
  }, 120_000);

  it("a draft is saved, then submitted; the denial is appealed with a new argument and a second reviewer decides it finally", async () => {
    await signIn("owner@acme.example");
    await nav("Request builder").click();
    await heading("Request builder");
    await page.getByLabel("Account", { exact: true }).selectOption(production);
    await page.getByRole("checkbox", { name: /AWS Lambda · fn-report/ }).check();
    await page.getByLabel("Reason").selectOption("accidental_purchase");
    await page.getByLabel("Desired outcome").selectOption("account_credit");
    await page.getByLabel("Summary").fill("Lambda fn-report ran a test job by mistake");
    await page
      .getByLabel("Description")
      .fill("A developer scheduled the fn-report test job against production; it ran for the whole month.");
    await button("Save as draft").click();
    await page.waitForURL(/\/app\/cases\/case_[0-9a-z]+$/);
    await heading("Case Draft (no ticket yet)");
    const caseId = caseIdFromUrl();
    await see("Nobody reviews a draft. Submit it when it is ready: it gets its ticket number then.");
    await checkAndSnap("case-draft");
    await nav("Overview").click();
    await heading("Overview");
    await page.getByRole("region", { name: "Drafts (not submitted)" }).getByRole("link").first().click();
    await heading("Case Draft (no ticket yet)");
    await button("Submit the request").click();
    await heading(/^Case RD-\d{4}-\d{6}$/);
    const ticket = await ticketOnPage();
    await drain();
    await signOut();

    // The first reviewer denies it.
    await signIn("reviewer@nimbus.example");
    await open(`/app/review/cases/${caseId}`, `Case ${ticket}`);
    await page.getByLabel("Outcome").selectOption("denied");
    await page
      .getByLabel("Rationale")
      .fill("AWS has no no-reason refund: usage that really ran is billed as it ran.");
    await page.getByLabel("Other clause ids (comma-separated)").fill("aws-no-no-reason-refund");
    await button("Record the decision").click();
    await page.getByRole("heading", { level: 3, name: /^Denied/ }).waitFor({ timeout: 15_000 });
    await caseState("Decided");
    await signOut();

    // The customer appeals on the case page.
    await signIn("owner@acme.example");
    await open(`/app/cases/${caseId}`, `Case ${ticket}`);
    await page.getByRole("region", { name: "Appeal the decision" }).waitFor();
    await page
      .getByLabel("What is new")
      .fill("The job ran only because of a scheduler bug in your console, reported in ticket NC-4471.");
    await button("Send the appeal").click();
    await caseState("Appealed");
    await page
      .getByRole("region", { name: "The appeal" })
      .getByText(/scheduler bug/)
      .waitFor();
    await checkAndSnap("case-appeal");
    await drain();
    await signOut();

    // A second reviewer, never the first, takes the appeal and decides it; the decision is final.
    await signIn("senior@nimbus.example");
    await open(`/app/review/cases/${caseId}`, `Case ${ticket}`);
    await page
      .getByRole("region", { name: "The appeal" })
      .getByText(/scheduler bug/)
      .waitFor();
    await button("Take the appeal (starts the second review)").click();
    await caseState("In second review");
    await page.getByLabel("Outcome").selectOption("account_credit");
    await page
      .getByLabel("Rationale")
      .fill("The scheduler bug is ours (NC-4471): the month of fn-report is credited to the account.");
    await page.getByLabel("Other clause ids (comma-separated)").fill("billing-errors-refunded");
    await button("Record the decision").click();
    await page
      .getByRole("heading", { level: 3, name: /Account credit · USD 15\.00.*final/ })
      .waitFor({ timeout: 15_000 });
    await caseState("Closed");
    await checkAndSnap("workbench-appeal");
    const decided = await caseOf(caseId);
    expect(decided.decisions.map((d) => [d.outcome, d.final])).toEqual([
      ["denied", false],
      ["account_credit", true],
    ]);
    expect(decided.decisions[1]!.decidedBy).not.toBe(decided.decisions[0]!.decidedBy);
    await signOut();
  }, 120_000);

  it("a refund decided for an account without verified KYC waits; the customer submits KYC documents, compliance approves, and the held refund is paid", async () => {
    await signIn("owner@acme.example");
    await nav("Request builder").click();
    await heading("Request builder");
    await page.getByLabel("Account", { exact: true }).selectOption(dataLake);
    await page.getByRole("checkbox", { name: /Amazon Athena · wg-primary/ }).check();
    await page.getByLabel("Summary").fill("Athena wg-primary billed for scans that failed");
    await page
      .getByLabel("Description")
      .fill("Every query of workgroup wg-primary failed last month, yet 5 TB of scans were billed.");
    await button("File the request").click();
    await heading(/^Case RD-\d{4}-\d{6}$/);
    const caseId = caseIdFromUrl();
    const ticket = await ticketOnPage();
    await drain();
    await signOut();

    await signIn("reviewer@nimbus.example");
    await open(`/app/review/cases/${caseId}`, `Case ${ticket}`);
    await see("KYC not verified");
    expect(await page.getByLabel("Outcome").inputValue()).toBe("refund_original_method");
    await page
      .getByLabel("Rationale")
      .fill("The failed Athena queries scanned nothing billable; the charge is refunded in full.");
    await page.getByLabel("Other clause ids (comma-separated)").fill("billing-errors-refunded");
    await button("Record the decision").click();
    await caseState("Awaiting identity verification");
    await see("The decision is recorded and waits for the account's identity verification");
    await checkAndSnap("workbench-held");
    await drain();
    await signOut();

    // The customer sees why the refund waits, and verifies the account on the KYC page.
    await signIn("owner@acme.example");
    await open(`/app/cases/${caseId}`, `Case ${ticket}`);
    const held = page.getByRole("region", { name: "Your refund waits for identity verification" });
    await held.waitFor();
    await checkAndSnap("case-kyc-held");
    await held.getByRole("link", { name: "Verify the account's identity" }).click();
    await heading("Identity verification (KYC)");
    await page.waitForURL(new RegExp(`/app/kyc\\?account=${dataLake}$`));
    expect(await page.getByLabel("Account", { exact: true }).inputValue()).toBe(dataLake);
    await page
      .getByRole("region", { name: "Refunds waiting for this verification" })
      .getByText(ticket)
      .waitFor();
    const status = page.getByRole("region", { name: "Verification of Acme — data lake" });
    await status.getByText("Not verified").waitFor();
    await page.getByLabel("Kind of document").selectOption("passport");
    await page.getByLabel("Document (PDF, PNG or JPEG)").setInputFiles({
      name: "passport.png",
      mimeType: "image/png",
      buffer: PNG,
    });
    await button("Upload the document").click();
    await see("passport.png was uploaded.");
    await page.getByRole("region", { name: "Documents" }).getByText("Passport").waitFor();
    await page.getByLabel("Legal name").fill("Olivia Owner");
    await page.getByLabel("Passport, ID card or company registration number").fill("DL-FLOW-0002");
    await button("Send for review").click();
    await status.getByText("Under review").waitFor({ timeout: 15_000 });
    await checkAndSnap("kyc");
    await page.getByRole("button", { name: "中文" }).click();
    await heading("身份验证（KYC）");
    await page.getByText("审核中").first().waitFor();
    await checkAndSnap("kyc-zh");
    await page.getByRole("button", { name: "English" }).click();
    await heading("Identity verification (KYC)");

    // Compliance approves (through the API: the compliance pages are another slice's).
    const compliance = await login(server.baseUrl, "compliance@nimbus.example");
    const verdict = await call(server.baseUrl, "POST", `/accounts/${dataLake}/kyc/decision`, {
      as: compliance,
      body: { decision: "verified", reason: "Passport matches the legal name" },
    });
    expect(verdict.status).toBe(200);
    await settleAtGateway(); // releases the held decision, then pays it

    await page.reload();
    await heading("Identity verification (KYC)");
    await status.locator(".badge", { hasText: /^Verified$/ }).waitFor({ timeout: 15_000 });
    await open(`/app/cases/${caseId}`, `Case ${ticket}`);
    await caseState("Decided");
    await page
      .getByRole("heading", { level: 3, name: /Refund to the original payment method · USD 25/ })
      .waitFor();
    await page.getByRole("region", { name: "Refund payment" }).getByText("Paid").waitFor();
    expect(
      await page.getByRole("region", { name: "Your refund waits for identity verification" }).count(),
    ).toBe(0);
    await checkAndSnap("case-kyc-paid");
    expect((await caseOf(caseId)).state).toBe("decided");
    expect(
      sim
        .refunds()
        .map((r) => r.amountMinor)
        .sort(),
    ).toEqual(["2500", "4000"]);
  }, 120_000);

  it("a user in two organisations switches between them in the top bar", async () => {
    // Globex's owner adds Acme's owner to Globex (membership management is the API's for now).
    const globexOwner = await login(server.baseUrl, "owner@globex.example");
    const added = await call(
      server.baseUrl,
      "POST",
      `/organisations/${server.world.customers.globex.organisationId}/members`,
      { as: globexOwner, body: { email: "owner@acme.example", role: "billing_contact" } },
    );
    expect(added.status).toBe(200);
    await signOut();
    await signIn("owner@acme.example");
    await heading("Overview");
    const switcher = page.getByLabel("Organisation", { exact: true });
    expect(await switcher.inputValue()).toBe(acmeOrg);
    await switcher.selectOption({ label: "Globex Retail (Shanghai) Co., Ltd." });
    await see("· Globex Retail (Shanghai) Co., Ltd.");
    await see("You have no open cases.");
    await checkAndSnap("org-switch");
    await nav("Imports").click();
    await heading("Imports");
    await see("No file has been imported yet.");
    await page.getByLabel("Organisation", { exact: true }).selectOption(acmeOrg);
    await heading("Overview");
    await see("· Acme Analytics Ltd");
    await page
      .getByRole("region", { name: "Refunds to your payment method" })
      .getByText("Paid")
      .first()
      .waitFor();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
