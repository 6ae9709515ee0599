import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ApplyCreditsInput,
  applyCredits,
  type CreditGrant,
  compareGrants,
  type InvoiceCharge,
  inScope,
  isExpired,
} from "./apply-credits.js";
import { parseInvoicePeriod } from "./invoice-period.js";
import { roundInvoiceLines } from "./round-invoice-lines.js";

const AT = "2026-07-01T00:00:00.000Z";

const charge = (id: string, over: Partial<InvoiceCharge> = {}): InvoiceCharge => ({
  id,
  serviceName: "Amazon Simple Storage Service",
  regionId: "us-east-1",
  billedMinor: 1000n,
  currency: "USD",
  periodStart: "2026-06-01T00:00:00Z",
  ...over,
});

const grant = (id: string, over: Partial<CreditGrant> = {}): CreditGrant => ({
  id,
  currency: "USD",
  remainingMinor: 500n,
  scope: { services: [], regions: [] },
  priority: 100,
  expiresAt: "2027-01-01T00:00:00.000Z",
  createdAt: "2026-05-01T00:00:00.000Z",
  ...over,
});

const run = (charges: InvoiceCharge[], grants: CreditGrant[], at = AT) =>
  applyCredits({ currency: "USD", at, charges, grants });

describe("applyCredits", () => {
  describe("the documented order", () => {
    it("spends the lower priority first, then the earliest expiry, then the oldest, then the lower id", () => {
      const grants = [
        grant("crg_e", {
          priority: 100,
          expiresAt: "2026-12-01T00:00:00Z",
          createdAt: "2026-05-02T00:00:00Z",
        }),
        grant("crg_d", {
          priority: 100,
          expiresAt: "2026-12-01T00:00:00Z",
          createdAt: "2026-05-02T00:00:00Z",
        }),
        grant("crg_c", {
          priority: 100,
          expiresAt: "2026-12-01T00:00:00Z",
          createdAt: "2026-05-01T00:00:00Z",
        }),
        grant("crg_b", { priority: 100, expiresAt: "2026-08-01T00:00:00Z" }),
        grant("crg_a", { priority: 50, expiresAt: "2027-06-01T00:00:00Z" }),
      ];
      expect([...grants].sort(compareGrants).map((g) => g.id)).toEqual([
        "crg_a",
        "crg_b",
        "crg_c",
        "crg_d",
        "crg_e",
      ]);
      const result = run([charge("chg_1", { billedMinor: 1200n })], grants);
      expect(result.lines[0]!.credits).toEqual([
        { creditId: "crg_a", amountMinor: 500n },
        { creditId: "crg_b", amountMinor: 500n },
        { creditId: "crg_c", amountMinor: 200n },
      ]);
      expect(result.uses.map((u) => [u.creditId, u.usedMinor, u.remainingMinor])).toEqual([
        ["crg_a", 500n, 0n],
        ["crg_b", 500n, 0n],
        ["crg_c", 200n, 300n],
        ["crg_d", 0n, 500n],
        ["crg_e", 0n, 500n],
      ]);
    });

    it("compares expiries as instants, whatever their offset", () => {
      const early = grant("crg_z", { expiresAt: "2026-12-01T08:00:00+09:00" }); // 2026-11-30T23:00Z
      const late = grant("crg_a", { expiresAt: "2026-12-01T00:00:00Z" });
      expect([late, early].sort(compareGrants).map((g) => g.id)).toEqual(["crg_z", "crg_a"]);
    });

    it("covers charges in charge period order, then by id, and a credit only as far as it goes", () => {
      const result = run(
        [
          charge("chg_b", { periodStart: "2026-06-02T00:00:00Z" }),
          charge("chg_c", { periodStart: "2026-06-01T00:00:00Z" }),
          charge("chg_a", { periodStart: "2026-06-02T00:00:00Z" }),
        ],
        [grant("crg_1", { remainingMinor: 1500n })],
      );
      expect(result.lines.map((l) => [l.chargeId, l.creditedMinor, l.dueMinor])).toEqual([
        ["chg_c", 1000n, 0n],
        ["chg_a", 500n, 500n],
        ["chg_b", 0n, 1000n],
      ]);
      expect(result.totals).toEqual({ chargesMinor: 3000n, creditsMinor: 1500n, dueMinor: 1500n });
    });
  });

  describe("scope", () => {
    it("applies a scoped credit only to charges of its services and regions, compared exactly", () => {
      const result = run(
        [
          charge("chg_1", { serviceName: "Amazon Elastic Compute Cloud" }),
          charge("chg_2", { regionId: "eu-west-1" }),
          charge("chg_3", { serviceName: "amazon simple storage service" }),
          charge("chg_4", { serviceName: null }),
          charge("chg_5"),
        ],
        [
          grant("crg_1", {
            remainingMinor: 5000n,
            scope: { services: ["Amazon Simple Storage Service"], regions: ["us-east-1"] },
          }),
        ],
      );
      expect(result.lines.map((l) => [l.chargeId, l.creditedMinor])).toEqual([
        ["chg_1", 0n],
        ["chg_2", 0n],
        ["chg_3", 0n],
        ["chg_4", 0n],
        ["chg_5", 1000n],
      ]);
    });

    it("treats an empty list as any service or region, including a charge without one", () => {
      expect(inScope({ services: [], regions: [] }, { serviceName: null, regionId: null })).toBe(true);
      expect(inScope({ services: ["S3"], regions: [] }, { serviceName: null, regionId: "x" })).toBe(false);
      expect(inScope({ services: [], regions: ["global"] }, { serviceName: "CDN", regionId: "global" })).toBe(
        true,
      );
    });

    it("lets a narrow credit stay for a later invoice when a broad one ahead of it took the charge", () => {
      // The fixed order is greedy by design: the narrow credit is not lost, it waits (until it expires).
      const result = run(
        [charge("chg_1", { billedMinor: 500n })],
        [
          grant("crg_any", { priority: 1 }),
          grant("crg_s3", {
            priority: 2,
            scope: { services: ["Amazon Simple Storage Service"], regions: [] },
          }),
        ],
      );
      expect(result.uses.map((u) => [u.creditId, u.usedMinor])).toEqual([
        ["crg_any", 500n],
        ["crg_s3", 0n],
      ]);
    });
  });

  describe("what a credit never does", () => {
    it("never applies at or after its expiry", () => {
      const result = run(
        [charge("chg_1")],
        [grant("crg_1", { expiresAt: AT }), grant("crg_2", { expiresAt: "2026-06-30T23:59:59.999Z" })],
      );
      expect(result.totals.creditsMinor).toBe(0n);
      expect(result.skipped).toEqual([
        { creditId: "crg_2", reason: "expired" },
        { creditId: "crg_1", reason: "expired" },
      ]);
      expect(isExpired("not a date", AT)).toBe(true);
    });

    it("never applies across currencies, and leaves other-currency charges off the invoice", () => {
      const result = run(
        [charge("chg_eur", { currency: "EUR" }), charge("chg_usd")],
        [grant("crg_eur", { currency: "EUR", remainingMinor: 9999n })],
      );
      expect(result.lines.map((l) => l.chargeId)).toEqual(["chg_usd"]);
      expect(result.otherCurrencyChargeIds).toEqual(["chg_eur"]);
      expect(result.skipped).toEqual([{ creditId: "crg_eur", reason: "other_currency" }]);
      expect(result.totals).toEqual({ chargesMinor: 1000n, creditsMinor: 0n, dueMinor: 1000n });
    });

    it("gives nothing to zero or negative charges, and never takes the invoice below zero", () => {
      const result = run(
        [
          charge("chg_1", { billedMinor: 1000n }),
          charge("chg_2", { billedMinor: 0n }),
          charge("chg_3", { billedMinor: -700n, serviceName: "Amazon Elastic Compute Cloud" }),
        ],
        [grant("crg_1", { remainingMinor: 5000n })],
      );
      expect(result.lines.map((l) => [l.chargeId, l.creditedMinor, l.dueMinor])).toEqual([
        ["chg_1", 300n, 700n],
        ["chg_2", 0n, 0n],
        ["chg_3", 0n, -700n],
      ]);
      expect(result.totals).toEqual({ chargesMinor: 300n, creditsMinor: 300n, dueMinor: 0n });
      expect(result.uses[0]).toEqual({ creditId: "crg_1", usedMinor: 300n, remainingMinor: 4700n });
    });
  });

  describe("properties", () => {
    const SERVICES = ["Amazon Simple Storage Service", "Amazon Elastic Compute Cloud", "AWS Lambda"] as const;
    const REGIONS = ["us-east-1", "eu-west-1", "global"] as const;
    const INSTANTS = [
      "2026-06-01T00:00:00Z",
      "2026-06-15T12:00:00.000Z",
      "2026-06-30T23:59:59.999Z",
      AT,
      "2026-07-01T09:00:00+09:00",
      "2026-07-02T00:00:00Z",
      "2027-01-01T00:00:00Z",
    ];
    const currencyArb = fc.constantFrom("USD", "USD", "USD", "EUR");
    const chargeArb = fc.record({
      serviceName: fc.option(fc.constantFrom(...SERVICES), { freq: 6 }),
      regionId: fc.option(fc.constantFrom(...REGIONS), { freq: 6 }),
      billedMinor: fc.bigInt({ min: -2_000n, max: 50_000n }),
      currency: currencyArb,
      periodStart: fc.option(fc.constantFrom(...INSTANTS), { freq: 8 }),
    });
    const grantArb = fc.record({
      currency: currencyArb,
      remainingMinor: fc.bigInt({ min: -10n, max: 60_000n }),
      scope: fc.record({
        services: fc.uniqueArray(fc.constantFrom(...SERVICES), { maxLength: 2 }),
        regions: fc.uniqueArray(fc.constantFrom(...REGIONS), { maxLength: 2 }),
      }),
      priority: fc.integer({ min: 0, max: 3 }),
      expiresAt: fc.constantFrom(...INSTANTS),
      createdAt: fc.constantFrom(...INSTANTS.slice(0, 3)),
    });
    const inputArb: fc.Arbitrary<ApplyCreditsInput> = fc
      .record({
        charges: fc.array(chargeArb, { maxLength: 12 }),
        grants: fc.array(grantArb, { maxLength: 6 }),
        at: fc.constantFrom(AT, "2026-06-20T00:00:00Z"),
      })
      .map(({ charges, grants, at }) => ({
        currency: "USD",
        at,
        charges: charges.map((c, i) => ({ ...c, id: `chg_${String(i).padStart(2, "0")}` })),
        grants: grants.map((g, i) => ({ ...g, id: `crg_${String(i).padStart(2, "0")}` })),
      }));

    it("conserves money: what credits give is exactly what charges take", () => {
      fc.assert(
        fc.property(inputArb, (input) => {
          const r = applyCredits(input);
          const given = r.uses.reduce((s, u) => s + u.usedMinor, 0n);
          const taken = r.lines.reduce((s, l) => s + l.creditedMinor, 0n);
          expect(given).toBe(taken);
          expect(r.totals.creditsMinor).toBe(given);
          expect(r.totals.dueMinor).toBe(r.totals.chargesMinor - given);
          for (const u of r.uses) {
            const applied = r.lines
              .flatMap((l) => l.credits)
              .filter((a) => a.creditId === u.creditId)
              .reduce((s, a) => s + a.amountMinor, 0n);
            expect(applied).toBe(u.usedMinor);
          }
          for (const l of r.lines) {
            expect(l.creditedMinor).toBe(l.credits.reduce((s, a) => s + a.amountMinor, 0n));
            expect(l.dueMinor).toBe(l.billedMinor - l.creditedMinor);
          }
        }),
      );
    });

    it("takes no charge below zero, and no negative or zero charge takes anything", () => {
      fc.assert(
        fc.property(inputArb, (input) => {
          const r = applyCredits(input);
          for (const l of r.lines) {
            if (l.billedMinor <= 0n) expect(l.creditedMinor).toBe(0n);
            else expect(l.dueMinor >= 0n).toBe(true);
            for (const a of l.credits) expect(a.amountMinor > 0n).toBe(true);
          }
          if (r.totals.chargesMinor >= 0n) expect(r.totals.dueMinor >= 0n).toBe(true);
          else expect(r.totals.creditsMinor).toBe(0n);
        }),
      );
    });

    it("never uses a credit beyond what remains of it", () => {
      fc.assert(
        fc.property(inputArb, (input) => {
          const r = applyCredits(input);
          const byId = new Map(input.grants.map((g) => [g.id, g]));
          for (const u of r.uses) {
            const g = byId.get(u.creditId)!;
            expect(u.usedMinor >= 0n && u.usedMinor <= g.remainingMinor).toBe(true);
            expect(u.remainingMinor).toBe(g.remainingMinor - u.usedMinor);
          }
          const accounted = [...r.uses.map((u) => u.creditId), ...r.skipped.map((s) => s.creditId)];
          expect(accounted.sort()).toEqual(input.grants.map((g) => g.id).sort());
        }),
      );
    });

    it("respects scope, currency and expiry on every application", () => {
      fc.assert(
        fc.property(inputArb, (input) => {
          const r = applyCredits(input);
          const grants = new Map(input.grants.map((g) => [g.id, g]));
          const charges = new Map(input.charges.map((c) => [c.id, c]));
          for (const l of r.lines)
            for (const a of l.credits) {
              const g = grants.get(a.creditId)!;
              const c = charges.get(l.chargeId)!;
              expect(inScope(g.scope, c)).toBe(true);
              expect(g.currency).toBe(c.currency);
              expect(c.currency).toBe(input.currency);
              expect(isExpired(g.expiresAt, input.at)).toBe(false);
            }
        }),
      );
    });

    it("leaves a credit unspent only when nothing in its scope was left to cover", () => {
      fc.assert(
        fc.property(inputArb, (input) => {
          const r = applyCredits(input);
          if (r.totals.creditsMinor === (r.totals.chargesMinor > 0n ? r.totals.chargesMinor : 0n)) return;
          const grants = new Map(input.grants.map((g) => [g.id, g]));
          for (const u of r.uses.filter((x) => x.remainingMinor > 0n))
            for (const l of r.lines)
              if (
                l.billedMinor > 0n &&
                inScope(grants.get(u.creditId)!.scope, input.charges.find((c) => c.id === l.chargeId)!)
              )
                expect(l.dueMinor).toBe(0n);
        }),
      );
    });

    it("is deterministic: the order the inputs come in changes nothing", () => {
      fc.assert(
        fc.property(inputArb, fc.integer(), (input, seed) => {
          const shuffle = <T>(xs: readonly T[]): T[] => {
            const out = [...xs];
            let s = seed;
            for (let i = out.length - 1; i > 0; i--) {
              s = (s * 1103515245 + 12345) & 0x7fffffff;
              const j = s % (i + 1);
              [out[i], out[j]] = [out[j]!, out[i]!];
            }
            return out;
          };
          const a = applyCredits(input);
          const b = applyCredits({
            ...input,
            charges: shuffle(input.charges),
            grants: shuffle(input.grants),
          });
          expect(b).toEqual(a);
        }),
      );
    });
  });
});

describe("roundInvoiceLines", () => {
  it("rounds the total once and gives the rounding's units to the largest fractions", () => {
    expect(roundInvoiceLines(["3.333", "3.333", "3.334"], "USD")).toEqual([333n, 333n, 334n]);
    expect(roundInvoiceLines(["0.004", "0.004", "0.004"], "USD")).toEqual([1n, 0n, 0n]);
    expect(roundInvoiceLines(Array(1000).fill("0.0000008"), "USD").reduce((s, x) => s + x, 0n)).toBe(0n);
    expect(roundInvoiceLines(Array(20_000).fill("0.0008"), "USD").reduce((s, x) => s + x, 0n)).toBe(1600n);
    expect(roundInvoiceLines(["1000", "-0.5"], "JPY")).toEqual([1000n, 0n]);
    expect(roundInvoiceLines([], "USD")).toEqual([]);
  });

  it("adds up to the exact total rounded half away from zero, each line within one minor unit of its exact amount", () => {
    const amount = fc
      .tuple(fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), fc.integer({ min: 0, max: 7 }))
      .map(([units, places]) => {
        const negative = units < 0n;
        const digits = (negative ? -units : units).toString().padStart(places + 1, "0");
        const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
        return { text: `${negative ? "-" : ""}${text}`, units, places };
      });
    fc.assert(
      fc.property(fc.array(amount, { maxLength: 30 }), (amounts) => {
        const lines = roundInvoiceLines(
          amounts.map((a) => a.text),
          "USD",
        );
        // Exact values in units of 10^-9 USD (cents × 10^7).
        const exact = amounts.map((a) => a.units * 10n ** BigInt(9 - a.places));
        const total = exact.reduce((s, x) => s + x, 0n);
        const scale = 10n ** 7n;
        const half = scale / 2n;
        const rounded = total >= 0n ? (total + half) / scale : -((-total + half) / scale);
        expect(lines.reduce((s, x) => s + x, 0n)).toBe(rounded);
        for (const [i, line] of lines.entries()) {
          const diff = line * scale - exact[i]!;
          expect(diff > -scale && diff < scale).toBe(true);
        }
      }),
    );
  });
});

describe("parseInvoicePeriod", () => {
  it("reads a month as that calendar month in UTC", () => {
    expect(parseInvoicePeriod({ period: "2026-12" })).toEqual({
      start: "2026-12-01T00:00:00.000Z",
      end: "2027-01-01T00:00:00.000Z",
    });
  });

  it("reads explicit instants with a zone, end exclusive", () => {
    expect(
      parseInvoicePeriod({ periodStart: "2026-06-01T00:00:00+02:00", periodEnd: "2026-06-16T00:00:00Z" }),
    ).toEqual({ start: "2026-05-31T22:00:00.000Z", end: "2026-06-16T00:00:00.000Z" });
  });

  it.each([
    [{ period: "2026-13" }, "period", "invalid_month"],
    [{ period: "2026-6" }, "period", "invalid_month"],
    [{}, "period", "required"],
    [{ period: "2026-06", periodStart: "2026-06-01T00:00:00Z" }, "period", "ambiguous"],
    [{ periodStart: "2026-06-01T00:00:00Z" }, "periodEnd", "required"],
    [{ periodStart: "2026-06-01", periodEnd: "2026-07-01T00:00:00Z" }, "periodStart", "invalid_instant"],
    [
      { periodStart: "2026-02-30T00:00:00Z", periodEnd: "2026-07-01T00:00:00Z" },
      "periodStart",
      "invalid_instant",
    ],
    [{ periodStart: "2026-07-01T00:00:00Z", periodEnd: "2026-07-01T00:00:00Z" }, "periodEnd", "before_start"],
  ])("rejects %j with %s %s", (input, field, code) => {
    expect(() => parseInvoicePeriod(input)).toThrowError(
      expect.objectContaining({
        code: "validation_failed",
        fieldErrors: [expect.objectContaining({ field, code })],
      }),
    );
  });
});
