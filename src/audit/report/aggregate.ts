import { currency, Dec, isCurrencyCode, parseDecimal } from "../../money/index.js";
import { FINDING_KINDS, type Finding, type FindingKind } from "../finding.js";

/**
 * Shared by the renderers: totals of findings grouped by a key and a currency, with exact decimal sums
 * (amounts of different currencies are never added together).
 */

export const KIND_LABELS: Readonly<Record<FindingKind, string>> = Object.freeze({
  duplicate_charge: "Duplicate charge",
  billed_beyond_usage: "Billed beyond usage",
  charged_after_cancellation: "Charged after cancellation",
  sla_credit: "SLA credit",
  promotion_not_applied: "Promotion not applied",
  rate_above_contract: "Rate above contract",
  unused_prepaid_credit: "Unused prepaid credit",
});

export function kindLabel(kind: string): string {
  return (KIND_LABELS as Record<string, string>)[kind] ?? kind;
}

export const NO_SERVICE = "(no service)";

export interface GroupTotal {
  key: string;
  currency: string;
  findings: number;
  claimableFindings: number;
  /** Exact sums, formatted to the currency's minor unit. */
  claimable: string;
  notClaimable: string;
  /** Claimable amount as an integer count of minor units (for chart geometry; never for arithmetic). */
  claimableMinor: bigint;
  notClaimableMinor: bigint;
}

/** Digits after the decimal point for the currency (ISO 4217), or null for a code we do not know. */
export function minorUnitsOf(code: string): number | null {
  return isCurrencyCode(code) ? currency(code).minorUnits : null;
}

/** An exact decimal shown with the currency's minor-unit decimals (as given for an unknown currency). */
export function formatDecimal(value: Dec, code: string): string {
  const digits = minorUnitsOf(code);
  return digits === null ? value.toFixed() : value.toFixed(digits, Dec.ROUND_HALF_UP);
}

function toMinor(value: Dec, code: string): bigint {
  const digits = minorUnitsOf(code) ?? 2;
  return BigInt(value.times(new Dec(10).pow(digits)).toFixed(0, Dec.ROUND_HALF_UP));
}

/** Sum of decimal strings, exactly. */
export function sumAmounts(amounts: readonly string[]): Dec {
  return amounts.reduce((sum, a) => sum.plus(parseDecimal(a, "amount")), new Dec(0));
}

/**
 * Totals per (key, currency), in the order `orderKeys` gives (default: by key), then by currency.
 * `keyOf` returning several keys counts the finding under each.
 */
export function groupTotals(
  findings: readonly Finding[],
  keyOf: (f: Finding) => string,
  orderKeys?: (a: string, b: string) => number,
): GroupTotal[] {
  const groups = new Map<string, { key: string; currency: string; all: Finding[] }>();
  for (const f of findings) {
    const key = keyOf(f);
    const id = `${key}\u0000${f.currency}`;
    let g = groups.get(id);
    if (g === undefined) {
      g = { key, currency: f.currency, all: [] };
      groups.set(id, g);
    }
    g.all.push(f);
  }
  const order = orderKeys ?? ((a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0));
  return [...groups.values()]
    .sort((a, b) => order(a.key, b.key) || (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0))
    .map((g) => {
      const claimable = sumAmounts(g.all.filter((f) => f.claimable).map((f) => f.amount));
      const notClaimable = sumAmounts(g.all.filter((f) => !f.claimable).map((f) => f.amount));
      return {
        key: g.key,
        currency: g.currency,
        findings: g.all.length,
        claimableFindings: g.all.filter((f) => f.claimable).length,
        claimable: formatDecimal(claimable, g.currency),
        notClaimable: formatDecimal(notClaimable, g.currency),
        claimableMinor: toMinor(claimable, g.currency),
        notClaimableMinor: toMinor(notClaimable, g.currency),
      };
    });
}

/** Orders finding kinds as the audit rules list them (priority order), unknown kinds last. */
export function compareKinds(a: string, b: string): number {
  const rank = (k: string) => {
    const i = (FINDING_KINDS as readonly string[]).indexOf(k);
    return i < 0 ? FINDING_KINDS.length : i;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export const serviceOf = (f: Finding): string => f.details?.serviceName ?? NO_SERVICE;
export const monthOf = (f: Finding): string => f.details?.month ?? "";

/** The currencies of the report, sorted. */
export function currenciesOf(findings: readonly Finding[], refundable: Record<string, string>): string[] {
  return [...new Set([...findings.map((f) => f.currency), ...Object.keys(refundable)])].sort();
}

/** The first sentence of an explanation (a "reason" line), or all of it when it has one sentence. */
export function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const match = /^(.*?[.!?])(?=\s+[A-Z(“"])/.exec(flat);
  return match?.[1] ?? flat;
}
