import { describe, expect, it } from "vitest";
import { Dec, Money } from "../money/index.js";
import { DEFAULT_POLICY } from "../policy/default-policy.js";
import type { Policy } from "../policy/policy.js";
import type { Candidate } from "./candidate.js";
import { type ChargeFact, correctionKey } from "./charge-fact.js";
import { claimBy } from "./claim-window.js";
import type { Reducer } from "./corrections.js";
import { KIND_RULES } from "./kinds.js";
import { findingId, settleFindings, summarize } from "./settle-findings.js";
import { utcMicros } from "./time.js";

const MAY_3 = utcMicros(2026, 5, 3);
const MAY_4 = utcMicros(2026, 5, 4);
const POLICY: Policy = { ...DEFAULT_POLICY, tolerances: { minimumAmount: "0.01" } };

function fact(line: number, billed: string, fields: Partial<ChargeFact> = {}): ChargeFact {
  return {
    ref: `bill.csv:${line}`,
    file: "bill.csv",
    line,
    accountId: "acct-a",
    currency: "USD",
    billedCost: new Dec(billed),
    effectiveCost: null,
    listCost: null,
    contractedUnitPrice: null,
    pricingQuantity: null,
    pricingUnit: null,
    providerName: "AWS",
    serviceName: "Amazon Elastic Compute Cloud",
    regionId: "us-east-1",
    resourceId: `i-${line}`,
    skuId: "SKU",
    chargeCategory: "Usage",
    chargeFrequency: "Usage-Based",
    chargeDescription: null,
    commitmentDiscountId: null,
    start: MAY_3,
    end: MAY_4,
    ...fields,
  };
}

function candidate(kind: Candidate["kind"], charges: ChargeFact[], amount: string): Candidate {
  return {
    kind,
    accountId: charges[0]!.accountId,
    currency: charges[0]!.currency,
    charges,
    amount: Money.of(amount, charges[0]!.currency),
    evidence: [],
    clauses: [KIND_RULES[kind].clause],
    outcome: KIND_RULES[kind].outcome,
    serviceName: null,
    regionId: null,
    resourceId: null,
    figures: {},
    window: { type: "after_charge", end: MAY_4 },
    facts: { kind: "duplicate_charge", copies: 2 },
  };
}

function correction(of: ChargeFact, line: number, billed: string): Reducer {
  const f = fact(line, billed, { resourceId: of.resourceId, skuId: of.skuId, start: of.start });
  return { key: f.ref, ref: f.ref, target: correctionKey(f), billedCost: f.billedCost, fact: f };
}

const settle = (candidates: Candidate[], reducers: Reducer[] = [], policy = POLICY) =>
  settleFindings(candidates, reducers, { policy, asOf: "2026-06-15" });

describe("settleFindings", () => {
  it("uses each correction once, for the first finding in priority order", () => {
    const charge = fact(2, "10");
    const settled = settle(
      [candidate("rate_above_contract", [charge], "3"), candidate("billed_beyond_usage", [charge], "4")],
      [correction(charge, 9, "-1.5")],
    );
    // billed_beyond_usage (kind 2) comes first: 4 − 1.5 = 2.5; rate_above_contract keeps its 3.
    expect(settled.map((s) => [s.candidate.kind, s.amount.amount])).toEqual([
      ["billed_beyond_usage", "2.5"],
      ["rate_above_contract", "3"],
    ]);
    expect(settled[0]!.corrections.map((r) => r.ref)).toEqual(["bill.csv:9"]);
  });

  it("nets corrections: a negation plus a re-billing returns only the difference", () => {
    const charge = fact(2, "15");
    const settled = settle(
      [candidate("duplicate_charge", [charge, fact(3, "15", { resourceId: "i-2" })], "15")],
      [correction(charge, 8, "-15"), correction(charge, 9, "12")],
    );
    // 15 − (15 − 12) = 12
    expect(settled.map((s) => s.amount.amount)).toEqual(["12"]);
    expect(settled[0]!.correctionTotal.amount).toBe("3");
  });

  it("subtracts nothing when the corrections net to a positive amount", () => {
    const charge = fact(2, "10");
    const settled = settle([candidate("rate_above_contract", [charge], "2")], [correction(charge, 9, "5")]);
    expect(settled.map((s) => s.amount.amount)).toEqual(["2"]);
  });

  it("caps each charge at its billed cost, sharing multi-charge findings in proportion", () => {
    const a = fact(2, "30");
    const b = fact(3, "10");
    const settled = settle([
      // SLA credit of 20 over a (30) and b (10): shares 15 and 5.
      candidate("sla_credit", [a, b], "20"),
      // A later finding on b alone may take only 10 − 5 = 5 of its 8.
      candidate("rate_above_contract", [b], "8"),
      // And nothing is left of b for a third.
      candidate("unused_prepaid_credit", [b], "1"),
    ]);
    expect(settled.map((s) => [s.candidate.kind, s.amount.amount, s.uncappedAmount?.amount ?? null])).toEqual(
      [
        ["sla_credit", "20", null],
        ["rate_above_contract", "5", "8"],
      ],
    );
  });

  it("rounds once, half away from zero, and drops amounts below the policy's minimum", () => {
    const settled = settle(
      [
        candidate("duplicate_charge", [fact(2, "1"), fact(3, "1", { resourceId: "i-2" })], "0.125"),
        candidate("rate_above_contract", [fact(4, "1")], "0.004999"),
        candidate("rate_above_contract", [fact(5, "1")], "0.05"),
      ],
      [],
      { ...POLICY, tolerances: { minimumAmount: "0.06" } },
    );
    // 0.125 → 0.13; 0.004999 → 0.00 (dropped); 0.05 < 0.06 (dropped)
    expect(settled.map((s) => s.amount.toFixedMinor())).toEqual(["0.13"]);
  });

  it("lists by kind, account and first reference, with ids from the sorted references", () => {
    const settled = settle([
      candidate("rate_above_contract", [fact(10, "5", { accountId: "acct-b" })], "1"),
      candidate("rate_above_contract", [fact(12, "5")], "1"),
      candidate("rate_above_contract", [fact(9, "5", { accountId: "acct-b" })], "1"),
      candidate("duplicate_charge", [fact(11, "5"), fact(3, "5", { resourceId: "i-3" })], "5"),
    ]);
    expect(
      settled.map((s) => [s.candidate.kind, s.candidate.accountId, s.candidate.charges[0]!.ref]),
    ).toEqual([
      ["duplicate_charge", "acct-a", "bill.csv:11"],
      ["rate_above_contract", "acct-a", "bill.csv:12"],
      ["rate_above_contract", "acct-b", "bill.csv:9"],
      ["rate_above_contract", "acct-b", "bill.csv:10"],
    ]);
    expect(settled[0]!.id).toBe(findingId("duplicate_charge", ["bill.csv:3", "bill.csv:11"]));
    expect(findingId("duplicate_charge", ["bill.csv:11", "bill.csv:3"])).toBe(
      findingId("duplicate_charge", ["bill.csv:3", "bill.csv:11"]),
    );
  });

  it("sums only claimable amounts per currency in the summary", () => {
    const yen = fact(2, "5000", { currency: "JPY" });
    const settled = settle([
      candidate("rate_above_contract", [yen], "1234.5"),
      candidate("rate_above_contract", [fact(3, "5")], "1.005"),
      {
        ...candidate("rate_above_contract", [fact(4, "5")], "2"),
        window: { type: "after_charge", end: utcMicros(2024, 1, 1) },
      },
    ]);
    expect(settled.map((s) => s.claimable)).toEqual([true, true, false]);
    expect(summarize(settled, 42)).toEqual({
      charges: 42,
      findings: 3,
      refundable: { JPY: "1235", USD: "1.01" },
    });
  });
});

describe("claimBy", () => {
  const windows = DEFAULT_POLICY.claimWindows;
  it("counts calendar months, clamping the day to a shorter month", () => {
    expect(
      claimBy(
        "duplicate_charge",
        { type: "after_charge", end: utcMicros(2027, 1, 31) },
        { ...windows, defaultMonthsAfterCharge: 1 },
      ),
    ).toBe("2027-02-28");
    expect(claimBy("duplicate_charge", { type: "after_charge", end: utcMicros(2027, 2, 1) }, windows)).toBe(
      "2028-02-01",
    );
  });

  it("ends SLA credits with the second billing cycle after the month, across a year end", () => {
    expect(
      claimBy(
        "sla_credit",
        { type: "sla", monthStart: utcMicros(2026, 12, 1), monthEnd: utcMicros(2027, 1, 1) },
        windows,
      ),
    ).toBe("2027-02-28");
  });

  it("gives prepaid commitments their days, and lets a per-kind override win", () => {
    expect(
      claimBy("unused_prepaid_credit", { type: "prepaid", termEnd: utcMicros(2028, 1, 1) }, windows),
    ).toBe("2028-03-31");
    expect(
      claimBy(
        "unused_prepaid_credit",
        { type: "prepaid", termEnd: utcMicros(2028, 1, 1) },
        { ...windows, byKind: { unused_prepaid_credit: 6 } },
      ),
    ).toBe("2028-07-01");
  });
});
