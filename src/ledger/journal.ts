import type { LedgerCode } from "./chart.js";

/**
 * A journal entry as data, before it is posted: pure checks only. Amounts are signed integers in
 * minor units (debits positive, credits negative); an entry balances when each currency sums to 0.
 */
export interface JournalLineInput {
  code: LedgerCode;
  /** The customer account for per-account codes (customer_credit); null otherwise. */
  accountId: string | null;
  currency: string;
  amountMinor: bigint;
}

export interface JournalEntryInput {
  organisationId: string;
  kind: JournalEntryKind;
  description: string;
  /** Unique per posting; posting the same key twice returns the first entry (exactly once). */
  postingKey: string;
  caseId?: string | null;
  payoutId?: string | null;
  creditId?: string | null;
  invoiceId?: string | null;
  reversesEntryId?: string | null;
  effectiveAt: string;
  lines: readonly JournalLineInput[];
}

export const JOURNAL_ENTRY_KINDS = [
  "refund_decided",
  "refund_paid",
  "refund_to_credit",
  "credit_granted",
  "credit_consumed",
  "credit_expired",
  "reversal",
] as const;
export type JournalEntryKind = (typeof JOURNAL_ENTRY_KINDS)[number];

/** Why an entry cannot be posted; empty when it can. */
export function journalProblems(entry: Pick<JournalEntryInput, "lines" | "postingKey">): string[] {
  const problems: string[] = [];
  if (entry.postingKey.trim() === "") problems.push("a posting key is required");
  if (entry.lines.length < 2) problems.push("an entry has at least two lines");
  const sums = new Map<string, bigint>();
  for (const [i, l] of entry.lines.entries()) {
    if (l.amountMinor === 0n) problems.push(`line ${i} has a zero amount`);
    sums.set(l.currency, (sums.get(l.currency) ?? 0n) + l.amountMinor);
  }
  for (const [currency, sum] of sums)
    if (sum !== 0n) problems.push(`${currency} lines sum to ${sum} minor units, not 0`);
  return problems;
}

/** The entry that undoes `lines`: every amount negated. */
export function reversedLines(lines: readonly JournalLineInput[]): JournalLineInput[] {
  return lines.map((l) => ({ ...l, amountMinor: -l.amountMinor }));
}

/** Two lines moving `amountMinor` from `credit` to `debit`. */
export function transfer(
  debit: { code: LedgerCode; accountId: string | null },
  credit: { code: LedgerCode; accountId: string | null },
  currency: string,
  amountMinor: bigint,
): JournalLineInput[] {
  return [
    { ...debit, currency, amountMinor },
    { ...credit, currency, amountMinor: -amountMinor },
  ];
}
