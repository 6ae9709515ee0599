import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse as parseCsv } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditReport, Finding } from "../src/audit/finding.js";
import { cell, renderCsv } from "../src/audit/report/render-csv.js";
import { esc, renderHtml } from "../src/audit/report/render-html.js";
import { renderJson } from "../src/audit/report/render-json.js";
import { displayWidth, renderTable } from "../src/audit/report/render-table.js";
import { clauseText } from "../src/policy/clause-text.js";
import { DEFAULT_POLICY } from "../src/policy/default-policy.js";

const XSS = "<script>alert(1)</script>";
const FORMULA = '=HYPERLINK("http://evil.example/x","click me")';

function finding(partial: Partial<Finding> & Pick<Finding, "id" | "kind" | "amount" | "currency">): Finding {
  return {
    accountId: "111122223333",
    charges: ["bills.csv:2"],
    outcome: "refund_original_method",
    claimable: true,
    explanation: "A charge that should not have been billed. More detail follows here.",
    evidence: [{ type: "charge", ref: "bills.csv:2" }],
    clauses: [],
    details: {
      serviceName: "Amazon Elastic Compute Cloud",
      regionId: "us-east-1",
      resourceId: "i-0123456789abcdef0",
      month: "2026-01",
      claimBy: "2027-01-31",
      figures: {},
    },
    ...partial,
  };
}

const FINDINGS: Finding[] = [
  finding({
    id: "f-0000000000000001",
    kind: "duplicate_charge",
    amount: "10.00",
    currency: "USD",
    charges: ["bills.csv:12", "bills.csv:13"],
    explanation: `The charge for ${XSS} on 2026-01-05 (UTC) was billed twice. Only the first copy stands.`,
    evidence: [
      { type: "charge", ref: "bills.csv:12" },
      { type: "charge", ref: "bills.csv:13" },
    ],
    clauses: ["duplicate-charge"],
    details: {
      serviceName: "Amazon Elastic Compute Cloud",
      regionId: "us-east-1",
      resourceId: `i-evil${XSS}\u001b[31mred`,
      month: "2026-01",
      claimBy: "2027-01-31",
      figures: { copies: "2" },
    },
  }),
  finding({
    id: "f-0000000000000002",
    kind: "billed_beyond_usage",
    amount: "23.04",
    currency: "USD",
    charges: ["bills.csv:20"],
    explanation:
      "Instance i-0abc was billed 720 hours in January 2026 (UTC) but ran 500 hours. The difference is refunded.",
    evidence: [
      { type: "charge", ref: "bills.csv:20" },
      {
        type: "usage",
        ref: "usage.jsonl:1",
        resourceId: "i-0abc",
        start: "2026-01-01T00:00:00Z",
        end: "2026-01-10T00:00:00Z",
      },
      {
        type: "usage",
        ref: "usage.jsonl:2",
        resourceId: "i-0abc",
        start: "2026-01-15T00:00:00Z",
        end: "2026-01-27T20:00:00Z",
      },
    ],
    clauses: ["billed-beyond-usage"],
    details: {
      serviceName: "Amazon Elastic Compute Cloud",
      regionId: "us-east-1",
      resourceId: "i-0abc",
      month: "2026-01",
      claimBy: "2027-01-31",
      figures: {
        billedQuantity: "720",
        actualQuantity: "500",
        pricingUnit: "Hours",
        chargePeriodStart: "2026-01-01T00:00:00Z",
        chargePeriodEnd: "2026-02-01T00:00:00Z",
      },
    },
  }),
  finding({
    id: "f-0000000000000003",
    kind: "charged_after_cancellation",
    amount: "1200.00",
    currency: "CNY",
    accountId: FORMULA,
    charges: ["alibaba.csv:7"],
    claimable: false,
    explanation: 'Subscription "sub-9", cancelled on 2024-03-01 (UTC), was renewed, and billed, again.',
    evidence: [
      { type: "charge", ref: "alibaba.csv:7" },
      { type: "subscription", ref: "subs.jsonl:3", subscriptionId: "sub-9" },
    ],
    clauses: ["charged-after-cancellation", "alibaba-refund-cash-paid-minus-consumed"],
    details: {
      serviceName: "Elastic Compute Service",
      regionId: "cn-hangzhou",
      resourceId: "-cmd|' /C calc'!A0",
      month: "2024-03",
      claimBy: "2025-03-31",
      figures: {},
    },
  }),
  finding({
    id: "f-0000000000000004",
    kind: "sla_credit",
    amount: "30.00",
    currency: "USD",
    outcome: "account_credit",
    charges: ["bills.csv:30", "bills.csv:31"],
    explanation: "EC2 in us-east-1 was available 99.95 % of February 2026 (UTC), below the 99.99 % SLA.",
    evidence: [
      { type: "charge", ref: "bills.csv:30" },
      { type: "charge", ref: "bills.csv:31" },
      {
        type: "incident",
        ref: "incidents.jsonl:1",
        incidentId: "inc-1",
        start: "2026-02-10T10:00:00Z",
        end: "2026-02-10T10:20:10Z",
        statusPageUrl: "javascript:alert(2)",
      },
      {
        type: "sla",
        clauseId: "sla-aws-ec2-region",
        thresholdPercent: "99.99",
        availabilityPercent: "99.950000",
        creditPercent: "10",
        sourceUrl: "https://aws.amazon.com/compute/sla/",
      },
    ],
    clauses: ["sla-credit", "sla-aws-ec2-region"],
    details: {
      serviceName: "Amazon Elastic Compute Cloud",
      regionId: "us-east-1",
      resourceId: null,
      month: "2026-02",
      claimBy: "2026-04-30",
      figures: { downtimeMinutes: "20.17" },
    },
  }),
  finding({
    id: "f-0000000000000005",
    kind: "promotion_not_applied",
    amount: "1500",
    currency: "JPY",
    accountId: "acct-jp",
    outcome: "account_credit",
    evidence: [
      { type: "charge", ref: "bills.csv:40" },
      { type: "promotion", ref: "promos.jsonl:1", promotionId: "SPRING-26" },
    ],
    charges: ["bills.csv:40"],
    clauses: ["promotion-not-applied"],
    details: {
      serviceName: "Compute Engine",
      regionId: "asia-northeast1",
      resourceId: "vm-東京-1",
      month: "2026-04",
      claimBy: "2027-04-30",
      figures: {},
    },
  }),
  finding({
    id: "f-0000000000000006",
    kind: "rate_above_contract",
    amount: "5.55",
    currency: "USD",
    charges: ["bills.csv:50"],
    clauses: ["rate-above-contract", "no-such-clause"],
    details: {
      serviceName: "Amazon Simple Storage Service",
      regionId: "eu-west-1",
      resourceId: "bucket,with,commas",
      month: "2026-03",
      claimBy: "2027-03-31",
      figures: {},
    },
  }),
  finding({
    id: "f-0000000000000007",
    kind: "unused_prepaid_credit",
    amount: "300.00",
    currency: "CNY",
    accountId: "acct-cn",
    outcome: "account_credit",
    charges: ["alibaba.csv:9", "alibaba.csv:10"],
    explanation:
      'The prepaid plan ended on 2026-06-30 (UTC) with 300.00 CNY unused.\nLine two, with "quotes".',
    clauses: ["unused-prepaid-credit"],
    details: {
      serviceName: "Object Storage Service",
      regionId: "cn-shanghai",
      resourceId: null,
      month: "2026-01",
      claimBy: "2026-09-28",
      figures: { unusedAmount: "300.00" },
    },
  }),
];

const REPORT: AuditReport = {
  summary: {
    charges: 1200,
    findings: FINDINGS.length,
    refundable: { USD: "68.59", JPY: "1500", CNY: "300.00" },
  },
  findings: FINDINGS,
  meta: {
    asOf: "2026-11-01",
    policyVersion: "2026-11-01",
    inputs: ["bills.csv", "alibaba.csv", "usage.jsonl"],
    generatedAt: "2026-11-01T09:00:00Z",
  },
};

const EMPTY: AuditReport = {
  summary: { charges: 0, findings: 0, refundable: {} },
  findings: [],
  meta: { asOf: "2026-11-01", policyVersion: "2026-11-01", inputs: [], generatedAt: "2026-11-01T09:00:00Z" },
};

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

describe("renderJson", () => {
  const text = renderJson(REPORT);
  const doc = JSON.parse(text) as {
    summary: Record<string, unknown>;
    findings: Record<string, unknown>[];
    meta: Record<string, unknown>;
  };

  it("has the contract's fields, in the contract's order, and parses back to the report", () => {
    expect(Object.keys(doc)).toEqual(["summary", "findings", "meta"]);
    expect(doc.summary).toEqual({
      charges: 1200,
      findings: 7,
      refundable: { CNY: "300.00", JPY: "1500", USD: "68.59" },
    });
    expect(Object.keys(doc.findings[0]!)).toEqual([
      "id",
      "kind",
      "accountId",
      "charges",
      "amount",
      "currency",
      "outcome",
      "claimable",
      "explanation",
      "evidence",
      "clauses",
      "details",
    ]);
    expect(doc.findings).toEqual(JSON.parse(JSON.stringify(REPORT.findings)));
    expect(doc.meta).toEqual(REPORT.meta);
    expect(typeof doc.findings[1]!.amount).toBe("string");
  });

  it("is stable: two-space indentation, a trailing newline, the same text whatever the input key order", () => {
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")[1]).toBe('  "summary": {');
    const shuffled: AuditReport = {
      meta: { ...REPORT.meta },
      findings: REPORT.findings.map((f) => {
        const reversed = Object.fromEntries(Object.entries(f).reverse()) as unknown as Finding;
        return {
          ...reversed,
          evidence: f.evidence.map((e) =>
            Object.fromEntries(Object.entries(e).reverse()),
          ) as Finding["evidence"],
        };
      }),
      summary: { refundable: { USD: "68.59", CNY: "300.00", JPY: "1500" }, findings: 7, charges: 1200 },
    };
    expect(renderJson(shuffled)).toBe(text);
    expect(renderJson(EMPTY)).toBe(
      `${JSON.stringify({ summary: EMPTY.summary, findings: [], meta: EMPTY.meta }, null, 2)}\n`,
    );
  });
});

describe("renderTable", () => {
  const plain = renderTable(REPORT, { color: false, width: 120 });

  it("shows the totals and every finding, with no colour codes when colour is off", () => {
    expect(plain).not.toMatch(ANSI);
    expect(plain).toContain("1200 charges checked · 7 findings (6 claimable, 1 past their claim window)");
    expect(plain).toContain("Refundable: 300.00 CNY · 1500 JPY · 68.59 USD");
    for (const title of ["By kind", "By account", "By service", "Findings"])
      expect(plain).toContain(`\n${title}\n`);
    for (const f of FINDINGS) expect(plain).toContain(f.id);
    // Totals by kind: USD duplicates claimable, CNY cancellation past its window.
    expect(plain).toMatch(/Duplicate charge\s+1\s+USD\s+10\.00\s+0\.00/);
    expect(plain).toMatch(/Charged after cancellation\s+1\s+CNY\s+0\.00\s+1200\.00/);
    expect(plain).toMatch(/Amazon Elastic Compute Cloud\s+3\s+USD\s+63\.04\s+0\.00/);
    expect(plain).toContain("closed");
    expect(plain).toContain("bills.csv:12");
  });

  it("strips control characters from customer text and keeps lines within the width", () => {
    expect(plain).not.toContain("\u001b");
    for (const width of [80, 100, 140]) {
      const text = renderTable(REPORT, { color: false, width });
      const findingLines = text.split("\n").slice(text.split("\n").indexOf("Findings") + 1);
      for (const line of findingLines) expect(displayWidth(line)).toBeLessThanOrEqual(width);
    }
  });

  it("colours when asked, and says so when there is nothing to refund", () => {
    expect(renderTable(REPORT, { color: true })).toMatch(ANSI);
    const empty = renderTable(EMPTY, { color: false });
    expect(empty).toContain("Refundable: nothing");
    expect(empty).toContain("No findings");
  });
});

describe("renderCsv", () => {
  const text = renderCsv(REPORT);
  const rows = parseCsv(text, { columns: true }) as Record<string, string>[];

  it("parses back to one row per finding with the same values", () => {
    expect(text.split("\r\n")[0]).toBe(
      "id,kind,claimable,accountId,serviceName,regionId,resourceId,month,amount,currency,outcome,charges,clauses,explanation",
    );
    expect(text.endsWith("\r\n")).toBe(true);
    expect(rows).toHaveLength(FINDINGS.length);
    FINDINGS.forEach((f, i) => {
      const r = rows[i]!;
      expect(r.id).toBe(f.id);
      expect(r.kind).toBe(f.kind);
      expect(r.claimable).toBe(String(f.claimable));
      expect(r.amount).toBe(f.amount);
      expect(r.currency).toBe(f.currency);
      expect(r.outcome).toBe(f.outcome);
      expect(r.charges).toBe(f.charges.join(" "));
      expect(r.clauses).toBe(f.clauses.join(" "));
      expect(r.month).toBe(f.details.month);
      expect(r.regionId).toBe(f.details.regionId ?? "");
      expect(r.serviceName).toBe(f.details.serviceName ?? "");
      if (!/^[=+\-@]/.test(f.accountId)) expect(r.accountId).toBe(f.accountId);
      if (!/^[=+\-@]/.test(f.details.resourceId ?? "")) expect(r.resourceId).toBe(f.details.resourceId ?? "");
      expect(r.explanation).toBe(f.explanation);
    });
    expect(rows[5]!.resourceId).toBe("bucket,with,commas");
    expect(rows[6]!.explanation).toContain('\nLine two, with "quotes".');
    expect(rows[4]!.amount).toBe("1500");
  });

  it("neutralises formulas but leaves numbers alone", () => {
    expect(rows[2]!.accountId).toBe(`'${FORMULA}`);
    expect(rows[2]!.resourceId).toBe("'-cmd|' /C calc'!A0");
    expect(cell("-12.50")).toBe("-12.50");
    expect(cell("+1e3")).toBe("+1e3");
    expect(cell("@SUM(A1:A2)")).toBe("'@SUM(A1:A2)");
    expect(cell("+44 20 7946 0000")).toBe("'+44 20 7946 0000");
    expect(cell("\t=1")).toBe("'\t=1");
    expect(cell('say "hi", then')).toBe('"say ""hi"", then"');
  });

  it("writes only the header for an empty report, and a BOM on request", () => {
    expect(renderCsv(EMPTY).split("\r\n")).toHaveLength(2);
    expect(renderCsv(EMPTY, { bom: true }).startsWith("\uFEFFid,")).toBe(true);
  });
});

describe("renderHtml", () => {
  const html = renderHtml(REPORT, DEFAULT_POLICY);

  it("is one self-contained page: no external script, style, image or font", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<html lang="en">');
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*href=["']?https?:/i);
    expect(html).not.toMatch(/<(img|iframe|object|embed|source)\b[^>]*\ssrc=["']?https?:/i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
    expect(html).not.toContain("sourceMappingURL");
    expect(html).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/,
    );
    // The chart library is inlined.
    expect(html).toContain("Chart.js v4");
    expect(html.length).toBeGreaterThan(150_000);
  });

  it("escapes what comes from customer files", () => {
    expect(html).not.toContain(XSS);
    expect(html).toContain(esc(XSS));
    expect(html).not.toContain('href="javascript:');
    expect(html).not.toMatch(/<a [^>]*href="(?!https?:\/\/|#)/);
    expect(esc(`"'<>&`)).toBe("&quot;&#39;&lt;&gt;&amp;");
    // The JSON data block cannot be closed by data either.
    const data =
      /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    expect(data).not.toContain("<");
    expect(JSON.parse(data)).toHaveProperty("charts");
  });

  it("shows totals, charts per currency, each finding and the text of each clause it cites", () => {
    expect(html).toContain('id="totals"');
    for (const code of ["USD", "CNY", "JPY"]) {
      expect(html).toContain(`Refundable amount by kind (${code})`);
      expect(html).toContain(`Refundable amount by service (${code})`);
      expect(html).toContain(`Refundable amount by month (${code})`);
    }
    expect(html).toMatch(/<canvas id="chart-\d-kind" role="img" aria-label="Refundable amount by kind/);
    expect(html).toContain("$68.59");
    expect(html).toContain("¥1,500");
    for (const f of FINDINGS) {
      expect(html).toContain(`id="${f.id}"`);
      expect(html).toContain(esc(f.explanation));
      for (const id of f.clauses.filter((c) => c !== "no-such-clause")) {
        const clause = clauseText(DEFAULT_POLICY, id);
        expect(html).toContain(esc(clause.title));
        expect(html).toContain(esc(clause.text));
        if (clause.source) expect(html).toContain(`href="${esc(clause.source)}"`);
      }
    }
    expect(html).toContain("This clause is not in policy version 2026-11-01.");
    expect(html).toContain("Billed hours against the hours the resource ran");
    expect(html).toContain("Billed: 720 hours; ran: 500 hours in 2 intervals.");
    expect(html).toContain("Availability against the SLA threshold");
    expect(html).toContain("Availability in 2026-02: 99.950000 %, against the SLA commitment of 99.99 %");
    expect(html).toContain("@media print");
  });

  it("renders an empty report", () => {
    const empty = renderHtml(EMPTY, DEFAULT_POLICY);
    expect(empty).toContain("No findings");
    expect(empty).not.toContain("<canvas");
  });
});

// ------------------------------------------------------------------------------------------------
// In a real browser: Debian's chromium driven by playwright-core, when both are installed.

const CHROMIUM = "/usr/bin/chromium";

interface BrowserPage {
  on(event: "console", listener: (message: { type(): string; text(): string }) => void): void;
  on(event: "pageerror", listener: (error: Error) => void): void;
  on(event: "request", listener: (request: { url(): string }) => void): void;
  goto(url: string, options?: { waitUntil?: "load" }): Promise<unknown>;
  /** Page-side code is passed as a string expression: this project's TypeScript has no DOM types. */
  evaluate<T>(expression: string): Promise<T>;
  waitForFunction(expression: string, arg?: unknown, options?: { timeout?: number }): Promise<unknown>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
}
interface Browser {
  newPage(): Promise<BrowserPage>;
  close(): Promise<void>;
}
interface PlaywrightCore {
  chromium: {
    launch(options: { executablePath: string; args: string[]; headless: boolean }): Promise<Browser>;
  };
}

async function loadPlaywright(): Promise<PlaywrightCore | null> {
  const name = "playwright-core";
  try {
    return (await import(name)) as PlaywrightCore;
  } catch {
    return null;
  }
}

const playwright = existsSync(CHROMIUM) ? await loadPlaywright() : null;
const browserMissing =
  playwright === null
    ? `skipped: needs ${existsSync(CHROMIUM) ? "" : `Debian chromium at ${CHROMIUM} and `}the playwright-core package (CI installs them)`
    : null;

describe("renderHtml in a real browser", () => {
  let dir: string;
  let browser: Browser | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-report-html-"));
    if (playwright !== null) {
      browser = await playwright.chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--no-sandbox",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-gpu",
          "--disable-sync",
          "--no-first-run",
        ],
      });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // In CI a missing browser fails the run instead of skipping quietly.
  it.skipIf(browserMissing !== null && process.env.CI !== "true")(
    `opens offline from file://, draws every chart and runs no planted script ${browserMissing ?? ""}`.trim(),
    async () => {
      if (browserMissing !== null) throw new Error(browserMissing);
      const file = join(dir, "report.html");
      await writeFile(file, renderHtml(REPORT, DEFAULT_POLICY));
      const page = await browser!.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("request", (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      await page.waitForFunction('"Chart" in window', undefined, { timeout: 10_000 });
      const state = await page.evaluate<{
        charts: number;
        canvases: { id: string; width: number; height: number; painted: number }[];
        svgs: number[];
        injected: number;
        resourceText: string;
      }>(`(() => ({
        charts: Object.keys(window.Chart.instances).length,
        canvases: [...document.querySelectorAll("canvas")].map((c) => {
          const r = c.getBoundingClientRect();
          const pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          let painted = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
          return { id: c.id, width: r.width, height: r.height, painted };
        }),
        svgs: [...document.querySelectorAll("article svg")].map((s) => s.getBoundingClientRect().width),
        injected: document.querySelectorAll("article script, dd script, td script").length,
        resourceText: document.querySelector("#f-0000000000000001 dl")?.textContent ?? "",
      }))()`);
      await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith("file:"))).toEqual([]);
      expect(state.canvases).toHaveLength(9);
      expect(state.charts).toBe(9);
      for (const c of state.canvases) {
        expect(c.width, c.id).toBeGreaterThan(100);
        expect(c.height, c.id).toBeGreaterThan(100);
        // Bars, axes and labels put ink on a good part of the canvas.
        expect(c.painted, c.id).toBeGreaterThan(1000);
      }
      expect(state.svgs.length).toBe(2);
      for (const w of state.svgs) expect(w).toBeGreaterThan(100);
      expect(state.injected).toBe(0);
      expect(state.resourceText).toContain(XSS);
    },
  );
});
