import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";
import { build } from "vite";
import { expect } from "vitest";
import { importFile } from "../../src/imports/import-file.js";
import type { TestServer } from "./server.js";

/**
 * What the console's browser suites share: Debian's chromium driven by playwright-core, the console
 * built for production and served by the real server, axe-core's check and the screenshots of every
 * page visited, the sign-in steps, and last month's bills for the audit to find something in.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Debian's chromium; REFUND_DESK_TEST_CHROMIUM points elsewhere (or at nothing, to see the CI failure). */
export const CHROMIUM = process.env.REFUND_DESK_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** Where every page visited is photographed. */
export const SCREENSHOTS = join(ROOT, "test-output", "screenshots");

/** Why the browser suites cannot run here, or null when they can. */
export const browserMissing = existsSync(CHROMIUM)
  ? null
  : `needs Debian chromium at ${CHROMIUM} (CI installs it)`;

/**
 * Whether a browser suite runs. In CI a missing browser fails the run instead of skipping quietly
 * (launchChromium throws); elsewhere the suite is skipped, and says so loudly.
 */
export function browserSuiteRuns(suite: string): boolean {
  const runs = browserMissing === null || process.env.CI === "true";
  if (!runs) console.warn(`\n*** SKIPPED: ${suite} — ${browserMissing} ***\n`);
  return runs;
}

export interface BuiltConsole {
  outDir: string;
  /** Puts REFUND_DESK_CONSOLE_DIR back as it was and removes the build. */
  restore(): void;
}

/**
 * The built console the server serves: vite's JS API into a temporary folder, production mode
 * (vitest sets NODE_ENV=test, which would otherwise give React's development build), named by
 * REFUND_DESK_CONSOLE_DIR for the servers started after it.
 */
export async function buildConsoleForTests(tempPrefix: string): Promise<BuiltConsole> {
  const previousConsoleDir = process.env.REFUND_DESK_CONSOLE_DIR;
  const outDir = mkdtempSync(join(tmpdir(), tempPrefix));
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({
      configFile: join(ROOT, "console", "vite.config.ts"),
      mode: "production",
      logLevel: "warn",
      build: { outDir, emptyOutDir: true },
    });
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  } finally {
    restoreEnv("NODE_ENV", nodeEnv);
  }
  process.env.REFUND_DESK_CONSOLE_DIR = outDir;
  return {
    outDir,
    restore() {
      restoreEnv("REFUND_DESK_CONSOLE_DIR", previousConsoleDir);
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/**
 * Headless chromium, without a sandbox, a GPU or any traffic of its own (QUIC, updates, sync).
 * Throws when the browser is missing: only CI gets this far without one.
 */
export async function launchChromium(): Promise<Browser> {
  if (browserMissing !== null) throw new Error(browserMissing);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}

/** A viewer in Shanghai: every time must show in their zone with "(UTC+08:00)". */
const VIEWER: BrowserContextOptions = {
  timezoneId: "Asia/Shanghai",
  locale: "en-US",
  viewport: { width: 1360, height: 900 },
};

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Script errors and CSP refusals: a page that logs one of these is broken, whatever it shows. */
  pageErrors: string[];
}

/** A fresh context for the viewer in Shanghai (`options` add to or override it) and its page. */
export async function newConsolePage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({ ...VIEWER, ...options });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // Chromium logs every 4xx answer ("Failed to load resource"); the tests provoke some on purpose.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) pageErrors.push(m.text());
  });
  return { context, page, pageErrors };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core on the page as it stands: no `serious` or `critical` violation (`name` says which page failed). */
export async function expectNoSeriousAxeViolations(page: Page, name: string): Promise<void> {
  if (!(await page.evaluate<boolean>("typeof window.axe === 'object'"))) {
    // Through the DevTools protocol, which the page's CSP does not govern (an inline <script> would be refused).
    await page.evaluate(AXE_SOURCE);
  }
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ["violations"] })
      .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) })))`);
  const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(blocking, `axe on ${name}`).toEqual([]);
}

/** A full-page screenshot into SCREENSHOTS. */
export async function screenshot(page: Page, fileName: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, fileName), fullPage: true });
}

/** The page and server a suite has open, read when a step runs (the suite opens them in its beforeAll). */
export type ConsoleSession = () => { page: Page; baseUrl: string };

/** The steps every console suite takes, on its session's page. */
export function consoleSteps(session: ConsoleSession) {
  /** Waits until the page shows `text` somewhere (in the current language). */
  const see = (text: string | RegExp) => session().page.getByText(text).first().waitFor({ timeout: 15_000 });
  /** A link of the main navigation (pages also link back to their parent with similar words). */
  const nav = (name: string) =>
    session().page.getByRole("navigation").getByRole("link", { name, exact: true });
  /** Waits for the page's title. */
  const heading = (name: string | RegExp) =>
    session().page.getByRole("heading", { level: 1, name }).waitFor({ timeout: 15_000 });

  /** From the sign-in page, with the demo password; waits for nothing after the click. */
  async function signIn(email: string): Promise<void> {
    const { page, baseUrl } = session();
    await page.goto(`${baseUrl}/`);
    await heading("Sign in");
    await page.getByLabel("E-mail").fill(email);
    await page.getByLabel("Password").fill("demo");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
  }

  async function signOut(): Promise<void> {
    await session().page.getByRole("button", { name: "Sign out", exact: true }).click();
    await heading("Sign in");
  }

  return { see, nav, heading, signIn, signOut };
}

/** The header of the FOCUS charges files the console suites import. */
export const CHARGES_CSV_HEADER =
  "BillingAccountId,SubAccountId,SubAccountName,ProviderName,ServiceName,RegionId,ResourceId,SkuId,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,BilledCost,BillingCurrency,InvoiceId";

/**
 * Last calendar month (UTC) as a charge period, and an invoice id for it (`<invoicePrefix>-YYYY-MM`):
 * with bills for last month the audit's claim window is open whenever the suite runs.
 */
export function lastMonth(invoicePrefix: string): { start: string; end: string; invoice: string } {
  const now = new Date();
  const iso = (d: Date) => d.toISOString().replace(".000Z", "Z");
  const start = iso(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)));
  const end = iso(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)));
  return { start, end, invoice: `${invoicePrefix}-${start.slice(0, 7)}` };
}

/** Imports a charges file into an organisation as the system would; its jobs (the audit) wait for a drain. */
export async function importCharges(
  server: TestServer,
  organisationId: string,
  fileName: string,
  csv: string,
): Promise<void> {
  const path = join(server.services.config.dataDir, fileName);
  writeFileSync(path, csv);
  await importFile(
    server.services,
    { actor: "system:test", requestId: null },
    { organisationId, kind: "charges", path, fileName, onInvalid: "fail" },
  );
}
