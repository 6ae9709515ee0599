import { describe, expect, it } from "vitest";
import { aggregateDashboard, type CaseFact, median, UNKNOWN_SERVICE } from "./aggregate-dashboard.js";

const HOUR = 3600;

/** A case submitted on 2026-04-01 at 09:00Z, due ten days later, undecided unless told otherwise. */
function aCase(overrides: Partial<CaseFact> = {}): CaseFact {
  return {
    reason: "billing_error",
    service: "Amazon Elastic Compute Cloud",
    currency: "USD",
    requested: "100.00",
    submittedAt: "2026-04-01T09:00:00.000Z",
    dueAt: "2026-04-15T04:00:00.000Z",
    firstDecidedAt: null,
    outcome: null,
    granted: null,
    ...overrides,
  };
}

const decidedAfter = (hours: number, outcome: string, granted: string | null): Partial<CaseFact> => ({
  firstDecidedAt: new Date(Date.parse("2026-04-01T09:00:00.000Z") + hours * HOUR * 1000).toISOString(),
  outcome,
  granted,
});

describe("aggregateDashboard", () => {
  describe("with nothing filed and nothing found", () => {
    it("counts zero and leaves rates and the median empty rather than dividing by zero", () => {
      const d = aggregateDashboard([], []);
      expect(d.cases).toEqual({
        filed: 0,
        decided: 0,
        approved: 0,
        denied: 0,
        approvalRate: null,
        medianSecondsToDecision: null,
        decidedWithTarget: 0,
        decidedWithinTarget: 0,
        withinTargetRate: null,
      });
      expect(d.totals).toEqual([]);
      expect(d.byReason).toEqual([]);
      expect(d.findings).toEqual([]);
    });
  });

  describe("approval", () => {
    it("counts every outcome but denied as approved, and only decided cases in the rate", () => {
      const d = aggregateDashboard(
        [
          aCase(decidedAfter(1, "account_credit", "100.00")),
          aCase(decidedAfter(2, "service_adjustment", null)),
          aCase(decidedAfter(3, "denied", null)),
          aCase(decidedAfter(4, "partial_refund", "12.34")),
          aCase(),
        ],
        [],
      );
      expect(d.cases).toMatchObject({ filed: 5, decided: 4, approved: 3, denied: 1, approvalRate: 0.75 });
    });

    it("counts what the decision granted, not what was asked", () => {
      const d = aggregateDashboard([aCase(decidedAfter(5, "account_credit", "60.00"))], []);
      expect(d.cases.approved).toBe(1);
      expect(d.totals).toEqual([
        { currency: "USD", filed: 1, approved: 1, requested: "100.00", granted: "60.00" },
      ]);
    });
  });

  describe("money", () => {
    it("sums exactly in decimal, where floats would drift (0.1 + 0.2)", () => {
      const d = aggregateDashboard(
        [
          aCase({ requested: "0.1", ...decidedAfter(1, "account_credit", "0.1") }),
          aCase({ requested: "0.2", ...decidedAfter(1, "account_credit", "0.2") }),
        ],
        [],
      );
      expect(d.totals[0]).toMatchObject({ requested: "0.30", granted: "0.30" });
    });

    it("keeps the finest scale it was given (FOCUS rows of 0.0000008 are real) and the currency's minor digits", () => {
      const d = aggregateDashboard(
        [aCase({ requested: "40.00" }), aCase({ requested: "0.0000008" })],
        [
          { kind: "sla_credit", currency: "JPY", amount: "1200" },
          { kind: "sla_credit", currency: "JPY", amount: "300" },
        ],
      );
      expect(d.totals[0]!.requested).toBe("40.0000008");
      expect(d.totals[0]!.granted).toBe("0.00");
      expect(d.findings).toEqual([{ kind: "sla_credit", currency: "JPY", count: 2, amount: "1500" }]);
    });

    it("never adds two currencies together: each group and total is per currency", () => {
      const d = aggregateDashboard(
        [
          aCase({ requested: "100.00", ...decidedAfter(1, "account_credit", "100.00") }),
          aCase({ currency: "CNY", requested: "700.00", ...decidedAfter(1, "account_credit", "650.50") }),
          aCase({ currency: "CNY", requested: "9007199254740993.01" }),
        ],
        [],
      );
      expect(d.totals).toEqual([
        { currency: "CNY", filed: 2, approved: 1, requested: "9007199254741693.01", granted: "650.50" },
        { currency: "USD", filed: 1, approved: 1, requested: "100.00", granted: "100.00" },
      ]);
      expect(d.byReason.map((g) => [g.key, g.currency])).toEqual([
        ["billing_error", "CNY"],
        ["billing_error", "USD"],
      ]);
    });
  });

  describe("groups", () => {
    const cases = [
      aCase({
        reason: "duplicate_charge",
        service: "Amazon S3",
        ...decidedAfter(2, "account_credit", "25.00"),
      }),
      aCase({ reason: "billing_error", requested: "100.00", ...decidedAfter(4, "account_credit", "100.00") }),
      aCase({ reason: "billing_error", requested: "60.00", ...decidedAfter(6, "denied", null) }),
      aCase({
        reason: "sla_breach",
        service: null,
        requested: "30.00",
        submittedAt: "2026-05-02T23:30:00.000Z",
        dueAt: null,
      }),
    ];

    it("by reason: the most filed first, with filed, decided, approved, requested and granted", () => {
      expect(aggregateDashboard(cases, []).byReason).toEqual([
        {
          key: "billing_error",
          currency: "USD",
          filed: 2,
          decided: 2,
          approved: 1,
          requested: "160.00",
          granted: "100.00",
        },
        {
          key: "duplicate_charge",
          currency: "USD",
          filed: 1,
          decided: 1,
          approved: 1,
          requested: "100.00",
          granted: "25.00",
        },
        {
          key: "sla_breach",
          currency: "USD",
          filed: 1,
          decided: 0,
          approved: 0,
          requested: "30.00",
          granted: "0.00",
        },
      ]);
    });

    it("by product: the charge's service, with cases whose bill named none under one key", () => {
      expect(aggregateDashboard(cases, []).byService.map((g) => [g.key, g.filed, g.granted])).toEqual([
        ["Amazon Elastic Compute Cloud", 2, "100.00"],
        [UNKNOWN_SERVICE, 1, "0.00"],
        ["Amazon S3", 1, "25.00"],
      ]);
    });

    it("by month: the UTC month of submission, in calendar order", () => {
      expect(aggregateDashboard(cases, []).byMonth.map((g) => [g.key, g.filed, g.requested])).toEqual([
        ["2026-04", 3, "260.00"],
        ["2026-05", 1, "30.00"],
      ]);
    });
  });

  describe("time to decision and the target", () => {
    it("takes the median of submission → first decision, in seconds", () => {
      const d = aggregateDashboard(
        [
          aCase(decidedAfter(2, "account_credit", "1.00")),
          aCase(decidedAfter(4, "denied", null)),
          aCase(decidedAfter(30, "denied", null)),
          aCase(),
        ],
        [],
      );
      expect(d.cases.medianSecondsToDecision).toBe(4 * HOUR);
    });

    it("counts a first decision at or before the expected decision instant as within target", () => {
      const due = "2026-04-03T09:00:00.000Z";
      const d = aggregateDashboard(
        [
          aCase({ dueAt: due, ...decidedAfter(48, "account_credit", "1.00") }),
          aCase({ dueAt: due, ...decidedAfter(49, "account_credit", "1.00") }),
          aCase({ dueAt: due, ...decidedAfter(1, "denied", null) }),
          aCase({ dueAt: null, ...decidedAfter(1, "denied", null) }),
          aCase({ dueAt: due }),
        ],
        [],
      );
      expect(d.cases).toMatchObject({ decidedWithTarget: 3, decidedWithinTarget: 2 });
      expect(d.cases.withinTargetRate).toBeCloseTo(2 / 3, 10);
    });
  });

  describe("findings", () => {
    it("counts and sums per kind and currency, sorted by kind", () => {
      const d = aggregateDashboard(
        [],
        [
          { kind: "duplicate_charge", currency: "USD", amount: "40.00" },
          { kind: "billed_beyond_usage", currency: "USD", amount: "12.5" },
          { kind: "duplicate_charge", currency: "USD", amount: "0.01" },
          { kind: "duplicate_charge", currency: "CNY", amount: "88.00" },
        ],
      );
      expect(d.findings).toEqual([
        { kind: "billed_beyond_usage", currency: "USD", count: 1, amount: "12.50" },
        { kind: "duplicate_charge", currency: "CNY", count: 1, amount: "88.00" },
        { kind: "duplicate_charge", currency: "USD", count: 2, amount: "40.01" },
      ]);
    });
  });
});

describe("median", () => {
  it("is the middle value, or the rounded mean of the middle two", () => {
    expect(median([])).toBeNull();
    expect(median([7])).toBe(7);
    expect(median([30, 1, 4])).toBe(4);
    expect(median([1, 2, 3, 10])).toBe(3);
    expect(median([1, 2])).toBe(2);
  });
});
