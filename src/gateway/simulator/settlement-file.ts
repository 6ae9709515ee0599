import type { SettlementDrift } from "./faults.js";
import type { SimulatedRefund } from "./refund-book.js";

export const SETTLEMENT_COLUMNS = [
  "settlement_date",
  "gateway_refund_id",
  "idempotency_key",
  "payment_id",
  "type",
  "amount_minor",
  "currency",
  "status",
  "fee_minor",
] as const;

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar day as `YYYY-MM-DD` (so `2024-02-30` is refused, not rolled over). */
export function isSettlementDate(date: string): boolean {
  if (!DATE_PATTERN.test(date)) return false;
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === date;
}

function csvField(value: string): string {
  // RFC 4180: quote only when needed, doubling quotes inside.
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * The gateway's settlement file for one UTC day: one line per refund that reached a final
 * state (`succeeded` or `failed`) that day, in the order they did (then by id). Amounts are
 * positive minor units; the fee is charged on succeeded refunds only. LF line ends, a final LF.
 */
export function renderSettlementCsv(
  refunds: readonly SimulatedRefund[],
  date: string,
  drift: readonly SettlementDrift[] = [],
): string {
  if (!isSettlementDate(date)) throw new Error(`not a settlement date: ${JSON.stringify(date)}`);
  const settled = refunds
    .filter((r) => r.finalizedAt !== null && r.finalizedAt.slice(0, 10) === date)
    .filter((r) => r.status === "succeeded" || r.status === "failed")
    .sort(
      (a, b) =>
        (a.finalizedAt ?? "").localeCompare(b.finalizedAt ?? "") ||
        a.gatewayRefundId.localeCompare(b.gatewayRefundId),
    );
  const lines: string[][] = settled.map((r) => [
    date,
    r.gatewayRefundId,
    r.idempotencyKey,
    r.paymentId,
    "refund",
    r.amountMinor,
    r.currency,
    r.status,
    r.status === "succeeded" ? r.feeMinor : "0",
  ]);

  // Drift for reconciliation tests: each kind applied once, in this order.
  const first = lines[0];
  if (drift.includes("alter_amount") && first) first[5] = (BigInt(first[5] ?? "0") + 1n).toString();
  if (drift.includes("omit_line")) lines.pop();
  if (drift.includes("unknown_line")) {
    const day = date.replaceAll("-", "");
    lines.push([
      date,
      `re_sim_unknown_${day}`,
      `unknown_${day}`,
      "pay_unknown",
      "refund",
      "100",
      first?.[6] ?? "USD",
      "succeeded",
      "0",
    ]);
  }
  return [SETTLEMENT_COLUMNS, ...lines].map((l) => `${l.map(csvField).join(",")}\n`).join("");
}
