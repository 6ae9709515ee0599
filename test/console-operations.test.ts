import { deflateSync } from "node:zlib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dashboard } from "../src/dashboard/aggregate-dashboard.js";
import { importSettlement } from "../src/reconciliation/import-settlement.js";
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
import { seedOrganisation, seedPayout } from "./support/ledger-fixtures.js";
import { startTestServer, type TestServer } from "./support/server.js";

/**
 * The console's compliance, finance and dashboard pages in a real browser, as console.test.ts runs
 * the customer's and reviewer's: Debian's chromium driven by playwright-core against the real server
 * over loopback (SQLite only: the pages talk to nothing but the HTTP API, whose behaviour on both
 * engines the API suites cover). Every page visited is checked with axe-core (no `serious` or
 * `critical` violation) and photographed into test-output/screenshots/.
 *
 * The data is made the way people make it: bills imported (the audit finds the duplicate), refund
 * requests filed by the customer and decided by a reviewer through the API, KYC documents uploaded
 * and submitted by the customer. Only the other customer's payouts come from the ledger fixtures
 * (test/support/ledger-fixtures.ts): a failed one, which no gateway is needed to make.
 */
const runInBrowser = browserSuiteRuns("console operations browser tests");

const HOUR_MS = 3600_000;

/** A real PNG (RGB, a blue card with a white band) that a browser decodes and draws. */
function passportPng(width = 120, height = 80): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const band = y > height * 0.4 && y < height * 0.6;
      row.set(band ? [250, 250, 250] : [29, 78, 216], 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Acme production's bills for last month (the claim window is open whenever the suite runs). */
function lastMonthCsv(): string {
  const { start, end, invoice } = lastMonth("INV-OPS");
  const row = (service: string, resource: string, sku: string, cost: string) =>
    `100000000001,100000000002,Acme — production,AWS,${service},us-east-1,${resource},${sku},Usage,Usage-Based,${start},${end},1,Units,${cost},USD,${invoice}`;
  return [
    CHARGES_CSV_HEADER,
    row("Amazon Elastic Compute Cloud", "i-dash1", "BoxUsage:m5.large", "100.00"),
    row("Amazon Elastic Compute Cloud", "i-dash2", "BoxUsage:m5.large", "60.00"),
    // The same S3 charge twice: the audit finds the duplicate (USD 40.00).
    row("Amazon Simple Storage Service", "bucket-dash", "TimedStorage", "40.00"),
    row("Amazon Simple Storage Service", "bucket-dash", "TimedStorage", "40.00"),
    row("Amazon Relational Database Service", "db-dash", "InstanceUsage:db.m5", "30.00"),
    "",
  ].join("\n");
}

describe.skipIf(!runInBrowser)(
  "the console's compliance, finance and dashboard pages in a real browser (SQLite)",
  () => {
    let built: BuiltConsole | undefined;
    let server: TestServer;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let pageErrors: string[];
    let acme: TestServer["world"]["customers"]["acme"];
    let production: string;
    let dataLake: string;
    let failedPayoutId: string;
    /** Case ids by resource, and their tickets. */
    const cases = new Map<string, { id: string; ticket: string }>();
    /** When the cases were submitted (the server's clock, near the real time). */
    let submittedAt: Date;

    const { see, heading, signIn, signOut } = consoleSteps(() => ({ page, baseUrl: server.baseUrl }));
    /** The main navigation, by its name (the payouts page has a second one, of payout states). */
    const nav = (name: string) =>
      page.getByRole("navigation", { name: "Main navigation" }).getByRole("link", { name, exact: true });
    /** The text of a chart's figures (its text alternative), found by the chart's caption. */
    const chartFigures = async (caption: string | RegExp) => {
      const figure = page
        .locator("figure.chart")
        .filter({ has: page.locator("figcaption", { hasText: caption }) });
      await figure.waitFor({ timeout: 15_000 });
      return (await figure.locator(".chart-figures").textContent()) ?? "";
    };

    async function uploadAndSubmitKyc(owner: Caller, accountId: string): Promise<void> {
      const form = new FormData();
      form.append("kind", "passport");
      form.append("file", new Blob([passportPng()]), "passport.png");
      const up = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc/documents`, {
        as: owner,
        rawBody: form,
      });
      expect(up.status, up.text).toBe(201);
      // The same passport number on two accounts: one person behind both, an identity link.
      const sub = await call(server.baseUrl, "POST", `/accounts/${accountId}/kyc`, {
        as: owner,
        body: { type: "individual", legalName: "Olivia Owner", identityNumber: "P-5550123" },
      });
      expect(sub.status, sub.text).toBe(200);
    }

    beforeAll(async () => {
      built = await buildConsoleForTests("refund-desk-console-ops-");

      server = await startTestServer("sqlite");
      // The browser judges the session cookie's expiry by the real clock: the server's must agree.
      submittedAt = new Date();
      server.clock.set(submittedAt.toISOString());
      acme = server.world.customers.acme;
      [production, dataLake] = acme.memberAccountIds as [string, string];

      // Bills, and the audit that finds the duplicate S3 charge.
      await importCharges(server, acme.organisationId, "acme-ops.csv", lastMonthCsv());
      await server.worker.drain();
      const charges = await server.services.store.db
        .selectFrom("charges")
        .select(["id", "resource_id"])
        .where("organisation_id", "=", acme.organisationId)
        .orderBy("source_ref")
        .execute();
      const chargeOf = (resource: string) => charges.find((c) => c.resource_id === resource)!.id;

      // Four refund requests, filed by the owner: two billing errors, the duplicate, an SLA breach.
      const owner = await login(server.baseUrl, "owner@acme.example");
      const reviewer = await login(server.baseUrl, "reviewer@nimbus.example");
      const file = async (reason: string, resources: string[]) => {
        const res = await call<{ cases: Array<{ id: string; ticketNumber: string; chargeId: string }> }>(
          server.baseUrl,
          "POST",
          "/cases",
          {
            as: owner,
            body: {
              accountId: production,
              items: resources.map((r) => ({ chargeId: chargeOf(r) })),
              reason,
              desiredOutcome: "account_credit",
              summary: `Refund for ${resources.join(" and ")}`,
              description: `The charges for ${resources.join(" and ")} should not have been billed last month.`,
              impactStatement: "We overpaid last month.",
            },
          },
        );
        expect(res.status, res.text).toBe(201);
        for (const [i, c] of res.body.cases.entries())
          cases.set(resources[i]!, { id: c.id, ticket: c.ticketNumber });
      };
      await file("billing_error", ["i-dash1", "i-dash2"]);
      await file("duplicate_charge", ["bucket-dash"]);
      await file("sla_breach", ["db-dash"]);
      await server.worker.drain();

      // Decided 2, 4 and 6 hours after submission: the median time to decision is 4 hours.
      const decide = async (resource: string, hours: number, body: Record<string, unknown>) => {
        server.clock.set(new Date(submittedAt.getTime() + hours * HOUR_MS).toISOString());
        const res = await call(server.baseUrl, "POST", `/cases/${cases.get(resource)!.id}/decision`, {
          as: reviewer,
          body: { clauses: ["billing-errors-refunded"], ...body },
        });
        expect(res.status, res.text).toBe(200);
      };
      await decide("i-dash1", 2, {
        outcome: "account_credit",
        rationale: "The instance i-dash1 was billed for a month it did not run; credited in full.",
      });
      await decide("bucket-dash", 4, {
        outcome: "account_credit",
        amount: "25.00",
        rationale: "The duplicate storage charge is credited, less the part already settled by support.",
        clauses: ["duplicate-charge"],
      });
      await decide("i-dash2", 6, {
        outcome: "denied",
        rationale: "The instance i-dash2 ran the whole month according to the usage records.",
      });
      await server.worker.drain();

      // KYC: the owner uploads a passport for two accounts and submits both with the same number.
      await uploadAndSubmitKyc(owner, production);
      await uploadAndSubmitKyc(owner, dataLake);

      // Another customer's payouts: one failed at the gateway, one paid.
      const initech = await seedOrganisation(server.services, "Initech Hosting GmbH");
      failedPayoutId = (await seedPayout(server.services, initech, { amountMinor: 7500n, status: "failed" }))
        .id;
      await seedPayout(server.services, initech, {
        amountMinor: 1250n,
        status: "succeeded",
        gatewayRefundId: "re_ops_paid",
        settledAt: server.clock.now().toISOString(),
      });
      // A settlement file with a line no payout of ours explains: one finance task.
      await importSettlement(
        server.services,
        { actor: "system:test", requestId: null },
        {
          fileName: "settlement-2026-01-15.csv",
          content: Buffer.from(
            "settlement_date,gateway_refund_id,idempotency_key,payment_id,type,amount_minor,currency,status,fee_minor\n" +
              "2026-01-15,re_unknown_ops,,pay_elsewhere,refund,4200,USD,succeeded,30\n",
          ),
        },
      );

      browser = await launchChromium();
      ({ context, page, pageErrors } = await newConsolePage(browser, { acceptDownloads: true }));
    }, 240_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await server?.close();
      built?.restore();
    });

    it("a compliance officer sees the KYC queue, views the passport inline, cannot decide without a reason, and approves", async () => {
      await signIn("compliance@nimbus.example");
      await heading("KYC queue");
      await page.getByRole("link", { name: "Review Acme — production" }).waitFor();
      expect(await page.getByRole("link", { name: "Review Acme — data lake" }).count()).toBe(1);
      await expectNoSeriousAxeViolations(page, "compliance KYC queue");
      await screenshot(page, "compliance-kyc-queue.png");

      await page.getByRole("link", { name: "Review Acme — production" }).click();
      await heading("KYC review: Acme — production");
      // The passport is shown inline, decoded by the browser from the decrypting route.
      const image = page.getByRole("img", { name: "Passport uploaded for identity verification" });
      await image.waitFor();
      // Polled from here: a predicate evaluated in the page would be refused by the console's CSP.
      await expect
        .poll(() =>
          page.evaluate<boolean>(
            `(() => { const img = document.querySelector("img.document-image"); return Boolean(img?.complete && img.naturalWidth > 0); })()`,
          ),
        )
        .toBe(true);
      expect(
        await page.evaluate<number[]>(
          `(() => { const img = document.querySelector("img.document-image"); return [img.naturalWidth, img.naturalHeight]; })()`,
        ),
      ).toEqual([120, 80]);
      expect(await page.getByRole("link", { name: "Download the Passport" }).getAttribute("href")).toMatch(
        new RegExp(`^/accounts/${production}/kyc/documents/[^/]+$`),
      );
      // The other account with the same passport number.
      const links = page.locator("section.panel", {
        has: page.getByRole("heading", { name: "Accounts sharing this identity or card" }),
      });
      await links.getByText("Acme — data lake").waitFor();
      expect(await links.textContent()).toContain("Same identity number");
      await expectNoSeriousAxeViolations(page, "compliance KYC review");
      await screenshot(page, "compliance-kyc-review.png");

      // A decision needs its reason: said next to the field, and nothing is sent.
      await page.getByRole("button", { name: "Record the decision" }).click();
      await see("Give the reason for the decision.");
      expect(await page.getByLabel("Reason").getAttribute("aria-invalid")).toBe("true");
      const compliance = await login(server.baseUrl, "compliance@nimbus.example");
      const before = await call<{ status: string }>(server.baseUrl, "GET", `/accounts/${production}/kyc`, {
        as: compliance,
      });
      expect(before.body.status).toBe("pending");

      expect(await page.getByRole("radio", { name: "Verify the identity" }).isChecked()).toBe(true);
      await page
        .getByLabel("Reason")
        .fill("The passport photo and number match the legal name Olivia Owner.");
      await page.getByRole("button", { name: "Record the decision" }).click();
      await see("The identity is verified.");
      await see("Nothing to decide: the verification is Verified.");
      const after = await call<{ status: string; reviews: Array<{ decision: string; reason: string }> }>(
        server.baseUrl,
        "GET",
        `/accounts/${production}/kyc`,
        { as: compliance },
      );
      expect(after.body.status).toBe("verified");
      expect(after.body.reviews[0]).toMatchObject({
        decision: "verified",
        reason: "The passport photo and number match the legal name Olivia Owner.",
      });
      await expectNoSeriousAxeViolations(page, "compliance KYC approved");
      await screenshot(page, "compliance-kyc-approved.png");

      await nav("KYC queue").click();
      await heading("KYC queue");
      await page.getByRole("link", { name: "Review Acme — data lake" }).waitFor();
      expect(await page.getByRole("link", { name: "Review Acme — production" }).count()).toBe(0);
    }, 120_000);

    it("compliance marks the identity link legitimate, and the verdict shows as the latest", async () => {
      await page.goto(`${server.baseUrl}/app/compliance/links?account=${production}`);
      await heading("Identity links");
      const link = page.getByRole("article").filter({ hasText: "Acme — data lake" });
      await link.waitFor();
      expect(await link.textContent()).toContain("Not reviewed");
      await expectNoSeriousAxeViolations(page, "compliance identity links");

      await link.getByRole("button", { name: "Record the verdict" }).click();
      await link.getByText("Choose a verdict.").waitFor();
      await link.getByRole("radio", { name: "Legitimate" }).check();
      await link.getByLabel("Reason").fill("Both accounts belong to Olivia Owner of Acme Analytics Ltd.");
      await link.getByRole("button", { name: "Record the verdict" }).click();
      await see("Recorded: Legitimate for the link with Acme — data lake.");
      await page.getByRole("article").filter({ hasText: "Latest verdict: Legitimate" }).waitFor();
      await expectNoSeriousAxeViolations(page, "compliance identity links (judged)");
      await screenshot(page, "compliance-identity-links.png");

      // The picker reaches the same view from the other side.
      await page.goto(`${server.baseUrl}/app/compliance/links`);
      await heading("Identity links");
      await page.getByLabel("Customer", { exact: true }).selectOption({ label: "Acme Analytics Ltd" });
      await page.getByLabel("Account", { exact: true }).selectOption(dataLake);
      await page.getByRole("button", { name: "Show its links" }).click();
      await page.waitForURL(new RegExp(`account=${dataLake}`));
      const back = page.getByRole("article").filter({ hasText: "Acme — production" });
      await back.waitFor();
      await page.getByRole("article").filter({ hasText: "Latest verdict: Legitimate" }).waitFor();
      await signOut();
    }, 60_000);

    it("finance sees payouts by state and retries the failed one as a new attempt", async () => {
      await signIn("finance@nimbus.example");
      await heading("Payouts");
      const tabs = page.getByRole("navigation", { name: "Payout states" });
      for (const name of [
        "All",
        "Pending",
        "Submitted",
        "Requires action",
        "Succeeded",
        "Failed",
        "Credited to the account",
      ])
        expect(await tabs.getByRole("link", { name, exact: true }).count()).toBe(1);
      await page.getByRole("row").filter({ hasText: "USD 75.00" }).waitFor();
      expect(await page.getByRole("row").filter({ hasText: "Initech Hosting GmbH" }).count()).toBe(2);

      await tabs.getByRole("link", { name: "Succeeded" }).click();
      await page.waitForURL(/status=succeeded/);
      await page.getByRole("row").filter({ hasText: "USD 12.50" }).waitFor();
      expect(await page.getByRole("row").filter({ hasText: "USD 75.00" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Retry/ }).count()).toBe(0);

      await tabs.getByRole("link", { name: "Failed" }).click();
      await page.waitForURL(/status=failed/);
      const failed = page.getByRole("row").filter({ hasText: "USD 75.00" });
      await failed.waitFor();
      expect(await tabs.getByRole("link", { name: "Failed" }).getAttribute("aria-current")).toBe("page");
      expect(await failed.textContent()).toContain("card_declined");
      expect(await failed.textContent()).toContain("Initech Hosting GmbH");
      await expectNoSeriousAxeViolations(page, "finance payouts (failed)");
      await screenshot(page, "finance-payouts.png");

      // By keyboard: Tab reaches the Retry button and Enter presses it.
      await failed.getByRole("button", { name: /^Retry the payout of RD-/ }).focus();
      await page.keyboard.press("Enter");
      await see(/^The payout of RD-\S+ was queued again\.$/);
      await see("No payout is Failed.");
      const finance = await login(server.baseUrl, "finance@nimbus.example");
      const payout = await call<{ status: string; attempt: number }>(
        server.baseUrl,
        "GET",
        `/payouts/${failedPayoutId}`,
        { as: finance },
      );
      expect(payout.body).toMatchObject({ status: "pending", attempt: 2 });

      await tabs.getByRole("link", { name: "Pending" }).click();
      await page.waitForURL(/status=pending/);
      const pending = page.getByRole("row").filter({ hasText: "USD 75.00" });
      await pending.waitFor();
      expect((await pending.locator("td.num").allTextContents()).map((s) => s.trim())).toEqual([
        "USD 75.00",
        "2",
      ]);
      await expectNoSeriousAxeViolations(page, "finance payouts (retried)");
      await screenshot(page, "finance-payouts-retried.png");
    }, 90_000);

    it("finance reads the reconciliation: the settlement file, the line missing in our records, and resolves its task", async () => {
      await nav("Reconciliation").click();
      await heading("Reconciliation");
      const fileRow = page.getByRole("row").filter({ hasText: "settlement-2026-01-15.csv" });
      await fileRow.waitFor();
      expect(await fileRow.textContent()).toContain("Needs attention");
      await page.getByText("Reconciliation mismatch").first().waitFor();
      await expectNoSeriousAxeViolations(page, "finance reconciliation");
      await screenshot(page, "finance-reconciliation.png");

      await fileRow.getByRole("link", { name: "settlement-2026-01-15.csv" }).click();
      await heading("Reconciliation of settlement-2026-01-15.csv");
      const line = page.getByRole("row").filter({ hasText: "re_unknown_ops" });
      await line.waitFor();
      expect(await line.textContent()).toContain("Missing in our records");
      expect(await line.textContent()).toContain("USD 42.00");

      await page.getByRole("button", { name: "Resolve" }).click();
      await see("Say what was done before resolving the task.");
      await page.getByLabel("What was done").fill("Another merchant's refund: reported to the gateway.");
      await page.getByRole("button", { name: "Resolve" }).click();
      await see("The task was resolved.");
      await see("No open task.");
      await expectNoSeriousAxeViolations(page, "finance reconciliation report");
      await screenshot(page, "finance-reconciliation-report.png");
    }, 60_000);

    it("the ledger explorer shows balances and entries by code and case, a balanced trial balance, and the CSV export", async () => {
      await nav("Ledger").click();
      await heading("Ledger");
      await page.getByLabel("Customer", { exact: true }).selectOption({ label: "Acme Analytics Ltd" });
      await page.getByRole("button", { name: "Show the ledger" }).click();
      await page.getByRole("heading", { name: "Balances of Acme Analytics Ltd" }).waitFor();
      const contra = page.getByRole("row").filter({ hasText: "Refunds and allowances" }).first();
      await contra.waitFor();
      expect((await contra.locator("td.num").allTextContents()).map((s) => s.trim())).toEqual([
        "USD 125.00",
        "USD 0.00",
        "USD 125.00",
      ]);
      const credit = page.getByRole("row").filter({ hasText: "Customer credit balances" }).first();
      expect((await credit.locator("td.num").allTextContents()).map((s) => s.trim())).toEqual([
        "USD 0.00",
        "USD 125.00",
        "USD 125.00",
      ]);

      // Entries: the two credits granted, each with its case's ticket.
      const entries = page.locator("table.entries tbody.entry");
      await entries.first().waitFor();
      expect(await entries.count()).toBe(2);
      expect(await entries.first().textContent()).toContain(cases.get("i-dash1")!.ticket);

      await page.getByLabel("Ledger code").selectOption("customer_credit");
      await page.getByLabel("Case", { exact: true }).selectOption(cases.get("bucket-dash")!.id);
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/code=customer_credit/);
      await expect.poll(() => page.locator("table.entries tbody.entry").count()).toBe(1);
      const only = await entries.first().textContent();
      expect(only).toContain(cases.get("bucket-dash")!.ticket);
      expect(only).toContain("USD 25.00");

      // A period with nothing in it says so.
      const day = submittedAt.toISOString().slice(0, 10);
      await page.getByLabel("Effective from").fill("2020-01-01");
      await page.getByLabel("Effective until").fill("2020-01-31");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await see("No entry matches these filters.");

      // The trial balance: every customer's books, debits equal to credits.
      const usd = page.locator('[data-currency="USD"]');
      await usd.waitFor();
      expect(await usd.locator("caption").textContent()).toContain("Balanced");
      // Acme's credits (100.00 + 25.00), Initech's two refunds decided (75.00 + 12.50) and one paid (12.50).
      expect((await usd.locator('[data-total="debit"]').textContent())?.trim()).toBe("USD 225.00");
      expect((await usd.locator('[data-total="credit"]').textContent())?.trim()).toBe("USD 225.00");
      const finance = await login(server.baseUrl, "finance@nimbus.example");
      const tb = await call<{
        balanced: boolean;
        currencies: Array<{ currency: string; totalDebit: string }>;
      }>(server.baseUrl, "GET", "/ledger/trial-balance", { as: finance });
      expect(tb.body.balanced).toBe(true);
      expect(tb.body.currencies.find((c) => c.currency === "USD")?.totalDebit).toBe("225.00");

      // The accounting export for a chosen period: a link to the CSV.
      const dayAfter = new Date(submittedAt.getTime() + 24 * HOUR_MS).toISOString().slice(0, 10);
      await page.getByLabel("From (date)").fill(day);
      await page.getByLabel("To (date, included)").fill(dayAfter);
      const download = page.getByRole("link", { name: /^Download the CSV of Acme Analytics Ltd/ });
      const href = await download.getAttribute("href");
      expect(href).toBe(`/organisations/${acme.organisationId}/ledger/export.csv?from=${day}&to=${dayAfter}`);
      const csv = await page.evaluate<{ status: number; type: string | null; text: string }>(
        `fetch(${JSON.stringify(href)}).then(async (r) => ({ status: r.status, type: r.headers.get("content-type"), text: await r.text() }))`,
      );
      expect(csv.status).toBe(200);
      expect(csv.type).toContain("text/csv");
      expect(csv.text.split("\n")[0]).toContain("entry_id,effective_at,organisation_id,kind");
      expect(csv.text).toContain(cases.get("i-dash1")!.ticket);
      expect(csv.text).toMatch(/,100\.00,/);
      expect(csv.text).toMatch(/,25\.00,/);
      await expectNoSeriousAxeViolations(page, "finance ledger");
      await screenshot(page, "finance-ledger.png");
    }, 90_000);

    it("the dashboard charts refunds by reason, product and month and what the audit found, with the seeded figures", async () => {
      await nav("Dashboard").click();
      await heading("Dashboard");
      const kpi = (name: string) => page.locator(`[data-kpi="${name}"] .tile-figure`);
      await kpi("filed").waitFor();
      // Four cases filed; three decided (two credits, one denial) after 2, 4 and 6 hours; all on time.
      expect(await kpi("filed").textContent()).toBe("4");
      expect(await kpi("approval").textContent()).toBe("66.7%");
      expect(await kpi("median").textContent()).toBe("4 h 0 min");
      expect(await kpi("target").textContent()).toBe("100.0%");
      await see("3 decided, 1 waiting");
      await see("2 of 3 decided cases granted something");
      await see("3 of 3 by the expected decision date");
      const totals = page.getByRole("table", { name: "Requested and granted, per currency" });
      expect(
        (await totals.getByRole("row").filter({ hasText: "USD" }).locator("td").allTextContents()).map((s) =>
          s.trim(),
        ),
      ).toEqual(["4", "2", "USD 230.00", "USD 125.00"]);

      expect(await chartFigures("Refunds by reason: amounts in USD")).toBe(
        "Billing error: Requested USD 160.00, Granted USD 100.00; " +
          "Duplicate charge: Requested USD 40.00, Granted USD 25.00; " +
          "SLA breach: Requested USD 30.00, Granted USD 0.00",
      );
      expect(await chartFigures("Refunds by product: amounts in USD")).toBe(
        "Amazon Elastic Compute Cloud: Requested USD 160.00, Granted USD 100.00; " +
          "Amazon Relational Database Service: Requested USD 30.00, Granted USD 0.00; " +
          "Amazon Simple Storage Service: Requested USD 40.00, Granted USD 25.00",
      );
      const month = submittedAt.toISOString().slice(0, 7);
      expect(await chartFigures("Refunds by month: amounts in USD")).toBe(
        `${month}: Requested USD 230.00, Granted USD 125.00`,
      );
      expect(await chartFigures("Found by the audit, by kind: amounts in USD")).toBe(
        "Duplicate charge: Refundable amount USD 40.00",
      );
      const reasonRow = page.getByRole("row").filter({ hasText: "Billing error" }).first();
      expect((await reasonRow.locator("td").allTextContents()).map((s) => s.trim())).toEqual([
        "USD",
        "2",
        "2",
        "1",
        "USD 160.00",
        "USD 100.00",
      ]);
      // Each chart drew on its canvas (chart.js), not just an empty element.
      const canvases = page.locator("figure.chart canvas");
      expect(await canvases.count()).toBe(4);
      const drawn = await page.evaluate<
        boolean[]
      >(`[...document.querySelectorAll("figure.chart canvas")].map((c) => {
        const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let coloured = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) coloured++;
        return c.width > 0 && coloured > 100;
      })`);
      expect(drawn).toEqual([true, true, true, true]);

      // The figures are the API's, to the cent.
      const finance = await login(server.baseUrl, "finance@nimbus.example");
      const api = await call<Dashboard>(server.baseUrl, "GET", "/dashboard", { as: finance });
      expect(api.status).toBe(200);
      expect(api.body.totals).toEqual([
        { currency: "USD", filed: 4, approved: 2, requested: "230.00", granted: "125.00" },
      ]);
      expect(api.body.cases.medianSecondsToDecision).toBe(4 * 3600);

      // Counts instead of amounts, and a period with nothing in it.
      await page.getByLabel("Charts show").selectOption("count");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/measure=count/);
      expect(await chartFigures("Refunds by reason: numbers of cases")).toBe(
        "Billing error: Filed 2, Approved 1; Duplicate charge: Filed 1, Approved 1; SLA breach: Filed 1, Approved 0",
      );
      await expectNoSeriousAxeViolations(page, "dashboard");
      await screenshot(page, "dashboard.png");

      await page.getByLabel("From month").fill("2020-01");
      await page.getByLabel("To month").fill("2020-02");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/from=2020-01/);
      await see("No refund request was filed in this period.");
      await see("The audit found nothing in this period.");
      expect(await kpi("approval").textContent()).toBe("—");
      await expectNoSeriousAxeViolations(page, "dashboard (empty period)");
      await signOut();
    }, 90_000);

    it("a customer's dashboard shows their own organisation only, without the customer filter", async () => {
      await signIn("owner@acme.example");
      await heading("Overview");
      await nav("Dashboard").click();
      await heading("Dashboard");
      await page.locator('[data-kpi="filed"] .tile-figure').waitFor();
      expect(await page.locator('[data-kpi="filed"] .tile-figure').textContent()).toBe("4");
      expect(await page.getByLabel("Customer", { exact: true }).count()).toBe(0);
      await expectNoSeriousAxeViolations(page, "dashboard (customer)");
      await screenshot(page, "dashboard-customer.png");

      // Another customer sees none of Acme's figures, and not the provider-wide ones.
      const globex = await login(server.baseUrl, "owner@globex.example");
      const own = await call<Dashboard>(
        server.baseUrl,
        "GET",
        `/dashboard?organisationId=${server.world.customers.globex.organisationId}`,
        { as: globex },
      );
      expect(own.body.cases.filed).toBe(0);
      expect(
        (
          await call(server.baseUrl, "GET", `/dashboard?organisationId=${acme.organisationId}`, {
            as: globex,
          })
        ).status,
      ).toBe(404);
      expect((await call(server.baseUrl, "GET", "/dashboard", { as: globex })).status).toBe(404);
      expect(pageErrors).toEqual([]);
    }, 60_000);
  },
);
