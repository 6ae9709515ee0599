import { currency, Dec, isCurrencyCode } from "../money/index.js";

/**
 * The dashboard's figures, as a pure function of the submitted cases and the audit's findings
 * (`load-dashboard.ts` reads them from the store). Money is summed per currency with the project's
 * exact Decimal and returned as decimal strings; counts, rates and durations are plain numbers.
 */

/** One submitted case, as the dashboard counts it. */
export interface CaseFact {
  reason: string;
  /** The ServiceName of the charge the case is about; null when the bill named none. */
  service: string | null;
  currency: string;
  /** The requested amount, an exact decimal string. */
  requested: string;
  /** ISO 8601 UTC instant of submission. */
  submittedAt: string;
  /** The expected decision instant (the end of the due date, moved on by pauses); null when none. */
  dueAt: string | null;
  /** When the first decision (sequence 1) was made; null while the case is undecided. */
  firstDecidedAt: string | null;
  /** The latest decision's outcome (the appeal's when there was one); null while undecided. */
  outcome: string | null;
  /** The latest decision's granted amount (null for a denial or a service adjustment). */
  granted: string | null;
}

export interface FindingFact {
  kind: string;
  currency: string;
  amount: string;
}

export interface GroupFigures {
  key: string;
  currency: string;
  filed: number;
  decided: number;
  approved: number;
  /** Exact decimal: what the customers asked for. */
  requested: string;
  /** Exact decimal: what the decisions granted (money outcomes only). */
  granted: string;
}

export interface Dashboard {
  cases: {
    filed: number;
    decided: number;
    approved: number;
    denied: number;
    /** approved / decided, between 0 and 1; null when nothing was decided. */
    approvalRate: number | null;
    /** Median of submission → first decision, in whole seconds; null when nothing was decided. */
    medianSecondsToDecision: number | null;
    /** Decided cases that had an expected decision date. */
    decidedWithTarget: number;
    /** Of those, decided (first decision) no later than the expected decision instant. */
    decidedWithinTarget: number;
    withinTargetRate: number | null;
  };
  totals: Array<{ currency: string; filed: number; approved: number; requested: string; granted: string }>;
  byReason: GroupFigures[];
  byService: GroupFigures[];
  byMonth: GroupFigures[];
  findings: Array<{ kind: string; currency: string; count: number; amount: string }>;
}

/** Cases whose service is unknown are grouped under this key. */
export const UNKNOWN_SERVICE = "(unknown)";

/**
 * NOTE: "approved" is any decided outcome but `denied` — a full or partial refund, an account credit
 * or a service adjustment all grant the customer something (DESIGN.md, vocabulary: outcome).
 */
export const isApproved = (outcome: string | null): boolean => outcome !== null && outcome !== "denied";

/** Digits a currency's sums show at least: its minor unit (USD 2, JPY 0); unknown codes 2. */
function minorDigits(code: string): number {
  return isCurrencyCode(code) ? currency(code).minorUnits : 2;
}

/** An exact running sum that remembers the largest scale it saw, so "40.00" + "0.5" reads "40.50". */
class Sum {
  private total = new Dec(0);
  private scale: number;
  constructor(code: string) {
    this.scale = minorDigits(code);
  }
  add(value: string | null): void {
    if (value === null) return;
    const d = new Dec(value);
    this.total = this.total.plus(d);
    this.scale = Math.max(this.scale, d.decimalPlaces());
  }
  toString(): string {
    return this.total.toFixed(this.scale);
  }
}

interface Group {
  key: string;
  currency: string;
  filed: number;
  decided: number;
  approved: number;
  requested: Sum;
  granted: Sum;
}

function groupBy(cases: readonly CaseFact[], keyOf: (c: CaseFact) => string): Group[] {
  const groups = new Map<string, Group>();
  for (const c of cases) {
    const key = keyOf(c);
    const id = JSON.stringify([key, c.currency]);
    let g = groups.get(id);
    if (!g) {
      g = {
        key,
        currency: c.currency,
        filed: 0,
        decided: 0,
        approved: 0,
        requested: new Sum(c.currency),
        granted: new Sum(c.currency),
      };
      groups.set(id, g);
    }
    g.filed += 1;
    g.requested.add(c.requested);
    if (c.outcome !== null) g.decided += 1;
    if (isApproved(c.outcome)) {
      g.approved += 1;
      g.granted.add(c.granted);
    }
  }
  return [...groups.values()];
}

const figures = (g: Group): GroupFigures => ({
  key: g.key,
  currency: g.currency,
  filed: g.filed,
  decided: g.decided,
  approved: g.approved,
  requested: g.requested.toString(),
  granted: g.granted.toString(),
});

const byCount = (a: Group, b: Group) =>
  b.filed - a.filed || a.key.localeCompare(b.key) || a.currency.localeCompare(b.currency);
const byKey = (a: Group, b: Group) => a.key.localeCompare(b.key) || a.currency.localeCompare(b.currency);

/** The median of whole numbers; an even count takes the mean of the middle two, rounded. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid]!;
  return Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

export function aggregateDashboard(cases: readonly CaseFact[], findings: readonly FindingFact[]): Dashboard {
  const decided = cases.filter((c) => c.outcome !== null);
  const approved = decided.filter((c) => isApproved(c.outcome));
  const timed = decided.filter((c) => c.firstDecidedAt !== null);
  const seconds = timed.map((c) =>
    Math.max(0, Math.round((Date.parse(c.firstDecidedAt!) - Date.parse(c.submittedAt)) / 1000)),
  );
  const withTarget = timed.filter((c) => c.dueAt !== null);
  // ISO instants in UTC compare as text; Date.parse keeps it right for any offset spelling.
  const withinTarget = withTarget.filter((c) => Date.parse(c.firstDecidedAt!) <= Date.parse(c.dueAt!));

  const totals = groupBy(cases, () => "")
    .sort((a, b) => a.currency.localeCompare(b.currency))
    .map((g) => ({
      currency: g.currency,
      filed: g.filed,
      approved: g.approved,
      requested: g.requested.toString(),
      granted: g.granted.toString(),
    }));

  const found = new Map<string, { kind: string; currency: string; count: number; amount: Sum }>();
  for (const f of findings) {
    const id = JSON.stringify([f.kind, f.currency]);
    let g = found.get(id);
    if (!g) {
      g = { kind: f.kind, currency: f.currency, count: 0, amount: new Sum(f.currency) };
      found.set(id, g);
    }
    g.count += 1;
    g.amount.add(f.amount);
  }

  return {
    cases: {
      filed: cases.length,
      decided: decided.length,
      approved: approved.length,
      denied: decided.length - approved.length,
      approvalRate: ratio(approved.length, decided.length),
      medianSecondsToDecision: median(seconds),
      decidedWithTarget: withTarget.length,
      decidedWithinTarget: withinTarget.length,
      withinTargetRate: ratio(withinTarget.length, withTarget.length),
    },
    totals,
    byReason: groupBy(cases, (c) => c.reason)
      .sort(byCount)
      .map(figures),
    byService: groupBy(cases, (c) => c.service ?? UNKNOWN_SERVICE)
      .sort(byCount)
      .map(figures),
    // Months of submission in UTC: the store keeps instants as ISO UTC text (`2026-05-04T10:00:00.000Z`).
    byMonth: groupBy(cases, (c) => new Date(c.submittedAt).toISOString().slice(0, 7))
      .sort(byKey)
      .map(figures),
    findings: [...found.values()]
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.currency.localeCompare(b.currency))
      .map((g) => ({ kind: g.kind, currency: g.currency, count: g.count, amount: g.amount.toString() })),
  };
}
