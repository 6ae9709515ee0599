import { describe, expect, it } from "vitest";
import type { EffectiveKycStatus } from "../kyc/model.js";
import { DEFAULT_POLICY } from "../policy/default-policy.js";
import { DEFAULT_REVIEW_POLICY } from "../policy/review-policy.js";
import {
  billingTypeOf,
  type CheckCode,
  evaluatePolicy,
  type ReviewCheck,
  type ReviewFacts,
  type ReviewResult,
  reviewCase,
} from "./initial-review.js";

// ---------------------------------------------------------------------------------------------------------
// Facts

/**
 * A duplicate AWS charge of USD 40.00 found by the audit and still reported, the account verified and
 * linked to no other: the case every check passes and the fast-track takes.
 */
function base(overrides: Partial<ReviewFacts> = {}): ReviewFacts {
  return {
    reason: "duplicate_charge",
    desiredOutcome: "refund_original_method",
    amount: "40.00",
    currency: "USD",
    charge: {
      exists: true,
      billedCost: "40.00",
      currency: "USD",
      providerName: "AWS",
      serviceName: "Amazon Elastic Compute Cloud",
      chargeCategory: "Usage",
      chargeFrequency: "Usage-Based",
      chargePeriodStart: "2026-05-03T00:00:00Z",
    },
    remaining: "40.00",
    finding: {
      id: "fnd_01JV0000000000000000000001",
      kind: "duplicate_charge",
      amount: "40.00",
      claimable: true,
      stillReported: true,
    },
    kycStatus: "verified",
    identityLinks: [],
    noReasonRefundsThisYear: 0,
    submittedAt: "2026-05-20T09:00:00Z",
    ...overrides,
  };
}

/** The same case for another amount: the charge, the finding and the remainder all carry it. */
function forAmount(amount: string, currency = "USD"): ReviewFacts {
  const facts = base({ amount, currency, remaining: amount });
  return {
    ...facts,
    charge: { ...facts.charge, billedCost: amount, currency },
    finding: facts.finding && { ...facts.finding, amount },
  };
}

/** An Alibaba Cloud ECS subscription bought on 1 May 2026, asked back for no reason. */
function alibabaPurchase(overrides: Partial<ReviewFacts> = {}): ReviewFacts {
  return base({
    reason: "accidental_purchase",
    currency: "CNY",
    amount: "300.00",
    remaining: "300.00",
    charge: {
      exists: true,
      billedCost: "300.00",
      currency: "CNY",
      providerName: "Alibaba Cloud",
      serviceName: "Elastic Compute Service",
      chargeCategory: "Purchase",
      chargeFrequency: "One-Time",
      chargePeriodStart: "2026-05-01T00:00:00Z",
    },
    finding: null,
    submittedAt: "2026-05-03T00:00:00Z",
    ...overrides,
  });
}

const review = (facts: ReviewFacts): ReviewResult => reviewCase(facts, DEFAULT_POLICY, DEFAULT_REVIEW_POLICY);

function check(result: ReviewResult, code: CheckCode): ReviewCheck["result"] | undefined {
  return result.checks.find((c) => c.code === code)?.result;
}

function results(result: ReviewResult): Partial<Record<CheckCode, ReviewCheck["result"]>> {
  return Object.fromEntries(result.checks.map((c) => [c.code, c.result]));
}

const ALL_PASS = {
  billing_record: "pass",
  amount_fits: "pass",
  policy: "pass",
  finding_reconfirmed: "pass",
  kyc: "pass",
  identity_links: "pass",
} as const;

// ---------------------------------------------------------------------------------------------------------

describe("reviewCase", () => {
  describe("when a re-confirmed duplicate charge passes every check", () => {
    it("fast-tracks it with the customer's desired outcome, target 5 business days", () => {
      const r = review(base());
      expect(r.route).toEqual({ to: "fast_track", outcome: "refund_original_method" });
      expect(results(r)).toEqual(ALL_PASS);
      expect(r.riskSignals).toEqual([]);
      expect(r.policy).toEqual({
        productRuleId: "aws",
        eligible: true,
        clauses: ["billing-errors-refunded"],
        exclusion: null,
      });
      expect(r.queue).toBe("aws");
      expect(r.targetBusinessDays).toBe(5);
    });

    it("fast-tracks an account credit as an account credit", () => {
      expect(review(base({ desiredOutcome: "account_credit" })).route).toEqual({
        to: "fast_track",
        outcome: "account_credit",
      });
    });

    it("records every check in a fixed order", () => {
      expect(review(base()).checks.map((c) => c.code)).toEqual([
        "billing_record",
        "amount_fits",
        "policy",
        "finding_reconfirmed",
        "kyc",
        "identity_links",
      ]);
    });
  });

  describe("the fast-track limit (USD 200.00)", () => {
    it("still fast-tracks exactly USD 200.00", () => {
      expect(review(forAmount("200.00")).route).toEqual({
        to: "fast_track",
        outcome: "refund_original_method",
      });
    });

    it("sends USD 200.01 to a reviewer, though every check passes, target 10 business days", () => {
      const r = review(forAmount("200.01"));
      expect(results(r)).toEqual(ALL_PASS);
      expect(r.riskSignals).toEqual([]);
      expect(r.route).toEqual({ to: "reviewer" });
      expect(r.targetBusinessDays).toBe(10);
    });

    it("uses CNY 1500.00 for yuan: 1500.00 fast-tracks, 1500.01 goes to a reviewer", () => {
      expect(review(forAmount("1500.00", "CNY")).route).toEqual({
        to: "fast_track",
        outcome: "refund_original_method",
      });
      expect(review(forAmount("1500.01", "CNY")).route).toEqual({ to: "reviewer" });
    });

    it("does not apply the yuan limit to dollars: USD 1500.00 goes to a reviewer", () => {
      expect(review(forAmount("1500.00")).route).toEqual({ to: "reviewer" });
    });
  });

  describe("the senior review threshold (USD 5000.00)", () => {
    it("keeps exactly USD 5000.00 with a reviewer", () => {
      expect(review(forAmount("5000.00")).route).toEqual({ to: "reviewer" });
    });

    it("routes USD 5000.01 to a senior reviewer", () => {
      const r = review(forAmount("5000.01"));
      expect(r.route).toEqual({ to: "senior_reviewer" });
      expect(r.targetBusinessDays).toBe(10);
    });

    it("uses CNY 35000.00 for yuan: CNY 5000.01 stays with a reviewer, 35000.01 goes to a senior", () => {
      expect(review(forAmount("5000.01", "CNY")).route).toEqual({ to: "reviewer" });
      expect(review(forAmount("35000.01", "CNY")).route).toEqual({ to: "senior_reviewer" });
    });
  });

  describe.each<EffectiveKycStatus>(["unverified", "pending", "rejected", "expired"])(
    "when KYC is %s",
    (kycStatus) => {
      it("asks for attention on kyc, signals kyc_not_verified and does not fast-track", () => {
        const r = review(base({ kycStatus }));
        expect(results(r)).toEqual({ ...ALL_PASS, kyc: "attention" });
        expect(r.riskSignals).toEqual(["kyc_not_verified"]);
        expect(r.route).toEqual({ to: "reviewer" });
        expect(r.targetBusinessDays).toBe(10);
      });
    },
  );

  describe("identity links", () => {
    it("passes a link compliance reviewed as legitimate", () => {
      const r = review(base({ identityLinks: [{ accountId: "acc_other", verdict: "legitimate" }] }));
      expect(check(r, "identity_links")).toBe("pass");
      expect(r.route).toEqual({ to: "fast_track", outcome: "refund_original_method" });
    });

    it("asks for attention on an unreviewed link, signals identity_link_unreviewed, no fast-track", () => {
      const r = review(base({ identityLinks: [{ accountId: "acc_other", verdict: null }] }));
      expect(results(r)).toEqual({ ...ALL_PASS, identity_links: "attention" });
      expect(r.riskSignals).toEqual(["identity_link_unreviewed"]);
      expect(r.route).toEqual({ to: "reviewer" });
    });

    it("fails on a link flagged as suspected abuse, signals identity_link_suspected_abuse", () => {
      const r = review(base({ identityLinks: [{ accountId: "acc_other", verdict: "suspected_abuse" }] }));
      expect(results(r)).toEqual({ ...ALL_PASS, identity_links: "fail" });
      expect(r.riskSignals).toEqual(["identity_link_suspected_abuse"]);
      expect(r.route).toEqual({ to: "reviewer" });
    });

    it("fails on abuse even beside an unreviewed link, and signals both", () => {
      const r = review(
        base({
          identityLinks: [
            { accountId: "acc_a", verdict: null },
            { accountId: "acc_b", verdict: "suspected_abuse" },
          ],
        }),
      );
      expect(check(r, "identity_links")).toBe("fail");
      expect(r.riskSignals).toEqual(["identity_link_suspected_abuse", "identity_link_unreviewed"]);
    });
  });

  describe("the finding", () => {
    it("fails finding_reconfirmed when the latest audit no longer reports it", () => {
      const facts = base();
      const r = review({ ...facts, finding: facts.finding && { ...facts.finding, stillReported: false } });
      expect(results(r)).toEqual({ ...ALL_PASS, finding_reconfirmed: "fail" });
      expect(r.riskSignals).toEqual(["finding_not_reconfirmed"]);
      expect(r.route).toEqual({ to: "reviewer" });
      expect(r.checks.find((c) => c.code === "finding_reconfirmed")?.detail).toContain(
        "no longer reported by the latest audit",
      );
    });

    it("fails finding_reconfirmed when the finding's claim window has closed", () => {
      const facts = base();
      const r = review({ ...facts, finding: facts.finding && { ...facts.finding, claimable: false } });
      expect(check(r, "finding_reconfirmed")).toBe("fail");
      expect(r.riskSignals).toEqual(["finding_not_reconfirmed"]);
    });

    it("fails finding_reconfirmed when the case asks for more than the finding found", () => {
      const facts = base();
      const r = review({ ...facts, finding: facts.finding && { ...facts.finding, amount: "39.99" } });
      expect(check(r, "finding_reconfirmed")).toBe("fail");
      expect(r.riskSignals).toEqual(["finding_not_reconfirmed"]);
    });

    it("without a finding, skips finding_reconfirmed but does not fast-track", () => {
      const r = review(base({ finding: null }));
      expect(results(r)).toEqual({
        billing_record: "pass",
        amount_fits: "pass",
        policy: "pass",
        kyc: "pass",
        identity_links: "pass",
      });
      expect(r.riskSignals).toEqual([]);
      expect(r.route).toEqual({ to: "reviewer" });
      expect(r.targetBusinessDays).toBe(10);
    });

    it("fast-tracks a billed-beyond-usage finding filed as a billing error", () => {
      const facts = base({ reason: "billing_error" });
      const r = review({
        ...facts,
        finding: facts.finding && { ...facts.finding, kind: "billed_beyond_usage" },
      });
      expect(r.route).toEqual({ to: "fast_track", outcome: "refund_original_method" });
    });

    it("does not fast-track a finding of a kind outside the fast-track list", () => {
      const facts = base({ reason: "charged_after_cancellation" });
      const r = review({
        ...facts,
        finding: facts.finding && { ...facts.finding, kind: "charged_after_cancellation" },
      });
      expect(results(r)).toEqual(ALL_PASS);
      expect(r.route).toEqual({ to: "reviewer" });
    });
  });

  it.each(["partial_refund", "service_adjustment"] as const)(
    "does not fast-track a desired outcome of %s",
    (desiredOutcome) => {
      const r = review(base({ desiredOutcome }));
      expect(results(r)).toEqual(ALL_PASS);
      expect(r.riskSignals).toEqual([]);
      expect(r.route).toEqual({ to: "reviewer" });
      expect(r.targetBusinessDays).toBe(10);
    },
  );

  describe("amount_fits", () => {
    it("fails above the refundable remainder and signals amount_exceeds_refundable", () => {
      const facts = base({ amount: "40.01" });
      const r = review({ ...facts, finding: facts.finding && { ...facts.finding, amount: "40.01" } });
      expect(results(r)).toEqual({ ...ALL_PASS, amount_fits: "fail" });
      expect(r.riskSignals).toEqual(["amount_exceeds_refundable"]);
      expect(r.route).toEqual({ to: "reviewer" });
      expect(r.checks.find((c) => c.code === "amount_fits")?.detail).toMatch(
        /^Requested 40\.01 USD; refundable remainder 40(\.00)? USD\.$/,
      );
    });

    it("fails a zero amount", () => {
      const r = review(base({ amount: "0" }));
      expect(check(r, "amount_fits")).toBe("fail");
      expect(r.riskSignals).toEqual(["amount_exceeds_refundable"]);
    });

    it("passes an amount below the remainder", () => {
      expect(check(review(base({ amount: "12.50" })), "amount_fits")).toBe("pass");
    });
  });

  it("fails billing_record when the charge is no longer in the billing store", () => {
    const facts = base();
    const r = review({ ...facts, charge: { ...facts.charge, exists: false } });
    expect(results(r)).toEqual({ ...ALL_PASS, billing_record: "fail" });
    expect(r.route).toEqual({ to: "reviewer" });
  });

  describe("the policy check", () => {
    it("asks for attention when no clause decides the reason (other)", () => {
      const r = review(base({ reason: "other" }));
      expect(r.policy.eligible).toBeNull();
      expect(check(r, "policy")).toBe("attention");
      expect(r.route).toEqual({ to: "reviewer" });
    });

    it("fails when the policy excludes the request, citing the clause", () => {
      const r = review(alibabaPurchase({ submittedAt: "2026-05-07T00:00:00Z" }));
      expect(check(r, "policy")).toBe("fail");
      expect(r.checks.find((c) => c.code === "policy")?.detail).toBe(
        "Excluded by alibaba-five-day-no-reason-refund: The no-reason refund must be asked for within 5 days of purchase.",
      );
      expect(r.riskSignals).toEqual([]);
    });

    it("signals no_reason_refund_already_used when this year's no-reason refund was granted", () => {
      const r = review(alibabaPurchase({ noReasonRefundsThisYear: 1 }));
      expect(check(r, "policy")).toBe("fail");
      expect(r.riskSignals).toEqual(["no_reason_refund_already_used"]);
      expect(r.queue).toBe("alibaba-subscription");
    });
  });
});

describe("evaluatePolicy", () => {
  describe("an accidental purchase of an Alibaba Cloud ECS subscription", () => {
    it("is eligible within 5 days under alibaba-five-day-no-reason-refund", () => {
      expect(evaluatePolicy(alibabaPurchase(), DEFAULT_POLICY)).toEqual({
        productRuleId: "alibaba-subscription",
        eligible: true,
        clauses: ["alibaba-five-day-no-reason-refund"],
        exclusion: null,
      });
    });

    it("is eligible on the fifth day to the millisecond", () => {
      expect(
        evaluatePolicy(alibabaPurchase({ submittedAt: "2026-05-06T00:00:00.000Z" }), DEFAULT_POLICY).eligible,
      ).toBe(true);
    });

    it("is excluded after 5 days", () => {
      expect(
        evaluatePolicy(alibabaPurchase({ submittedAt: "2026-05-06T00:00:00.001Z" }), DEFAULT_POLICY),
      ).toEqual({
        productRuleId: "alibaba-subscription",
        eligible: false,
        clauses: ["alibaba-five-day-no-reason-refund"],
        exclusion: {
          clauseId: "alibaba-five-day-no-reason-refund",
          reason: "The no-reason refund must be asked for within 5 days of purchase.",
        },
      });
    });

    it("is excluded when the purchase date is unknown", () => {
      const facts = alibabaPurchase();
      const p = evaluatePolicy(
        { ...facts, charge: { ...facts.charge, chargePeriodStart: null } },
        DEFAULT_POLICY,
      );
      expect(p.eligible).toBe(false);
      expect(p.exclusion?.clauseId).toBe("alibaba-five-day-no-reason-refund");
    });

    it("is excluded once a no-reason refund was already granted this calendar year", () => {
      const p = evaluatePolicy(alibabaPurchase({ noReasonRefundsThisYear: 1 }), DEFAULT_POLICY);
      expect(p.productRuleId).toBe("alibaba-subscription");
      expect(p.eligible).toBe(false);
      expect(p.clauses).toEqual(["alibaba-five-day-no-reason-refund"]);
      expect(p.exclusion?.clauseId).toBe("alibaba-five-day-no-reason-refund");
      expect(p.exclusion?.reason).toContain("already granted");
    });

    it("treats a recurring charge as a subscription too", () => {
      const facts = alibabaPurchase();
      const p = evaluatePolicy(
        { ...facts, charge: { ...facts.charge, chargeCategory: "Usage", chargeFrequency: "Recurring" } },
        DEFAULT_POLICY,
      );
      expect(p.productRuleId).toBe("alibaba-subscription");
      expect(p.eligible).toBe(true);
    });
  });

  it("excludes an accidental pay-as-you-go Alibaba Cloud charge under its own clause", () => {
    const facts = alibabaPurchase();
    expect(
      evaluatePolicy(
        { ...facts, charge: { ...facts.charge, chargeCategory: "Usage", chargeFrequency: "Usage-Based" } },
        DEFAULT_POLICY,
      ),
    ).toEqual({
      productRuleId: "alibaba-pay-as-you-go",
      eligible: false,
      clauses: [
        "alibaba-pay-as-you-go-no-no-reason-refund",
        "alibaba-vouchers-not-refunded-in-cash",
        "billing-errors-refunded",
        "non-refundable-promotions",
        "refund-currency",
      ],
      exclusion: {
        clauseId: "alibaba-pay-as-you-go-no-no-reason-refund",
        reason: "This product has no refund without a reason; billing errors are still refunded.",
      },
    });
  });

  it("excludes an accidental AWS purchase citing aws-no-no-reason-refund", () => {
    const facts = base({ reason: "accidental_purchase" });
    const p = evaluatePolicy(
      { ...facts, charge: { ...facts.charge, chargeCategory: "Purchase", chargeFrequency: "One-Time" } },
      DEFAULT_POLICY,
    );
    expect(p.productRuleId).toBe("aws");
    expect(p.eligible).toBe(false);
    expect(p.exclusion?.clauseId).toBe("aws-no-no-reason-refund");
  });

  it("leaves reason other to a reviewer (eligible null) with the product's clauses", () => {
    expect(evaluatePolicy(base({ reason: "other" }), DEFAULT_POLICY)).toEqual({
      productRuleId: "aws",
      eligible: null,
      clauses: [
        "aws-no-no-reason-refund",
        "billing-errors-refunded",
        "non-refundable-promotions",
        "refund-currency",
      ],
      exclusion: null,
    });
  });

  it.each([
    ["sla_breach", "sla-credit"],
    ["unused_prepaid", "unused-prepaid-credit"],
    ["billing_error", "billing-errors-refunded"],
    ["duplicate_charge", "billing-errors-refunded"],
    ["charged_after_cancellation", "billing-errors-refunded"],
    ["promotion_not_applied", "billing-errors-refunded"],
  ] as const)("makes %s eligible under %s", (reason, clause) => {
    expect(evaluatePolicy(base({ reason }), DEFAULT_POLICY)).toEqual({
      productRuleId: "aws",
      eligible: true,
      clauses: [clause],
      exclusion: null,
    });
  });

  it("refunds a billing error on an Alibaba pay-as-you-go charge, whatever the product allows", () => {
    const facts = alibabaPurchase({ reason: "duplicate_charge" });
    const p = evaluatePolicy(
      { ...facts, charge: { ...facts.charge, chargeCategory: "Usage", chargeFrequency: "Usage-Based" } },
      DEFAULT_POLICY,
    );
    expect(p).toEqual({
      productRuleId: "alibaba-pay-as-you-go",
      eligible: true,
      clauses: ["billing-errors-refunded"],
      exclusion: null,
    });
  });
});

describe("billingTypeOf", () => {
  const charge = base().charge;

  it.each([
    ["Purchase", "One-Time", "subscription"],
    ["Usage", "Recurring", "subscription"],
    ["Usage", "Usage-Based", "pay_as_you_go"],
    [null, null, "pay_as_you_go"],
  ] as const)(
    "reads ChargeCategory %s, ChargeFrequency %s as %s",
    (chargeCategory, chargeFrequency, type) => {
      expect(billingTypeOf({ ...charge, chargeCategory, chargeFrequency })).toBe(type);
    },
  );
});
