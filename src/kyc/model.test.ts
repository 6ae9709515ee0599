import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  effectiveKyc,
  KYC_EVENTS,
  KYC_STATUSES,
  KYC_TRANSITIONS,
  type KycEvent,
  type KycFacts,
  type KycStatus,
  kycExpiry,
  nextKycStatus,
  normaliseIdentityNumber,
  normaliseLegalName,
} from "./model.js";

// Written out by hand: the oracle must not be derived from the table it checks.
const EXPECTED: Record<KycStatus, Record<KycEvent, KycStatus | null>> = {
  unverified: { submit: "pending", approve: null, reject: null },
  pending: { submit: "pending", approve: "verified", reject: "rejected" },
  verified: { submit: "pending", approve: null, reject: null },
  rejected: { submit: "pending", approve: null, reject: null },
};

describe("KYC state machine", () => {
  const cases = KYC_STATUSES.flatMap((s) => KYC_EVENTS.map((e) => [s, e, EXPECTED[s][e]] as const));

  it("covers every state and event", () => {
    expect(cases).toHaveLength(4 * 3);
    expect(Object.keys(KYC_TRANSITIONS).sort()).toEqual([...KYC_STATUSES].sort());
  });

  it.each(cases)("%s + %s → %s", (status, event, expected) => {
    expect(nextKycStatus(status, event)).toBe(expected);
    const row: Partial<Record<KycEvent, KycStatus>> = KYC_TRANSITIONS[status];
    expect(row[event] ?? null).toBe(expected);
  });
});

const NOW = "2026-05-04T10:00:00.000Z";
const LATER = "2027-05-04T10:00:00.000Z";

function facts(overrides: Partial<KycFacts> = {}): KycFacts {
  return {
    id: "acct_member",
    is_billing: 0,
    kyc_type: null,
    kyc_status: "unverified",
    kyc_legal_name: null,
    kyc_expires_at: null,
    ...overrides,
  };
}

const enterpriseBilling = (overrides: Partial<KycFacts> = {}) =>
  facts({
    id: "acct_billing",
    is_billing: 1,
    kyc_type: "enterprise",
    kyc_status: "verified",
    kyc_legal_name: "Acme Analytics Ltd",
    kyc_expires_at: LATER,
    ...overrides,
  });

describe("effectiveKyc", () => {
  it("an account verified on its own is verified until its expiry", () => {
    const own = facts({ kyc_type: "individual", kyc_status: "verified", kyc_expires_at: LATER });
    expect(effectiveKyc(own, null, NOW)).toEqual({ status: "verified", via: "own", expiresAt: LATER });
  });

  it("is expired at exactly the expiry instant, and verified one millisecond before", () => {
    const own = facts({ kyc_status: "verified", kyc_expires_at: LATER });
    expect(effectiveKyc(own, null, LATER).status).toBe("expired");
    expect(effectiveKyc(own, null, "2027-05-04T09:59:59.999Z").status).toBe("verified");
  });

  it("an unverified account with nothing to rely on has no source", () => {
    expect(effectiveKyc(facts(), null, NOW)).toEqual({ status: "unverified", via: null, expiresAt: null });
  });

  it("keeps its own pending or rejected status when it cannot rely on the billing account", () => {
    expect(effectiveKyc(facts({ kyc_status: "pending" }), null, NOW)).toMatchObject({
      status: "pending",
      via: "own",
    });
    expect(effectiveKyc(facts({ kyc_status: "rejected" }), enterpriseBilling(), NOW).status).toBe("rejected");
  });

  it.each([
    ["the same name", "Acme Analytics Ltd"],
    ["different case", "ACME analytics LTD"],
    ["different spacing", "  Acme   Analytics\tLtd "],
    ["full-width characters", "Ａｃｍｅ Ａｎａｌｙｔｉｃｓ Ｌｔｄ"],
  ])("a member relies on its enterprise billing account with %s", (_label, name) => {
    const member = facts({ kyc_legal_name: name });
    expect(effectiveKyc(member, enterpriseBilling(), NOW)).toEqual({
      status: "verified",
      via: "billing_account",
      expiresAt: LATER,
    });
  });

  it("not with a different legal name, nor without one", () => {
    expect(
      effectiveKyc(facts({ kyc_legal_name: "Acme Holdings Ltd" }), enterpriseBilling(), NOW).status,
    ).toBe("unverified");
    expect(effectiveKyc(facts(), enterpriseBilling(), NOW).status).toBe("unverified");
  });

  it("not when the billing verification is individual", () => {
    const member = facts({ kyc_legal_name: "Acme Analytics Ltd" });
    expect(effectiveKyc(member, enterpriseBilling({ kyc_type: "individual" }), NOW).status).toBe(
      "unverified",
    );
  });

  it("not when the billing verification expired (at its expiry instant)", () => {
    const member = facts({ kyc_legal_name: "Acme Analytics Ltd" });
    expect(effectiveKyc(member, enterpriseBilling({ kyc_expires_at: NOW }), NOW).status).toBe("unverified");
  });

  it("not when the billing account is not verified, or is not a billing account", () => {
    const member = facts({ kyc_legal_name: "Acme Analytics Ltd" });
    expect(effectiveKyc(member, enterpriseBilling({ kyc_status: "pending" }), NOW).status).toBe("unverified");
    expect(effectiveKyc(member, enterpriseBilling({ is_billing: 0 }), NOW).status).toBe("unverified");
  });

  it("an expired member does not fall back to its billing account's verification… unless names match", () => {
    const expiredOwn = facts({
      kyc_status: "verified",
      kyc_expires_at: NOW,
      kyc_legal_name: "Acme Analytics Ltd",
    });
    expect(effectiveKyc(expiredOwn, enterpriseBilling(), NOW)).toMatchObject({
      status: "verified",
      via: "billing_account",
    });
    expect(effectiveKyc({ ...expiredOwn, kyc_legal_name: "Other" }, enterpriseBilling(), NOW).status).toBe(
      "expired",
    );
  });
});

describe("normaliseLegalName", () => {
  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.string(), (s) => normaliseLegalName(normaliseLegalName(s)) === normaliseLegalName(s)),
    );
  });
});

describe("normaliseIdentityNumber", () => {
  it.each([
    ["ab 12-34 c", "AB1234C"],
    ["AB-12 34-C", "AB1234C"],
    ["  x\t9 9\n", "X99"],
    ["ＡＢ１２３４", "AB1234"],
    ["12–34—56", "123456"],
  ])("%j → %s", (raw, expected) => {
    expect(normaliseIdentityNumber(raw)).toBe(expected);
  });

  it("never keeps spaces, dashes or lower case, and is idempotent", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = normaliseIdentityNumber(s);
        return !/[\s-]/u.test(n) && n === n.toUpperCase() && normaliseIdentityNumber(n) === n;
      }),
    );
  });
});

describe("kycExpiry", () => {
  it("adds whole days", () => {
    expect(kycExpiry(NOW, 365)).toBe("2027-05-04T10:00:00.000Z");
    expect(kycExpiry(NOW, 0)).toBe(NOW);
  });
});
