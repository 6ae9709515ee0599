/**
 * The steps every finding goes through after its detector (docs/audit-rules.md "Common rules"), in one
 * pure function: no I/O, no clock.
 *
 * Candidates are settled one at a time in priority order (kind, then first charge reference):
 * 1. corrections: the not-yet-used corrections and credits attributable to its charges are used up;
 *    their net BilledCost, when negative, is subtracted;
 * 2. the per-charge cap: the amount is attributed to its charges in proportion to their billed cost;
 *    a charge's share is cut to what earlier findings left of its billed cost;
 * 3. one rounding, half away from zero, to the currency's minor unit; zero and amounts below
 *    `policy.tolerances.minimumAmount` are dropped;
 * 4. the claim deadline against `--as-of`, the deterministic id.
 * Findings are then ordered by kind, account and first charge reference.
 */
import { createHash } from "node:crypto";
import { Money } from "../money/index.js";
import type { Policy } from "../policy/policy.js";
import { type Candidate, plain } from "./candidate.js";
import { type ChargeFact, compareCharges, compareRefs, correctionKey } from "./charge-fact.js";
import { claimBy, isClaimable } from "./claim-window.js";
import type { Reducer } from "./corrections.js";
import type { AuditSummary } from "./finding.js";
import { kindRank } from "./kinds.js";
import { earlier, formatMonth } from "./time.js";

export interface SettledFinding {
  candidate: Candidate;
  id: string;
  /** Rounded to the currency's minor unit. */
  amount: Money;
  /** The kind's amount, before corrections and the cap. */
  formulaAmount: Money;
  /** Corrections and credits used up by this finding, and the net amount they took off (≥ 0). */
  corrections: Reducer[];
  correctionTotal: Money;
  /** The amount before the per-charge cap, when the cap cut it down. */
  uncappedAmount: Money | null;
  claimable: boolean;
  claimBy: string;
  /** `YYYY-MM` of the earliest charge period concerned. */
  month: string;
}

/** `f-` + the first 16 hex digits of SHA-256 of the kind and the sorted charge references, by `\n`. */
export function findingId(kind: string, refs: readonly string[]): string {
  // NOTE: "sorted" is a plain code-unit sort of the reference strings (as the generator's truth reads it).
  const text = [kind, ...[...refs].sort()].join("\n");
  return `f-${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
}

interface Keyed {
  candidate: Candidate;
  id: string;
}

function settlementOrder(a: Keyed, b: Keyed): number {
  return (
    kindRank(a.candidate.kind) - kindRank(b.candidate.kind) ||
    compareCharges(a.candidate.charges[0]!, b.candidate.charges[0]!) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

function listingOrder(a: SettledFinding, b: SettledFinding): number {
  const x = a.candidate;
  const y = b.candidate;
  return (
    kindRank(x.kind) - kindRank(y.kind) ||
    (x.accountId < y.accountId ? -1 : x.accountId > y.accountId ? 1 : 0) ||
    compareRefs(x.charges[0]!.ref, y.charges[0]!.ref) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

const chargeKey = (f: ChargeFact) => `${f.ref}\u0000${f.start}`;

export function settleFindings(
  candidates: readonly Candidate[],
  reducers: readonly Reducer[],
  options: { policy: Policy; asOf: string },
): SettledFinding[] {
  const { policy, asOf } = options;
  const byTarget = new Map<string, Reducer[]>();
  for (const r of reducers) {
    const list = byTarget.get(r.target);
    if (list === undefined) byTarget.set(r.target, [r]);
    else list.push(r);
  }
  const used = new Set<string>();
  const claimed = new Map<string, Money>();
  const ids = new Set<string>();
  const out: SettledFinding[] = [];

  const keyed = candidates.map((candidate) => ({
    candidate,
    id: findingId(
      candidate.kind,
      candidate.charges.map((c) => c.ref),
    ),
  }));
  for (const { candidate, id } of keyed.sort(settlementOrder)) {
    const currency = candidate.currency;
    const zero = Money.zero(currency);
    // NOTE: two candidates of one kind over the same charges would share an id; the first one stands.
    if (ids.has(id)) continue;

    // 1. Corrections already made, each used once.
    const applied: Reducer[] = [];
    for (const target of new Set(candidate.charges.map(correctionKey))) {
      for (const r of byTarget.get(target) ?? []) {
        if (used.has(r.key)) continue;
        used.add(r.key);
        applied.push(r);
      }
    }
    const net = Money.sum(
      applied.map((r) => Money.of(plain(r.billedCost), currency)),
      currency,
    );
    // NOTE: corrections net out (a negation plus a re-billing at the right amount returns only the
    // difference); only a net return reduces the finding.
    const correctionTotal = net.isNegative() ? net.negated() : zero;
    let amount = candidate.amount.minus(correctionTotal);
    if (!amount.isPositive()) continue;

    // 2. The per-charge cap, shares in proportion to billed cost.
    const weights = candidate.charges.map((c) => {
      const b = Money.of(plain(c.billedCost), currency);
      return b.isPositive() ? b : zero;
    });
    const weightTotal = Money.sum(weights, currency);
    let uncappedAmount: Money | null = null;
    if (weightTotal.isPositive()) {
      const shares = weights.map((w) => amount.times(w.toDecimal()).dividedBy(weightTotal.toDecimal()));
      const left = candidate.charges.map((c, i) => {
        const rest = weights[i]!.minus(claimed.get(chargeKey(c)) ?? zero);
        return rest.isPositive() ? rest : zero;
      });
      const taken = shares.map((s, i) => Money.min(s, left[i]!));
      if (shares.some((s, i) => s.greaterThan(left[i]!))) {
        uncappedAmount = amount;
        amount = Money.sum(taken, currency);
      }
      candidate.charges.forEach((c, i) => {
        const key = chargeKey(c);
        claimed.set(key, (claimed.get(key) ?? zero).plus(taken[i]!));
      });
    }
    if (!amount.isPositive()) continue;

    // 3. One rounding; nothing below the policy's minimum.
    const rounded = amount.roundToMinor();
    if (!rounded.isPositive() || rounded.lessThan(Money.of(policy.tolerances.minimumAmount, currency)))
      continue;

    // 4. Claim window and id.
    const deadline = claimBy(candidate.kind, candidate.window, policy.claimWindows);
    const earliest = candidate.charges.reduce((m, c) => earlier(m, c.start), candidate.charges[0]!.start);
    ids.add(id);
    out.push({
      candidate,
      id,
      amount: rounded,
      formulaAmount: candidate.amount,
      corrections: applied,
      correctionTotal,
      uncappedAmount,
      claimable: isClaimable(asOf, deadline),
      claimBy: deadline,
      month: formatMonth(earliest),
    });
  }
  return out.sort(listingOrder);
}

/** summary: charges loaded, findings listed, and the claimable amounts per currency. */
export function summarize(findings: readonly SettledFinding[], charges: number): AuditSummary {
  const sums = new Map<string, Money>();
  for (const f of findings) {
    if (!f.claimable) continue;
    const c = f.candidate.currency;
    sums.set(c, (sums.get(c) ?? Money.zero(c)).plus(f.amount));
  }
  const refundable: Record<string, string> = {};
  for (const code of [...sums.keys()].sort()) refundable[code] = sums.get(code)!.toFixedMinor();
  return { charges, findings: findings.length, refundable };
}
