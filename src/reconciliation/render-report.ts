import type { ReconciliationItem, ReconciliationReport } from "./match-settlement.js";

const RESULT_LABELS: Record<ReconciliationItem["result"], string> = {
  matched: "matched",
  mismatched: "MISMATCH",
  missing_in_records: "NOT OURS",
  missing_in_settlement: "NOT IN FILE",
};

/** Terminal cells must not carry control characters from a hostile file. */
const clean = (s: string) => s.replace(/[\p{Cc}\u2028\u2029]/gu, "?");

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `refund-desk reconcile --format table`: the totals, then one row per line or missing payout. */
export function renderReconciliationTable(
  report: ReconciliationReport,
  meta: { importId: string; duplicate: boolean },
): string {
  const t = report.totals;
  const head = [
    `Settlement ${report.settlementDate ?? "(no lines)"} — ${clean(report.fileName)} — ${meta.importId}${
      meta.duplicate ? " (imported before: its result, nothing new stored)" : ""
    }`,
    `${t.lines} lines: ${t.matched} matched, ${t.mismatched} mismatched, ${t.missingInRecords} not in our records; ` +
      `${t.missingInSettlement} of our payouts missing from the file`,
    ...report.settled.map(
      (s) => `settled ${s.refunds} ${s.currency} in refunds, ${s.fees} ${s.currency} in fees`,
    ),
  ];
  const rows = [["LINE", "RESULT", "PAYOUT", "GATEWAY REFUND", "AMOUNT", "STATUS (FILE/OURS)", "PROBLEM"]];
  for (const i of report.items) {
    const amount = i.theirs ?? i.ours;
    rows.push([
      i.line === null ? "-" : String(i.line),
      RESULT_LABELS[i.result],
      i.payoutId ?? "-",
      clean(i.gatewayRefundId ?? i.idempotencyKey ?? "-"),
      amount ? `${amount.amount} ${amount.currency}` : "-",
      i.theirs && i.ours
        ? `${i.theirs.status}/${i.ours.status}`
        : (i.theirs?.status ?? i.ours?.status ?? "-"),
      clean(i.differences.length ? i.differences.map((d) => d.message).join("; ") : (i.note ?? "")),
    ]);
  }
  return `${head.join("\n")}\n\n${pad(rows)}\n`;
}
