import type { InvoiceViewShape } from "./views.js";

/**
 * Text from imported files (service names, regions) may hold control or bidi characters that move the
 * cursor or reorder a terminal line: they are shown as `?`.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const clean = (text: string): string => text.replace(UNSAFE, "?");

function truncate(text: string, width: number): string {
  const t = clean(text);
  return t.length > width ? `${t.slice(0, width - 1)}…` : t;
}

interface Column {
  header: string;
  align: "left" | "right";
  max?: number;
}

function table(columns: readonly Column[], rows: readonly string[][]): string[] {
  const cells = rows.map((r) => r.map((c, i) => truncate(c, columns[i]?.max ?? 80)));
  const widths = columns.map((col, i) =>
    cells.reduce((w, r) => Math.max(w, r[i]?.length ?? 0), col.header.length),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (columns[i]?.align === "right" ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].map(
    (l) => `  ${l}`,
  );
}

const scopeText = (scope: { services: readonly string[]; regions: readonly string[] }) =>
  `${scope.services.length ? scope.services.join(", ") : "any service"} · ${scope.regions.length ? scope.regions.join(", ") : "any region"}`;

/** `refund-desk invoice --format table`: the totals, the credits consumed, then one row per line. */
export function renderInvoiceTable(invoice: InvoiceViewShape): string {
  const c = invoice.currency;
  const out = [
    `Invoice ${invoice.id} · account ${invoice.accountId} · ${c}`,
    `Period ${invoice.periodStart} to ${invoice.periodEnd} (end exclusive)`,
    `Charges ${invoice.charges} ${c} · credits ${invoice.credits} ${c} · due ${invoice.due} ${c}`,
    "",
  ];
  if (invoice.creditsConsumed.length === 0) out.push("No account credits consumed.");
  else {
    out.push("Credits consumed (in the order spent)");
    out.push(
      ...table(
        [
          { header: "credit", align: "left" },
          { header: "case", align: "left" },
          { header: "scope", align: "left", max: 60 },
          { header: "expires", align: "left" },
          { header: "amount", align: "right" },
        ],
        invoice.creditsConsumed.map((x) => [
          x.creditId,
          x.caseId ?? "-",
          scopeText(x.scope),
          x.expiresAt,
          x.amount,
        ]),
      ),
    );
  }
  out.push("");
  if (invoice.lines.length === 0) out.push("No charges in this period.");
  else {
    out.push(`Lines (${invoice.lines.length})`);
    out.push(
      ...table(
        [
          { header: "charge", align: "left" },
          { header: "period start", align: "left" },
          { header: "service", align: "left", max: 40 },
          { header: "region", align: "left", max: 20 },
          { header: "amount", align: "right" },
          { header: "credited", align: "right" },
          { header: "due", align: "right" },
        ],
        invoice.lines.map((l) => [
          l.chargeId,
          l.chargePeriodStart ?? "-",
          l.serviceName ?? "-",
          l.regionId ?? "-",
          l.amount,
          l.credited,
          l.due,
        ]),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}
