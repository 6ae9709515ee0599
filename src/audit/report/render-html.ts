import { createHash } from "node:crypto";
import { Dec, isCurrencyCode, Money, parseDecimal } from "../../money/index.js";
import { clauseText } from "../../policy/clause-text.js";
import type { Policy } from "../../policy/policy.js";
import type { AuditReport, EvidenceRef, Finding } from "../finding.js";
import {
  compareKinds,
  currenciesOf,
  formatDecimal,
  type GroupTotal,
  groupTotals,
  kindLabel,
  minorUnitsOf,
  monthOf,
  serviceOf,
} from "./aggregate.js";
import { chartLibrarySource } from "./chart-library.js";

export interface HtmlOptions {
  /** Locale for displayed amounts (default `en-US`); the exact decimal is what is formatted. */
  locale?: string;
}

/**
 * `--format html`: one self-contained page (inline CSS and JavaScript, no network; a Content Security
 * Policy allows only the page's own scripts, by hash). Totals, Chart.js charts of the amounts by kind,
 * service and month per currency (with the same figures as tables for screen readers and print), then
 * each finding with its evidence (a timeline of billed hours against usage for `billed_beyond_usage`,
 * the month's availability against the SLA for `sla_credit`), its explanation and the full text of the
 * policy clauses it cites.
 *
 * Every value from the report is HTML-escaped: ids, names and explanations come from customer files.
 *
 * Figures read from `details.figures` when present: `billedQuantity`, `actualQuantity`, `pricingUnit`,
 * `chargePeriodStart`, `chargePeriodEnd` (billed beyond usage); `availabilityPercent`,
 * `thresholdPercent`, `creditPercent` (SLA credit, when there is no `sla` evidence); any other figure is
 * listed as it is.
 */
export function renderHtml(report: AuditReport, policy: Policy, options: HtmlOptions = {}): string {
  const locale = options.locale ?? "en-US";
  const ids = new FindingAnchors(report.findings);
  const charts = chartSpecs(report);
  const chartData = scriptJson({ charts });
  const library = chartLibrarySource();
  const csp = [
    "default-src 'none'",
    `script-src ${[library, INIT_SCRIPT].map((s) => `'sha256-${createHash("sha256").update(s).digest("base64")}'`).join(" ")}`,
    "style-src 'unsafe-inline'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const title = `Refund Desk audit report, as of ${report.meta.asOf}`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="Refund Desk">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<a class="skip" href="#findings">Skip to the findings</a>
<header>
<h1>Refund Desk audit report</h1>
<p class="meta">As of <strong>${esc(report.meta.asOf)}</strong> · policy version ${esc(report.meta.policyVersion)} · generated ${esc(report.meta.generatedAt)}</p>
${report.meta.inputs.length > 0 ? `<p class="meta">Inputs: ${report.meta.inputs.map((i) => `<code>${esc(i)}</code>`).join(", ")}</p>` : ""}
</header>
<nav class="toc" aria-label="Contents"><ul>
<li><a href="#totals">Totals</a></li>${charts.length > 0 ? '<li><a href="#charts">Charts</a></li>' : ""}
<li><a href="#findings">Findings (${report.findings.length})</a></li>
</ul></nav>
<main>
${totalsSection(report, locale)}
${chartsSection(report, charts)}
${findingsSection(report, policy, ids, locale)}
</main>
<footer><p>Amounts are exact and rounded once to the currency's minor unit. A finding past its claim window is listed but left out of the refundable totals.</p></footer>
<script type="application/json" id="chart-data">${chartData}</script>
<script>${library}</script>
<script>${INIT_SCRIPT}</script>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------------
// Escaping

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for element content and double- or single-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? "")
    .replace(CONTROL, "\uFFFD")
    .replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

// C0 controls other than tab, LF and CR, DEL and C1 controls: never meaningful in a report, shown as �.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what must be replaced.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** JSON for a `<script type="application/json">` element: nothing in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** An http(s) URL as a link; anything else (javascript:, data:, …) as plain text. */
function link(url: string | null | undefined, text?: string): string {
  if (url === null || url === undefined || url === "") return "";
  if (!/^https?:\/\/[^\s<>"']+$/i.test(url)) return esc(text ?? url);
  return `<a href="${esc(url)}" rel="noopener noreferrer">${esc(text ?? url)}</a>`;
}

class FindingAnchors {
  readonly #ids = new Map<Finding, string>();
  constructor(findings: readonly Finding[]) {
    const used = new Set<string>();
    findings.forEach((f, i) => {
      let id = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(f.id) ? f.id : `finding-${i + 1}`;
      if (used.has(id)) id = `finding-${i + 1}`;
      used.add(id);
      this.#ids.set(f, id);
    });
  }
  of(f: Finding): string {
    return this.#ids.get(f)!;
  }
}

// ---------------------------------------------------------------------------------------------------
// Amounts

function displayAmount(amount: string, code: string, locale: string): string {
  if (isCurrencyCode(code)) {
    try {
      return Money.of(amount, code).format(locale);
    } catch {
      // fall through to the plain form
    }
  }
  return `${amount} ${code}`;
}

// ---------------------------------------------------------------------------------------------------
// Totals

function totalsSection(report: AuditReport, locale: string): string {
  const f = report.findings;
  const claimable = f.filter((x) => x.claimable).length;
  const currencies = Object.keys(report.summary.refundable).sort();
  const refundable =
    currencies.length === 0
      ? "<p>Nothing is refundable.</p>"
      : `<table class="numbers"><caption>Refundable now (claimable findings)</caption>
<thead><tr><th scope="col">Currency</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>${currencies
          .map(
            (c) =>
              `<tr><th scope="row">${esc(c)}</th><td class="num">${esc(displayAmount(report.summary.refundable[c] ?? "0", c, locale))}</td></tr>`,
          )
          .join("")}</tbody></table>`;
  return `<section aria-labelledby="totals">
<h2 id="totals">Totals</h2>
<div class="cards">
<div class="card"><span class="big">${esc(report.summary.charges)}</span> charges checked</div>
<div class="card"><span class="big">${esc(report.summary.findings)}</span> findings</div>
<div class="card"><span class="big">${claimable}</span> claimable</div>
<div class="card"><span class="big">${f.length - claimable}</span> past their claim window</div>
</div>
${refundable}
${
  f.length > 0
    ? totalsTable(
        "By kind",
        "Kind",
        groupTotals(f, (x) => x.kind, compareKinds),
        kindLabel,
        locale,
      )
    : ""
}
${
  f.length > 0
    ? totalsTable(
        "By account",
        "Account",
        groupTotals(f, (x) => x.accountId),
        (k) => k,
        locale,
      )
    : ""
}
${f.length > 0 ? totalsTable("By service", "Service", groupTotals(f, serviceOf), (k) => k, locale) : ""}
</section>`;
}

function totalsTable(
  caption: string,
  header: string,
  groups: GroupTotal[],
  label: (key: string) => string,
  locale: string,
): string {
  const rows = groups
    .map(
      (g) =>
        `<tr><th scope="row">${esc(label(g.key))}</th><td class="num">${g.findings}</td><td>${esc(g.currency)}</td>` +
        `<td class="num">${esc(displayAmount(g.claimable, g.currency, locale))}</td>` +
        `<td class="num muted">${esc(displayAmount(g.notClaimable, g.currency, locale))}</td></tr>`,
    )
    .join("\n");
  return `<table class="numbers"><caption>${esc(caption)}</caption>
<thead><tr><th scope="col">${esc(header)}</th><th scope="col" class="num">Findings</th><th scope="col">Currency</th><th scope="col" class="num">Claimable</th><th scope="col" class="num">Claim window closed</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------------
// Charts (drawn by Chart.js from the JSON data block; the same figures are in tables below each chart)

interface ChartSpec {
  id: string;
  title: string;
  currency: string;
  /** Minor-unit digits: bar lengths are integer minor units, labels are exact strings. */
  digits: number;
  horizontal: boolean;
  labels: string[];
  claimable: number[];
  notClaimable: number[];
  claimableText: string[];
  notClaimableText: string[];
}

const MAX_SERVICE_BARS = 12;
const MAX_MONTHS_FILLED = 120;

function chartSpecs(report: AuditReport): ChartSpec[] {
  const specs: ChartSpec[] = [];
  currenciesOf(report.findings, {}).forEach((code, ci) => {
    const findings = report.findings.filter((f) => f.currency === code);
    const digits = minorUnitsOf(code) ?? 2;
    const make = (
      dimension: string,
      title: string,
      groups: GroupTotal[],
      horizontal: boolean,
    ): ChartSpec => ({
      id: `chart-${ci}-${dimension}`,
      title,
      currency: code,
      digits,
      horizontal,
      labels: groups.map((g) => g.key),
      claimable: groups.map((g) => toChartNumber(g.claimableMinor)),
      notClaimable: groups.map((g) => toChartNumber(g.notClaimableMinor)),
      claimableText: groups.map((g) => g.claimable),
      notClaimableText: groups.map((g) => g.notClaimable),
    });
    const byKind = groupTotals(findings, (f) => f.kind, compareKinds).map((g) => ({
      ...g,
      key: kindLabel(g.key),
    }));
    specs.push(make("kind", `Refundable amount by kind (${code})`, byKind, true));
    specs.push(make("service", `Refundable amount by service (${code})`, topServices(findings, code), true));
    specs.push(make("month", `Refundable amount by month (${code})`, monthsFilled(findings, code), false));
  });
  return specs;
}

/** Integer minor units as a chart value: exact up to 2^53 (beyond, only the bar's length is approximate). */
function toChartNumber(minor: bigint): number {
  return Number(minor);
}

function zeroGroup(key: string, code: string): GroupTotal {
  const zero = formatDecimal(new Dec(0), code);
  return {
    key,
    currency: code,
    findings: 0,
    claimableFindings: 0,
    claimable: zero,
    notClaimable: zero,
    claimableMinor: 0n,
    notClaimableMinor: 0n,
  };
}

function topServices(findings: readonly Finding[], code: string): GroupTotal[] {
  const groups = groupTotals(findings, serviceOf).sort((a, b) => {
    const ta = a.claimableMinor + a.notClaimableMinor;
    const tb = b.claimableMinor + b.notClaimableMinor;
    return ta === tb ? (a.key < b.key ? -1 : 1) : ta > tb ? -1 : 1;
  });
  if (groups.length <= MAX_SERVICE_BARS) return groups;
  const rest = groups.slice(MAX_SERVICE_BARS - 1);
  const sum = (pick: (g: GroupTotal) => string) =>
    formatDecimal(
      rest.reduce((s, g) => s.plus(parseDecimal(pick(g), "amount")), new Dec(0)),
      code,
    );
  return [
    ...groups.slice(0, MAX_SERVICE_BARS - 1),
    {
      key: `Other (${rest.length} services)`,
      currency: code,
      findings: rest.reduce((s, g) => s + g.findings, 0),
      claimableFindings: rest.reduce((s, g) => s + g.claimableFindings, 0),
      claimable: sum((g) => g.claimable),
      notClaimable: sum((g) => g.notClaimable),
      claimableMinor: rest.reduce((s, g) => s + g.claimableMinor, 0n),
      notClaimableMinor: rest.reduce((s, g) => s + g.notClaimableMinor, 0n),
    },
  ];
}

/** Totals per month, with the months between the first and the last filled in with zero. */
function monthsFilled(findings: readonly Finding[], code: string): GroupTotal[] {
  const groups = groupTotals(findings, (f) => monthOf(f) || "(unknown)");
  const known = groups.filter((g) => /^\d{4}-\d{2}$/.test(g.key));
  if (known.length < 2) return groups;
  const index = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
  const first = index(known[0]!.key);
  const last = index(known.at(-1)!.key);
  if (last - first >= MAX_MONTHS_FILLED) return groups;
  const byKey = new Map(groups.map((g) => [g.key, g]));
  const filled: GroupTotal[] = [];
  for (let i = first; i <= last; i++) {
    const key = `${String(Math.floor(i / 12)).padStart(4, "0")}-${String((i % 12) + 1).padStart(2, "0")}`;
    filled.push(byKey.get(key) ?? zeroGroup(key, code));
  }
  return [...filled, ...groups.filter((g) => !/^\d{4}-\d{2}$/.test(g.key))];
}

function chartsSection(report: AuditReport, charts: ChartSpec[]): string {
  if (charts.length === 0) return "";
  const byCurrency = new Map<string, ChartSpec[]>();
  for (const c of charts) byCurrency.set(c.currency, [...(byCurrency.get(c.currency) ?? []), c]);
  const sections = [...byCurrency.entries()].map(
    ([code, specs]) => `<section aria-labelledby="charts-${esc(specs[0]!.id)}">
<h3 id="charts-${esc(specs[0]!.id)}">Amounts in ${esc(code)}</h3>
<div class="charts">
${specs.map(chartFigure).join("\n")}
</div>
</section>`,
  );
  return `<section aria-labelledby="charts">
<h2 id="charts">Charts</h2>
<p class="note">Green: claimable now. Grey: past the claim window. ${report.findings.length} findings in ${byCurrency.size} ${byCurrency.size === 1 ? "currency" : "currencies"}; amounts in different currencies are never added together.</p>
${sections.join("\n")}
</section>`;
}

function chartFigure(spec: ChartSpec): string {
  const summary = spec.labels
    .map(
      (label, i) =>
        `${label}: ${spec.claimableText[i]} claimable, ${spec.notClaimableText[i]} past the window`,
    )
    .join("; ");
  const aria = `${spec.title}. ${summary}`;
  const height = spec.horizontal ? Math.max(140, 36 * spec.labels.length + 70) : 260;
  const rows = spec.labels
    .map(
      (label, i) =>
        `<tr><th scope="row">${esc(label)}</th><td class="num">${esc(spec.claimableText[i])}</td><td class="num">${esc(spec.notClaimableText[i])}</td></tr>`,
    )
    .join("");
  return `<figure class="chart">
<figcaption id="${esc(spec.id)}-caption">${esc(spec.title)}</figcaption>
<div class="chart-box" style="height:${height}px"><canvas id="${esc(spec.id)}" role="img" aria-label="${esc(aria)}">${esc(summary)}</canvas></div>
<details class="chart-data"><summary>Figures as a table</summary>
<table class="numbers"><thead><tr><th scope="col"></th><th scope="col" class="num">Claimable (${esc(spec.currency)})</th><th scope="col" class="num">Past the window (${esc(spec.currency)})</th></tr></thead><tbody>${rows}</tbody></table>
</details>
</figure>`;
}

// ---------------------------------------------------------------------------------------------------
// Findings

function findingsSection(report: AuditReport, policy: Policy, ids: FindingAnchors, locale: string): string {
  if (report.findings.length === 0) {
    return `<section aria-labelledby="findings"><h2 id="findings">Findings</h2><p>No findings: nothing in these bills needs a refund.</p></section>`;
  }
  const index = report.findings
    .map(
      (f) =>
        `<tr class="${f.claimable ? "" : "closed"}"><td class="nowrap"><a href="#${esc(ids.of(f))}"><code>${esc(f.id)}</code></a></td><td>${esc(kindLabel(f.kind))}</td>` +
        `<td>${esc(f.accountId)}</td><td>${esc(f.details?.serviceName ?? "")}</td><td class="nowrap">${esc(f.details?.month ?? "")}</td>` +
        `<td class="num">${esc(displayAmount(f.amount, f.currency, locale))}</td><td>${f.claimable ? "Yes" : "No"}</td></tr>`,
    )
    .join("\n");
  return `<section aria-labelledby="findings">
<h2 id="findings">Findings</h2>
<table class="index"><caption>All findings, in the order of the audit</caption>
<thead><tr><th scope="col">ID</th><th scope="col">Kind</th><th scope="col">Account</th><th scope="col">Service</th><th scope="col">Month</th><th scope="col" class="num">Amount</th><th scope="col">Claimable</th></tr></thead>
<tbody>
${index}
</tbody></table>
${report.findings.map((f) => findingArticle(f, policy, ids.of(f), locale)).join("\n")}
</section>`;
}

function findingArticle(f: Finding, policy: Policy, anchor: string, locale: string): string {
  const d = f.details;
  const facts: [string, string][] = [
    ["Finding", `<code>${esc(f.id)}</code>`],
    ["Account", esc(f.accountId)],
    ["Service", esc(d?.serviceName ?? "—")],
    ["Region", esc(d?.regionId ?? "—")],
    ["Resource", d?.resourceId ? `<code>${esc(d.resourceId)}</code>` : "—"],
    ["Month", esc(d?.month ?? "—")],
    ["Outcome", esc(f.outcome.replace(/_/g, " "))],
    [
      "Claim",
      f.claimable
        ? `claimable${d?.claimBy ? ` until ${esc(d.claimBy)}` : ""}`
        : `claim window closed${d?.claimBy ? ` on ${esc(d.claimBy)}` : ""}`,
    ],
    ["Charges", f.charges.map((c) => `<code>${esc(c)}</code>`).join(", ")],
  ];
  return `<article class="finding${f.claimable ? "" : " closed"}" id="${esc(anchor)}" aria-labelledby="${esc(anchor)}-title">
<h3 id="${esc(anchor)}-title">${esc(kindLabel(f.kind))}: ${esc(displayAmount(f.amount, f.currency, locale))}${f.claimable ? "" : ' <span class="badge">claim window closed</span>'}</h3>
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join("")}</dl>
<p class="explanation">${esc(f.explanation)}</p>
<h4>Evidence</h4>
${evidenceVisual(f, policy, anchor)}
${evidenceTable(f.evidence)}
${figuresTable(f)}
<h4>Policy</h4>
${f.clauses.map((id) => clauseBlock(policy, id)).join("\n")}
</article>`;
}

function clauseBlock(policy: Policy, id: string): string {
  try {
    const c = clauseText(policy, id);
    return `<div class="clause"><h5>${esc(c.title)} <span class="clause-id">(${esc(c.id)})</span></h5>
<p>${esc(c.text)}</p>${c.source ? `<p class="source">Source: ${link(c.source)}</p>` : ""}</div>`;
  } catch {
    return `<div class="clause missing"><h5>Clause ${esc(id)}</h5><p>This clause is not in policy version ${esc(policy.version)}.</p></div>`;
  }
}

function evidenceTable(evidence: readonly EvidenceRef[]): string {
  if (evidence.length === 0) return "";
  const rows = evidence.map((e) => {
    switch (e.type) {
      case "charge":
        return ["Charge", e.ref, ""];
      case "usage":
        return ["Usage", e.ref, `${esc(e.resourceId)} ran ${esc(utc(e.start))} to ${esc(utc(e.end))}`];
      case "subscription":
        return ["Subscription", e.ref, `subscription ${esc(e.subscriptionId)}`];
      case "incident":
        return [
          "Incident",
          e.ref,
          `${esc(e.incidentId)}: ${esc(utc(e.start))} to ${esc(utc(e.end))}${e.statusPageUrl ? ` · ${link(e.statusPageUrl, "status page")}` : ""}`,
        ];
      case "promotion":
        return ["Promotion", e.ref, `promotion ${esc(e.promotionId)}`];
      case "correction":
        return ["Correction already made", e.ref, `amount ${esc(e.amount)}`];
      case "sla":
        return [
          "SLA",
          e.clauseId,
          `availability ${esc(e.availabilityPercent)} % against ${esc(e.thresholdPercent)} %: ${esc(e.creditPercent)} % credit · ${link(e.sourceUrl, "SLA")}`,
        ];
      default: {
        const other = e as { type?: unknown; ref?: unknown };
        return [String(other.type ?? "other"), String(other.ref ?? ""), esc(JSON.stringify(e))];
      }
    }
  });
  return `<table class="evidence"><caption>Evidence records</caption>
<thead><tr><th scope="col">Type</th><th scope="col">Reference</th><th scope="col">Details</th></tr></thead>
<tbody>${rows.map(([type, ref, details]) => `<tr><td>${esc(type)}</td><td><code>${esc(ref)}</code></td><td>${details}</td></tr>`).join("")}</tbody></table>`;
}

function figuresTable(f: Finding): string {
  const entries = Object.entries(f.details?.figures ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return "";
  return `<table class="figures"><caption>Figures</caption><tbody>${entries
    .map(([k, v]) => `<tr><th scope="row">${esc(humanise(k))}</th><td>${esc(v)}</td></tr>`)
    .join("")}</tbody></table>`;
}

function humanise(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `2026-01-05T13:00:00Z` → `2026-01-05 13:00 UTC`; anything unparseable as it is. */
function utc(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = new Date(t).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
}

// ---------------------------------------------------------------------------------------------------
// Evidence pictures (inline SVG: static, printable, no script needed)

function evidenceVisual(f: Finding, policy: Policy, anchor: string): string {
  if (f.kind === "billed_beyond_usage")
    return usageTimeline(f, `${anchor}-usage`) ?? quantityBars(f, `${anchor}-qty`);
  if (f.kind === "sla_credit") return slaGauge(f, policy, `${anchor}-sla`);
  return "";
}

const SVG_W = 640;
const PLOT_X = 96;
/** Room at the right of a timeline for the totals ("720 h"). */
const LABEL_W = 72;
const PLOT_W = SVG_W - PLOT_X - 16;
const TIMELINE_W = PLOT_W - LABEL_W;

const n = (x: number) => (Math.round(x * 10) / 10).toString();

function decimalNumber(value: string | undefined): number | null {
  if (value === undefined) return null;
  try {
    // Geometry only: a bar's length, never an amount of money.
    return parseDecimal(value, "figure").toNumber();
  } catch {
    return null;
  }
}

const HOURS = /^(hour|hours|hrs|hr|h)$/i;

function usageTimeline(f: Finding, id: string): string | null {
  const figures = f.details?.figures ?? {};
  const usage = f.evidence.filter((e): e is Extract<EvidenceRef, { type: "usage" }> => e.type === "usage");
  const unit = figures.pricingUnit ?? figures.unit ?? "Hours";
  if (!HOURS.test(unit)) return null;
  const intervals = usage
    .map((u) => ({ start: Date.parse(u.start), end: Date.parse(u.end) }))
    .filter((u) => !Number.isNaN(u.start) && !Number.isNaN(u.end) && u.end > u.start);
  let start = Date.parse(figures.chargePeriodStart ?? "");
  let end = Date.parse(figures.chargePeriodEnd ?? "");
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
    if (intervals.length === 0) return null;
    start = Math.min(...intervals.map((u) => u.start));
    end = Math.max(...intervals.map((u) => u.end));
  }
  const billed = decimalNumber(figures.billedQuantity);
  const actual = decimalNumber(figures.actualQuantity);
  const span = end - start;
  const x = (t: number) => PLOT_X + (Math.min(Math.max(t, start), end) - start) * (TIMELINE_W / span);
  const HOUR = 3_600_000;
  const periodHours = span / HOUR;
  const billedEnd = billed === null ? null : start + Math.min(billed, periodHours) * HOUR;
  const ran = intervals.filter((u) => u.end > start && u.start < end);
  const labelX = PLOT_X + TIMELINE_W + 8;
  const title = `Billed hours against the hours the resource ran${f.details?.resourceId ? ` (${f.details.resourceId})` : ""}`;
  const desc =
    `Charge period ${utc(new Date(start).toISOString())} to ${utc(new Date(end).toISOString())}. ` +
    `${billed === null ? "Billed hours not given" : `Billed: ${figures.billedQuantity} hours`}; ` +
    `ran: ${actual === null ? `${ran.length} usage intervals` : `${figures.actualQuantity} hours`} in ${ran.length} ${ran.length === 1 ? "interval" : "intervals"}.`;
  const ticks = timeTicks(start, end)
    .map(
      (t) =>
        `<line x1="${n(x(t))}" y1="20" x2="${n(x(t))}" y2="92" class="grid"/><text x="${n(x(t))}" y="106" class="tick" text-anchor="middle">${esc(tickLabel(t, span))}</text>`,
    )
    .join("");
  return `<figure class="evidence-visual">
<svg viewBox="0 0 ${SVG_W} 112" width="100%" role="img" aria-labelledby="${id}-t ${id}-d" class="timeline">
<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>
<rect x="${PLOT_X}" y="20" width="${TIMELINE_W}" height="72" class="period"/>
${ticks}
<text x="${PLOT_X - 8}" y="42" text-anchor="end" class="label">Billed</text>
${billedEnd === null ? "" : `<rect x="${PLOT_X}" y="28" width="${n(x(billedEnd) - PLOT_X)}" height="20" class="billed"/>`}
${billed === null ? "" : `<text x="${labelX}" y="42" class="label">${esc(figures.billedQuantity)} h</text>`}
<text x="${PLOT_X - 8}" y="76" text-anchor="end" class="label">Ran</text>
${ran.map((u) => `<rect x="${n(x(u.start))}" y="62" width="${n(Math.max(1, x(u.end) - x(u.start)))}" height="20" class="ran"/>`).join("")}
${actual === null ? "" : `<text x="${labelX}" y="76" class="label">${esc(figures.actualQuantity)} h</text>`}
<text x="${PLOT_X}" y="14" class="tick">${esc(utc(new Date(start).toISOString()))}</text>
<text x="${PLOT_X + TIMELINE_W}" y="14" class="tick" text-anchor="end">${esc(utc(new Date(end).toISOString()))}</text>
</svg>
<figcaption>${esc(desc)}</figcaption>
</figure>`;
}

function timeTicks(start: number, end: number): number[] {
  const DAY = 86_400_000;
  const span = end - start;
  const step =
    span <= 2 * DAY ? 6 * 3_600_000 : span <= 14 * DAY ? DAY : span <= 62 * DAY ? 7 * DAY : 30 * DAY;
  const ticks: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end && ticks.length < 16; t += step) ticks.push(t);
  return ticks;
}

function tickLabel(t: number, span: number): string {
  const s = new Date(t).toISOString();
  return span <= 2 * 86_400_000 ? `${s.slice(5, 10)} ${s.slice(11, 16)}` : s.slice(5, 10);
}

function quantityBars(f: Finding, id: string): string {
  const figures = f.details?.figures ?? {};
  const billed = decimalNumber(figures.billedQuantity);
  const actual = decimalNumber(figures.actualQuantity);
  if (billed === null || actual === null || billed <= 0) return "";
  const unit = figures.pricingUnit ?? figures.unit ?? "units";
  const w = (q: number) => Math.max(1, (Math.max(0, q) / Math.max(billed, actual)) * PLOT_W);
  const desc = `Billed ${figures.billedQuantity} ${unit}; usage records show ${figures.actualQuantity} ${unit}.`;
  return `<figure class="evidence-visual">
<svg viewBox="0 0 ${SVG_W} 76" width="100%" role="img" aria-labelledby="${id}-t ${id}-d">
<title id="${id}-t">Billed quantity against used quantity</title><desc id="${id}-d">${esc(desc)}</desc>
<text x="${PLOT_X - 8}" y="24" text-anchor="end" class="label">Billed</text>
<rect x="${PLOT_X}" y="10" width="${n(w(billed))}" height="20" class="billed"/>
<text x="${PLOT_X - 8}" y="58" text-anchor="end" class="label">Used</text>
<rect x="${PLOT_X}" y="44" width="${n(w(actual))}" height="20" class="ran"/>
</svg>
<figcaption>${esc(desc)}</figcaption>
</figure>`;
}

function slaGauge(f: Finding, policy: Policy, id: string): string {
  const sla = f.evidence.find((e): e is Extract<EvidenceRef, { type: "sla" }> => e.type === "sla");
  const figures = f.details?.figures ?? {};
  const availabilityText = sla?.availabilityPercent ?? figures.availabilityPercent;
  const thresholdText = sla?.thresholdPercent ?? figures.thresholdPercent;
  const creditText = sla?.creditPercent ?? figures.creditPercent;
  const availability = decimalNumber(availabilityText);
  const threshold = decimalNumber(thresholdText);
  if (
    availability === null ||
    threshold === null ||
    availabilityText === undefined ||
    thresholdText === undefined
  ) {
    return "";
  }
  const entry = sla ? policy.sla.find((e) => e.clauseId === sla.clauseId) : undefined;
  // Zoom on the interesting part of the scale: around the threshold and the measured availability.
  const low = Math.min(availability, threshold);
  const gap = Math.max(threshold - availability, 100 - threshold, 0.001);
  const from = Math.max(0, low - gap);
  const to = 100;
  const x = (p: number) => PLOT_X + ((Math.min(Math.max(p, from), to) - from) / (to - from)) * PLOT_W;
  const tiers = (entry?.tiers ?? [])
    .map((t) => ({ below: decimalNumber(t.below), text: t.below, credit: t.creditPercent }))
    .filter(
      (t): t is { below: number; text: string; credit: string } =>
        t.below !== null && t.below > from && t.below < threshold,
    );
  const month = f.details?.month ?? "the month";
  const desc =
    `Availability in ${month}: ${availabilityText} %, against the SLA commitment of ${thresholdText} %` +
    `${creditText !== undefined ? `; credit ${creditText} % of the month's charges for the affected resources` : ""}.`;
  return `<figure class="evidence-visual">
<svg viewBox="0 0 ${SVG_W} 104" width="100%" role="img" aria-labelledby="${id}-t ${id}-d" class="sla">
<title id="${id}-t">Availability against the SLA threshold</title><desc id="${id}-d">${esc(desc)}</desc>
<rect x="${PLOT_X}" y="30" width="${PLOT_W}" height="26" class="period"/>
<text x="${PLOT_X - 8}" y="48" text-anchor="end" class="label">Available</text>
<rect x="${PLOT_X}" y="30" width="${n(x(availability) - PLOT_X)}" height="26" class="${availability < threshold ? "short" : "ran"}"/>
${tiers.map((t) => `<line x1="${n(x(t.below))}" y1="26" x2="${n(x(t.below))}" y2="60" class="tier"/><text x="${n(x(t.below))}" y="74" text-anchor="middle" class="tick">${esc(t.text)} %</text>`).join("")}
<line x1="${n(x(threshold))}" y1="18" x2="${n(x(threshold))}" y2="66" class="threshold"/>
<text x="${n(x(threshold))}" y="14" text-anchor="middle" class="tick">SLA ${esc(thresholdText)} %</text>
<text x="${n(Math.min(x(availability), PLOT_X + PLOT_W - 4))}" y="92" text-anchor="${x(availability) > PLOT_X + PLOT_W / 2 ? "end" : "start"}" class="label">measured ${esc(availabilityText)} %</text>
<text x="${PLOT_X}" y="100" class="tick" text-anchor="start" dy="0">${esc(n(from))} %</text>
<text x="${PLOT_X + PLOT_W}" y="100" class="tick" text-anchor="end">100 %</text>
</svg>
<figcaption>${esc(desc)}</figcaption>
</figure>`;
}

// ---------------------------------------------------------------------------------------------------
// Page script and style

/** Draws the charts from the JSON data block with Chart.js. Bar lengths are integer minor units. */
const INIT_SCRIPT = `(function () {
  "use strict";
  var node = document.getElementById("chart-data");
  var data = node ? JSON.parse(node.textContent || "{}") : { charts: [] };
  function tick(value, digits) {
    var text = money(value, digits);
    return /\\.0+$/.test(text) ? text.replace(/\\.0+$/, "") : text;
  }
  function money(value, digits) {
    var v = Math.round(Number(value));
    var negative = v < 0;
    var s = String(Math.abs(v));
    var whole = s;
    var fraction = "";
    if (digits > 0) {
      while (s.length <= digits) s = "0" + s;
      whole = s.slice(0, s.length - digits);
      fraction = "." + s.slice(s.length - digits);
    }
    return (negative ? "-" : "") + whole.replace(/\\B(?=(\\d{3})+(?!\\d))/g, ",") + fraction;
  }
  if (typeof Chart === "undefined") {
    document.documentElement.classList.add("no-charts");
    return;
  }
  (data.charts || []).forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    var valueAxis = spec.horizontal ? "x" : "y";
    var scales = { x: { stacked: true }, y: { stacked: true } };
    scales[valueAxis].beginAtZero = true;
    scales[valueAxis].ticks = { precision: 0, maxTicksLimit: 6, callback: function (v) { return tick(v, spec.digits); } };
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: [
          { label: "Claimable", data: spec.claimable, backgroundColor: "#1b7f5a", stack: "amount" },
          { label: "Past the claim window", data: spec.notClaimable, backgroundColor: "#a9afb7", stack: "amount" }
        ]
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var texts = ctx.datasetIndex === 0 ? spec.claimableText : spec.notClaimableText;
                return ctx.dataset.label + ": " + texts[ctx.dataIndex] + " " + spec.currency;
              }
            }
          }
        }
      }
    });
  });
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
    Object.values(Chart.instances).forEach(function (c) { c.resize(); });
  });
})();`;

const CSS = `
:root { color-scheme: light; --fg: #1d2329; --muted: #5b6570; --line: #d5d9de; --accent: #1b7f5a; --bg-soft: #f4f6f8; --warn: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 1.5rem; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
h4 { font-size: .95rem; margin: 1rem 0 .4rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
h5 { font-size: .95rem; margin: 0 0 .25rem; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .88em; overflow-wrap: anywhere; }
a { color: #0b5cad; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; }
.meta, .note { color: var(--muted); margin: .2rem 0; }
.toc ul { list-style: none; display: flex; gap: 1.25rem; padding: 0; margin: 1rem 0; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin-bottom: 1rem; }
.card { background: var(--bg-soft); border-radius: 8px; padding: .6rem 1rem; min-width: 10rem; }
.card .big { display: block; font-size: 1.5rem; font-weight: 650; }
table { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--bg-soft); font-weight: 600; }
.nowrap { white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.muted, tr.closed td { color: var(--muted); }
table.numbers { width: auto; min-width: 50%; }
table.figures { width: auto; min-width: 40%; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 1rem; align-items: start; }
figure { margin: 0; }
figure.chart { border: 1px solid var(--line); border-radius: 8px; padding: .75rem; }
figcaption { font-weight: 600; margin-bottom: .4rem; }
.chart-box { position: relative; width: 100%; }
.no-charts .chart-box { display: none; }
.no-charts details.chart-data { display: block; }
details.chart-data summary { cursor: pointer; color: var(--muted); font-size: .9rem; margin-top: .4rem; }
article.finding { border: 1px solid var(--line); border-left: 4px solid var(--accent); border-radius: 6px; padding: .25rem 1rem .75rem; margin: 1rem 0; }
article.finding.closed { border-left-color: #a9afb7; }
.badge { font-size: .8rem; font-weight: 600; background: #eceff2; color: var(--muted); border-radius: 999px; padding: .1rem .5rem; vertical-align: middle; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: .25rem 1rem; margin: .5rem 0; }
dl.facts div { min-width: 0; }
dt { font-size: .8rem; color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.explanation { background: var(--bg-soft); border-radius: 6px; padding: .6rem .8rem; }
.clause { border-left: 3px solid var(--line); padding: .1rem .8rem; margin: .5rem 0; }
.clause p { margin: .25rem 0; }
.clause-id, .source { color: var(--muted); font-size: .85rem; font-weight: normal; }
.clause.missing { border-left-color: var(--warn); }
.evidence-visual { margin: .5rem 0; max-width: 720px; }
.evidence-visual figcaption { font-weight: normal; color: var(--muted); font-size: .85rem; }
svg .period { fill: #f4f6f8; stroke: #d5d9de; }
svg .grid { stroke: #e3e6ea; }
svg .billed { fill: #c0392b; opacity: .8; }
svg .ran { fill: #1b7f5a; }
svg .short { fill: #d98c1f; }
svg .threshold { stroke: #1d2329; stroke-width: 2; stroke-dasharray: 4 3; }
svg .tier { stroke: #8a939c; stroke-dasharray: 2 2; }
svg .label { font-size: 12px; fill: #1d2329; }
svg .tick { font-size: 10px; fill: #5b6570; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .toc, .skip, details.chart-data summary { display: none; }
  h2 { break-after: avoid; }
  figure, table.numbers, .clause, dl.facts, .evidence-visual { break-inside: avoid; }
  article.finding { border-left-width: 2px; }
  .charts { display: block; }
  figure.chart { margin-bottom: .5rem; }
  canvas { max-width: 100% !important; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 8pt; color: var(--muted); overflow-wrap: anywhere; }
}
`;
