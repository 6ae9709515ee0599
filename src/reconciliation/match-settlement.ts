import { formatMinor } from "../ledger/balances.js";
import type { PayoutTable } from "../store/schema.js";
import type { SettlementFile, SettlementLine, SettlementStatus } from "./settlement-csv.js";

/**
 * Matching a settlement file against our payouts and their ledger entries. Pure: the operation
 * (import-settlement.ts) loads the payouts the file can refer to and those we settled that day,
 * then calls `reconcileSettlement`.
 *
 * Matching, per line: by `gateway_refund_id` (the gateway's id for the refund, stored on the payout
 * when it answered), else by `idempotency_key` (what we sent: the payout id for attempt 1,
 * `po_…:N` for attempt N), which finds a payout the gateway settled before we learned its id.
 */

/** The posting key of the ledger entry a payout's successful gateway refund is posted under. */
export const payoutPaidPostingKey = (payoutId: string): string => `payout:${payoutId}:paid`;

export type MatchResult = "matched" | "mismatched" | "missing_in_records" | "missing_in_settlement";

/** What can differ between a settlement line and our records. */
export type DifferenceField = "amount" | "currency" | "status" | "ledger" | "gateway_refund_id" | "duplicate";

export interface Difference {
  field: DifferenceField;
  ours: string | null;
  theirs: string | null;
  message: string;
}

export interface PayoutRecord {
  id: string;
  organisationId: string;
  caseId: string;
  amountMinor: bigint;
  currency: string;
  status: PayoutTable["status"];
  attempt: number;
  gatewayRefundId: string | null;
  settledAt: string | null;
  /** The `payout:…:paid` ledger entry and what it moved in the payout's currency (its debits). */
  paidEntry: { id: string; amountMinor: bigint } | null;
}

export interface ReconciliationItem {
  result: MatchResult;
  /** The settlement line (null for a payout missing from the file). */
  line: number | null;
  payoutId: string | null;
  organisationId: string | null;
  matchedBy: "gateway_refund_id" | "idempotency_key" | null;
  gatewayRefundId: string | null;
  idempotencyKey: string | null;
  theirs: {
    amountMinor: string;
    amount: string;
    currency: string;
    status: string;
    feeMinor: string;
    type: string;
  } | null;
  ours: {
    amountMinor: string;
    amount: string;
    currency: string;
    status: string;
    attempt: number;
    settledAt: string | null;
    journalEntryId: string | null;
  } | null;
  differences: Difference[];
  /** Why a line matched in an unusual way, or why it is unknown. */
  note: string | null;
}

export interface ReconciliationTotals {
  lines: number;
  matched: number;
  mismatched: number;
  missingInRecords: number;
  missingInSettlement: number;
}

export interface ReconciliationReport {
  fileName: string;
  settlementDate: string | null;
  totals: ReconciliationTotals;
  /** Per currency, what the file says the gateway settled (succeeded lines) and charged in fees. */
  settled: Array<{
    currency: string;
    refundsMinor: string;
    refunds: string;
    feesMinor: string;
    fees: string;
  }>;
  /** Lines in file order, then the payouts missing from the file by id. */
  items: ReconciliationItem[];
}

const KEY = /^(po_[0-9a-z]{26})(?::([1-9]\d{0,5}))?$/;

/** The payout and attempt an idempotency key we sent names, or null for a key we would not send. */
export function parseIdempotencyKey(key: string | null): { payoutId: string; attempt: number } | null {
  const m = key === null ? null : KEY.exec(key);
  return m ? { payoutId: m[1]!, attempt: m[2] ? Number(m[2]) : 1 } : null;
}

/** Money for people, exact: "12.34 USD"; an unknown currency (it cannot pass parsing) shows minor units. */
function shown(minor: bigint, currency: string): string {
  try {
    return `${formatMinor(minor, currency)} ${currency}`;
  } catch {
    return `${minor} minor units of ${currency}`;
  }
}

function safeFormat(minor: bigint, currency: string): string {
  try {
    return formatMinor(minor, currency);
  } catch {
    return minor.toString();
  }
}

/**
 * NOTE: what counts as the same outcome. A refund the gateway settled (`succeeded`) must be a payout
 * we hold as `succeeded`; a refund it failed must be one we hold as `failed`, or `credited` (after the
 * card refused it, the money went to the customer's account credit instead). Any other status of ours
 * (`pending`, `submitted`, `requires_action`) means our records lag behind the gateway: a mismatch
 * for finance to look at.
 */
function sameOutcome(ours: PayoutTable["status"], theirs: SettlementStatus): boolean {
  return theirs === "succeeded" ? ours === "succeeded" : ours === "failed" || ours === "credited";
}

function theirsOf(l: SettlementLine): NonNullable<ReconciliationItem["theirs"]> {
  return {
    amountMinor: l.amountMinor.toString(),
    amount: safeFormat(l.amountMinor, l.currency),
    currency: l.currency,
    status: l.status,
    feeMinor: l.feeMinor.toString(),
    type: l.type,
  };
}

function oursOf(p: PayoutRecord): NonNullable<ReconciliationItem["ours"]> {
  return {
    amountMinor: p.amountMinor.toString(),
    amount: safeFormat(p.amountMinor, p.currency),
    currency: p.currency,
    status: p.status,
    attempt: p.attempt,
    settledAt: p.settledAt,
    journalEntryId: p.paidEntry?.id ?? null,
  };
}

/** The differences between one line and the payout attempt it names. */
function compare(line: SettlementLine, payout: PayoutRecord, attempt: number): Difference[] {
  const out: Difference[] = [];
  // An earlier attempt than the payout's current one must have failed: we retry only after a failure.
  if (attempt < payout.attempt) {
    if (line.status !== "failed")
      out.push({
        field: "status",
        ours: `failed (attempt ${attempt} of ${payout.attempt})`,
        theirs: line.status,
        message: `the gateway settled attempt ${attempt} as ${line.status}, but we retried it as attempt ${payout.attempt}: the refund may have been paid twice`,
      });
    return out;
  }
  if (line.currency !== payout.currency)
    out.push({
      field: "currency",
      ours: payout.currency,
      theirs: line.currency,
      message: `we paid in ${payout.currency}, the gateway settled in ${line.currency}`,
    });
  else if (line.amountMinor !== payout.amountMinor)
    out.push({
      field: "amount",
      ours: payout.amountMinor.toString(),
      theirs: line.amountMinor.toString(),
      message: `we paid ${shown(payout.amountMinor, payout.currency)}, the gateway settled ${shown(line.amountMinor, line.currency)}`,
    });
  if (!sameOutcome(payout.status, line.status))
    out.push({
      field: "status",
      ours: payout.status,
      theirs: line.status,
      message: `we hold the payout as ${payout.status}, the gateway settled it as ${line.status}`,
    });
  if (
    line.gatewayRefundId !== null &&
    payout.gatewayRefundId !== null &&
    line.gatewayRefundId !== payout.gatewayRefundId
  )
    out.push({
      field: "gateway_refund_id",
      ours: payout.gatewayRefundId,
      theirs: line.gatewayRefundId,
      message: `we recorded gateway refund ${payout.gatewayRefundId} for this attempt, the file names ${line.gatewayRefundId}`,
    });
  // The ledger side: a refund that left through the gateway has its `paid` entry, for the same amount.
  if (line.status === "succeeded" && payout.status === "succeeded") {
    const key = payoutPaidPostingKey(payout.id);
    if (payout.paidEntry === null)
      out.push({ field: "ledger", ours: null, theirs: key, message: `no ledger entry ${key} was posted` });
    else if (payout.paidEntry.amountMinor !== payout.amountMinor)
      out.push({
        field: "ledger",
        ours: payout.paidEntry.amountMinor.toString(),
        theirs: payout.amountMinor.toString(),
        message: `ledger entry ${key} moved ${shown(payout.paidEntry.amountMinor, payout.currency)}, the payout is ${shown(payout.amountMinor, payout.currency)}`,
      });
  }
  return out;
}

/**
 * Reconciles one settlement file. `payouts` must hold every payout a line can name (by gateway
 * refund id or idempotency key) and every payout settled on the file's day; `settlementDate`
 * (the file's, or the day the caller says a header-only file is for) picks the payouts that must
 * appear in it: those we hold as `succeeded` with `settled_at` on that UTC day.
 */
export function reconcileSettlement(
  file: SettlementFile,
  payouts: readonly PayoutRecord[],
  settlementDate: string | null = file.settlementDate,
): ReconciliationReport {
  const byGatewayId = new Map<string, PayoutRecord>();
  const byId = new Map<string, PayoutRecord>();
  for (const p of payouts) {
    byId.set(p.id, p);
    if (p.gatewayRefundId !== null) byGatewayId.set(p.gatewayRefundId, p);
  }
  const items: ReconciliationItem[] = [];
  /** Payout attempts a line has already named: a second line for one is a duplicate. */
  const seen = new Map<string, number>();
  const settled = new Map<string, { refunds: bigint; fees: bigint }>();

  for (const line of file.lines) {
    if (line.status === "succeeded") {
      const s = settled.get(line.currency) ?? { refunds: 0n, fees: 0n };
      s.refunds += line.amountMinor;
      s.fees += line.feeMinor;
      settled.set(line.currency, s);
    }
    const base = {
      line: line.line,
      gatewayRefundId: line.gatewayRefundId,
      idempotencyKey: line.idempotencyKey,
      theirs: theirsOf(line),
    };
    const key = parseIdempotencyKey(line.idempotencyKey);
    let payout: PayoutRecord | undefined;
    let matchedBy: ReconciliationItem["matchedBy"] = null;
    if (line.gatewayRefundId !== null) {
      payout = byGatewayId.get(line.gatewayRefundId);
      if (payout) matchedBy = "gateway_refund_id";
    }
    if (!payout && key) {
      payout = byId.get(key.payoutId);
      if (payout) matchedBy = "idempotency_key";
    }
    if (!payout || line.type !== "refund") {
      items.push({
        ...base,
        result: "missing_in_records",
        payoutId: payout?.id ?? null,
        organisationId: payout?.organisationId ?? null,
        matchedBy: null,
        ours: null,
        differences: [],
        note: payout
          ? `a ${line.type} line: Refund Desk only sends refunds`
          : "no payout of ours has this gateway refund id or idempotency key",
      });
      continue;
    }
    // The attempt the line is about: the key says so; a line found by the gateway's id is the current one.
    const attempt =
      matchedBy === "gateway_refund_id" || !key || key.payoutId !== payout.id ? payout.attempt : key.attempt;
    const differences = compare(line, payout, attempt);
    const seenKey = `${payout.id}#${attempt}`;
    const earlier = seen.get(seenKey);
    if (earlier !== undefined)
      differences.push({
        field: "duplicate",
        ours: null,
        theirs: String(line.line),
        message: `line ${earlier} already settled this payout attempt`,
      });
    else seen.set(seenKey, line.line);
    items.push({
      ...base,
      result: differences.length ? "mismatched" : "matched",
      payoutId: payout.id,
      organisationId: payout.organisationId,
      matchedBy,
      ours: oursOf(payout),
      differences,
      note:
        attempt < payout.attempt
          ? `attempt ${attempt} of ${payout.attempt}: an earlier attempt, which failed before the retry`
          : payout.status === "credited" && line.status === "failed"
            ? "the card refund failed; the money went to the account's credit instead"
            : null,
    });
  }

  if (settlementDate !== null) {
    // A line about an earlier, failed attempt does not stand for the attempt that was paid.
    const present = new Set(payouts.filter((p) => seen.has(`${p.id}#${p.attempt}`)).map((p) => p.id));
    const missing = payouts
      .filter(
        (p) => p.status === "succeeded" && p.settledAt?.slice(0, 10) === settlementDate && !present.has(p.id),
      )
      .sort((a, b) => a.id.localeCompare(b.id));
    for (const p of missing)
      items.push({
        result: "missing_in_settlement",
        line: null,
        payoutId: p.id,
        organisationId: p.organisationId,
        matchedBy: null,
        gatewayRefundId: p.gatewayRefundId,
        idempotencyKey: p.attempt === 1 ? p.id : `${p.id}:${p.attempt}`,
        theirs: null,
        ours: oursOf(p),
        differences: [],
        note: `we hold it as succeeded on ${settlementDate}, but the file does not list it`,
      });
  }

  const count = (r: MatchResult) => items.filter((i) => i.result === r).length;
  return {
    fileName: file.fileName,
    settlementDate,
    totals: {
      lines: file.lines.length,
      matched: count("matched"),
      mismatched: count("mismatched"),
      missingInRecords: count("missing_in_records"),
      missingInSettlement: count("missing_in_settlement"),
    },
    settled: [...settled.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, s]) => ({
        currency,
        refundsMinor: s.refunds.toString(),
        refunds: safeFormat(s.refunds, currency),
        feesMinor: s.fees.toString(),
        fees: safeFormat(s.fees, currency),
      })),
    items,
  };
}

/** True when every line matched and nothing is missing on either side. */
export const allMatched = (t: ReconciliationTotals): boolean =>
  t.mismatched === 0 && t.missingInRecords === 0 && t.missingInSettlement === 0;
