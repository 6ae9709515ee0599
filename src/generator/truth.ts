/**
 * The findings `refund-desk audit --format json` must report for a generated dataset, computed
 * by the rules of docs/audit-rules.md from the rows the writer tracked (with their lines) and
 * the evidence the plan wrote. Exact decimals throughout; one rounding at the end.
 */
import { createHash } from "node:crypto";
import { FINDING_KINDS, type FindingKind } from "../audit/finding.js";
import { Money } from "../money/index.js";
import { findSlaEntry, SLA_TABLES } from "../policy/sla-tables.js";
import { HOUR } from "./calendar.js";
import type { TrackedCharge } from "./charge-sink.js";
import { coveredWithin, type Interval, mergeIntervals } from "./model.js";

export { FINDING_KINDS, type FindingKind };

const RULES: Record<FindingKind, { clause: string; outcome: string }> = {
  duplicate_charge: { clause: "duplicate-charge", outcome: "refund_original_method" },
  billed_beyond_usage: { clause: "billed-beyond-usage", outcome: "refund_original_method" },
  charged_after_cancellation: { clause: "charged-after-cancellation", outcome: "refund_original_method" },
  sla_credit: { clause: "sla-credit", outcome: "account_credit" },
  promotion_not_applied: { clause: "promotion-not-applied", outcome: "account_credit" },
  rate_above_contract: { clause: "rate-above-contract", outcome: "refund_original_method" },
  unused_prepaid_credit: { clause: "unused-prepaid-credit", outcome: "account_credit" },
};

/** One finding as `refund-desk audit --format json` lists it (without explanation and evidence). */
export interface TruthFinding {
  id: string;
  kind: FindingKind;
  accountId: string;
  charges: string[];
  amount: string;
  currency: string;
  outcome: string;
  claimable: boolean;
  clauses: string[];
}

/** A finding before rounding: the charges in the order the audit lists them. */
export interface DraftFinding {
  kind: FindingKind;
  accountId: string;
  charges: readonly TrackedCharge[];
  /** Exact amount, corrections already subtracted. */
  amount: Money;
  /** Clauses after the kind's own (the SLA entry's clause id). */
  extraClauses?: readonly string[];
}

export function findingId(kind: string, refs: readonly string[]): string {
  // NOTE: "the sorted charge references" is read as a plain code-unit sort of the strings.
  const text = [kind, ...refs.slice().sort()].join("\n");
  return `f-${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
}

function refKey(ref: string): [string, number] {
  const i = ref.lastIndexOf(":");
  return [ref.slice(0, i), Number(ref.slice(i + 1))];
}

/** Reference order: file name, then line number as a number. */
export function compareRefs(a: string, b: string): number {
  const [fa, la] = refKey(a);
  const [fb, lb] = refKey(b);
  return fa < fb ? -1 : fa > fb ? 1 : la - lb;
}

/** Rounds, drops zero amounts, assigns ids and sorts by kind, account, first charge reference. */
export function finishFindings(drafts: readonly DraftFinding[], currency: string): TruthFinding[] {
  const out: TruthFinding[] = [];
  for (const d of drafts) {
    const rounded = d.amount.roundToMinor();
    if (!rounded.isPositive()) continue;
    const charges = d.charges.map((c) => c.ref);
    out.push({
      id: findingId(d.kind, charges),
      kind: d.kind,
      accountId: d.accountId,
      charges,
      amount: rounded.toFixedMinor(),
      currency,
      outcome: RULES[d.kind].outcome,
      claimable: true,
      clauses: [RULES[d.kind].clause, ...(d.extraClauses ?? [])],
    });
  }
  out.sort(
    (a, b) =>
      FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind) ||
      (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0) ||
      compareRefs(a.charges[0]!, b.charges[0]!),
  );
  return out;
}

/** Sum of finding amounts per currency, as decimal strings with the currency's minor digits. */
export function refundableByCurrency(findings: readonly TruthFinding[]): Record<string, string> {
  const sums = new Map<string, Money>();
  for (const f of findings) {
    if (!f.claimable) continue;
    sums.set(
      f.currency,
      (sums.get(f.currency) ?? Money.zero(f.currency)).plus(Money.of(f.amount, f.currency)),
    );
  }
  const out: Record<string, string> = {};
  for (const code of [...sums.keys()].sort()) out[code] = sums.get(code)!.toFixedMinor();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rule helpers over tracked rows
// ---------------------------------------------------------------------------------------------

export function billed(c: TrackedCharge, currency: string): Money {
  return Money.of(c.row.billedCost, currency);
}

export function isClaimable(c: TrackedCharge): boolean {
  return c.row.chargeClass === "" && Money.of(c.row.billedCost, "USD").isPositive();
}

function sameTarget(a: TrackedCharge, b: TrackedCharge): boolean {
  return (
    a.accountId === b.accountId &&
    a.row.resourceId === b.row.resourceId &&
    a.row.skuId === b.row.skuId &&
    a.row.chargePeriodStart === b.row.chargePeriodStart
  );
}

/** Corrections and credits attributable to the claimed charges, as a positive amount. */
export function attributableReduction(
  claimed: readonly TrackedCharge[],
  rows: readonly TrackedCharge[],
  currency: string,
): Money {
  let total = Money.zero(currency);
  for (const r of rows) {
    if (r.row.chargeClass !== "Correction" && r.row.category !== "Credit") continue;
    if (claimed.some((c) => sameTarget(c, r))) total = total.plus(billed(r, currency).abs());
  }
  return total;
}

function byLine(rows: readonly TrackedCharge[]): TrackedCharge[] {
  return rows.slice().sort((a, b) => a.line - b.line);
}

/** §1: groups of identical Usage/Purchase charges; amount BilledCost × (n − 1). */
export function duplicateDrafts(rows: readonly TrackedCharge[], currency: string): DraftFinding[] {
  const groups = new Map<string, TrackedCharge[]>();
  for (const c of rows) {
    if (!isClaimable(c) || (c.row.category !== "Usage" && c.row.category !== "Purchase")) continue;
    const r = c.row;
    const key = [
      c.accountId,
      r.resourceId,
      r.skuId,
      r.chargePeriodStart,
      r.chargePeriodEnd,
      r.category,
      r.pricingQuantity,
      r.billedCost,
    ].join("|");
    const g = groups.get(key) ?? [];
    g.push(c);
    groups.set(key, g);
  }
  const out: DraftFinding[] = [];
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const charges = byLine(g);
    const amount = billed(charges[0]!, currency)
      .times(String(charges.length - 1))
      .minus(attributableReduction(charges, rows, currency));
    out.push({ kind: "duplicate_charge", accountId: charges[0]!.accountId, charges, amount });
  }
  return out;
}

/** §2 for hour units: billed hours above the union of usage clipped to the period, rounded up. */
export function beyondUsageDrafts(
  rows: readonly TrackedCharge[],
  usage: readonly Interval[],
  currency: string,
): DraftFinding[] {
  const merged = mergeIntervals(usage);
  const out: DraftFinding[] = [];
  for (const c of byLine(rows)) {
    const r = c.row;
    if (!isClaimable(c) || r.category !== "Usage" || r.pricingUnit !== "Hours") continue;
    const q = Money.of(r.pricingQuantity, currency);
    if (!q.isPositive()) continue;
    const actual = Math.ceil(coveredWithin(merged, r.chargePeriodStart, r.chargePeriodEnd) / HOUR);
    const excess = q.minus(Money.of(String(actual), currency));
    if (!excess.isPositive()) continue;
    const amount = billed(c, currency)
      .times(excess.toDecimal())
      .dividedBy(q.toDecimal())
      .minus(attributableReduction([c], rows, currency));
    out.push({ kind: "billed_beyond_usage", accountId: c.accountId, charges: [c], amount });
  }
  return out;
}

export interface SubscriptionTerms {
  cancelledAt: number | null;
  renewsAt: number | null;
  autoRenew: boolean;
}

/** §3: Purchase or Recurring charges at or after a cancellation, or renewals with auto-renew off. */
export function cancellationDrafts(
  rows: readonly TrackedCharge[],
  terms: SubscriptionTerms,
  currency: string,
): DraftFinding[] {
  const out: DraftFinding[] = [];
  for (const c of byLine(rows)) {
    const r = c.row;
    if (!isClaimable(c) || (r.category !== "Purchase" && r.frequency !== "Recurring")) continue;
    const cancelled = terms.cancelledAt !== null && terms.cancelledAt <= r.chargePeriodStart;
    const renewedAgainstWish =
      !terms.autoRenew && terms.renewsAt !== null && r.chargePeriodStart >= terms.renewsAt;
    if (!cancelled && !renewedAgainstWish) continue;
    const amount = billed(c, currency).minus(attributableReduction([c], rows, currency));
    out.push({ kind: "charged_after_cancellation", accountId: c.accountId, charges: [c], amount });
  }
  return out;
}

export interface IncidentWindow {
  start: number;
  end: number;
  resourceIds: readonly string[];
}

/** Credit percentage for a month with `downtimeMs` of `monthMs`, or null above the threshold. */
export function slaCreditPercent(serviceName: string, downtimeMs: number, monthMs: number): string | null {
  const entry = findSlaEntry(SLA_TABLES, "AWS", serviceName);
  if (!entry) return null;
  // availability% = (monthMs − downtimeMs) × 100 / monthMs, compared exactly by cross-multiplying.
  const up = Money.of(String(monthMs - downtimeMs), "USD").times("100");
  let percent: string | null = null;
  for (const tier of entry.tiers) {
    if (up.lessThan(Money.of(String(monthMs), "USD").times(tier.below))) percent = tier.creditPercent;
  }
  if (percent === null) return null;
  return Money.of(percent, "USD").lessThan(Money.of(entry.maxCreditPercent, "USD"))
    ? percent
    : entry.maxCreditPercent;
}

export function slaClause(serviceName: string): string {
  const entry = findSlaEntry(SLA_TABLES, "AWS", serviceName);
  if (!entry) throw new Error(`no SLA entry for ${serviceName}`);
  return entry.clauseId;
}

/** §4: one finding per account for a (service, region, month) whose availability fell below the SLA. */
export function slaDrafts(
  rows: readonly TrackedCharge[],
  serviceName: string,
  regionId: string,
  monthStart: number,
  monthEnd: number,
  incidents: readonly IncidentWindow[],
  currency: string,
): DraftFinding[] {
  const inMonth = incidents.filter((i) => i.start < monthEnd && i.end > monthStart);
  const downtime = coveredWithin(mergeIntervals(inMonth), monthStart, monthEnd);
  const percent = slaCreditPercent(serviceName, downtime, monthEnd - monthStart);
  if (percent === null) return [];
  const regionWide = inMonth.some((i) => i.resourceIds.length === 0);
  const named = new Set(inMonth.flatMap((i) => i.resourceIds));
  const byAccount = new Map<string, TrackedCharge[]>();
  for (const c of byLine(rows)) {
    const r = c.row;
    if (!isClaimable(c) || r.serviceName !== serviceName || r.regionId !== regionId) continue;
    if (r.chargePeriodStart < monthStart || r.chargePeriodStart >= monthEnd) continue;
    if (!regionWide && !named.has(r.resourceId)) continue;
    const list = byAccount.get(c.accountId) ?? [];
    list.push(c);
    byAccount.set(c.accountId, list);
  }
  const out: DraftFinding[] = [];
  for (const [accountId, charges] of byAccount) {
    const base = Money.sum(
      charges.map((c) => billed(c, currency)),
      currency,
    );
    const amount = base
      .times(percent)
      .dividedBy("100")
      .minus(attributableReduction(charges, rows, currency));
    out.push({ kind: "sla_credit", accountId, charges, amount, extraClauses: [slaClause(serviceName)] });
  }
  return out;
}

export interface PromotionScope {
  accountId: string;
  serviceNames: readonly string[];
  regionIds: readonly string[];
  validFrom: number;
  validTo: number;
}

function inScope(c: TrackedCharge, p: PromotionScope): boolean {
  const r = c.row;
  return (
    isClaimable(c) &&
    r.category === "Usage" &&
    c.accountId === p.accountId &&
    (p.serviceNames.length === 0 || p.serviceNames.includes(r.serviceName)) &&
    (p.regionIds.length === 0 || p.regionIds.includes(r.regionId)) &&
    p.validFrom <= r.chargePeriodStart &&
    r.chargePeriodStart < p.validTo
  );
}

/** §5, percentage promotions: one finding per charge billed above ListCost × (1 − pct). */
export function percentPromotionDrafts(
  rows: readonly TrackedCharge[],
  scope: PromotionScope,
  discountPercent: string,
  currency: string,
): DraftFinding[] {
  const out: DraftFinding[] = [];
  const keep = Money.of("100", currency).minus(Money.of(discountPercent, currency)).dividedBy("100");
  for (const c of byLine(rows)) {
    if (!inScope(c, scope) || c.row.listCost === "") continue;
    const promised = Money.of(c.row.listCost, currency).times(keep.toDecimal());
    const over = billed(c, currency).minus(promised);
    if (!over.isPositive()) continue;
    const amount = over.minus(attributableReduction([c], rows, currency));
    out.push({ kind: "promotion_not_applied", accountId: c.accountId, charges: [c], amount });
  }
  return out;
}

/** §5, credit promotions: the smaller of the unspent credit and the applicable charges' total. */
export function creditPromotionDrafts(
  rows: readonly TrackedCharge[],
  scope: PromotionScope,
  promotionId: string,
  code: string,
  creditAmount: string,
  currency: string,
): DraftFinding[] {
  let spent = Money.zero(currency);
  for (const c of rows) {
    if (c.row.category !== "Credit" || c.accountId !== scope.accountId) continue;
    if (c.row.promotionId === promotionId || c.row.description.includes(code))
      spent = spent.plus(billed(c, currency).abs());
  }
  const unspent = Money.of(creditAmount, currency).minus(spent);
  const charges = byLine(rows.filter((c) => inScope(c, scope)));
  if (!unspent.isPositive() || charges.length === 0) return [];
  const total = Money.sum(
    charges.map((c) => billed(c, currency)),
    currency,
  );
  const amount = Money.min(unspent, total).minus(attributableReduction(charges, rows, currency));
  return [{ kind: "promotion_not_applied", accountId: scope.accountId, charges, amount }];
}

/** §6: billed unit price above the contracted one, commitment-covered rows left out. */
export function rateDrafts(rows: readonly TrackedCharge[], currency: string): DraftFinding[] {
  const out: DraftFinding[] = [];
  for (const c of byLine(rows)) {
    const r = c.row;
    if (!isClaimable(c) || r.pricingCategory === "Committed" || r.contractedUnitPrice === "") continue;
    if (r.pricingQuantity === "") continue;
    const q = Money.of(r.pricingQuantity, currency);
    if (!q.isPositive()) continue;
    const contractedTotal = Money.of(r.contractedUnitPrice, currency).times(q.toDecimal());
    const over = billed(c, currency).minus(contractedTotal);
    if (!over.isPositive()) continue;
    const amount = over.minus(attributableReduction([c], rows, currency));
    out.push({ kind: "rate_above_contract", accountId: c.accountId, charges: [c], amount });
  }
  return out;
}

/** §7: a prepaid commitment whose term ended with Unused rows; refundable 100 %, capped. */
export function unusedCommitmentDrafts(
  rows: readonly TrackedCharge[],
  asOf: number,
  currency: string,
): DraftFinding[] {
  const out: DraftFinding[] = [];
  for (const p of byLine(rows)) {
    const r = p.row;
    if (!isClaimable(p) || r.category !== "Purchase" || r.commitmentDiscountId === "") continue;
    if (r.chargePeriodEnd > asOf) continue;
    const unusedRows = byLine(
      rows.filter(
        (c) =>
          c.row.commitmentDiscountId === r.commitmentDiscountId &&
          c.row.commitmentDiscountStatus === "Unused",
      ),
    );
    if (unusedRows.length === 0) continue;
    const unused = Money.sum(
      unusedRows.map((c) => Money.of(c.row.effectiveCost, currency)),
      currency,
    );
    const amount = Money.min(unused, billed(p, currency)).minus(
      attributableReduction([p, ...unusedRows], rows, currency),
    );
    out.push({ kind: "unused_prepaid_credit", accountId: p.accountId, charges: [p, ...unusedRows], amount });
  }
  return out;
}
