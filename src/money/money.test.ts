import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../shared/errors.js";
import { currency } from "./currency.js";
import { Dec, Money, parseDecimal } from "./money.js";

// ---------------------------------------------------------------------------------------------------------
// Helpers

function catchError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError to be thrown");
}

function expectFieldError(fn: () => unknown, field: string, code: string): void {
  const error = catchError(fn);
  expect(error.code).toBe("validation_failed");
  expect(error.fieldErrors).toContainEqual(expect.objectContaining({ field, code }));
}

function expectMismatch(fn: () => unknown): void {
  expect(catchError(fn).code).toBe("currency_mismatch");
}

/** `units × 10^-scale` as a plain decimal string, built from a bigint so no float is ever involved. */
function scaled(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

const usd = (amount: string): Money => Money.of(amount, "USD");
const amounts = (items: readonly Money[]): string[] => items.map((m) => m.amount);
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

const currencyArb = fc.constantFrom("USD", "EUR", "JPY", "KWD");
const unitsArb = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });
const scaleArb = fc.integer({ min: 0, max: 12 });
const amountArb = fc.tuple(unitsArb, scaleArb).map(([units, scale]) => scaled(units, scale));
const moneyArb = (code: string): fc.Arbitrary<Money> => amountArb.map((a) => Money.of(a, code));
/** Two or three amounts in one randomly chosen currency. */
const pairArb = currencyArb.chain((code) => fc.tuple(moneyArb(code), moneyArb(code)));
const tripleArb = currencyArb.chain((code) => fc.tuple(moneyArb(code), moneyArb(code), moneyArb(code)));
const anyMoneyArb = currencyArb.chain(moneyArb);
/** Half of one minor unit: 0.005 for USD, 0.5 for JPY, 0.0005 for KWD. */
const halfMinor = (code: string): Money => Money.of(`5e-${currency(code).minorUnits + 1}`, code);

// ---------------------------------------------------------------------------------------------------------
// Parsing

describe("Money.of", () => {
  it.each([
    ["0.0000008", "0.0000008"],
    ["8.0E-7", "0.0000008"],
    ["8e-7", "0.0000008"],
    ["-12.5", "-12.5"],
    ["+3.10", "3.1"],
    ["1e3", "1000"],
    ["1.5E+2", "150"],
    [".5", "0.5"],
    ["007.50", "7.5"],
    ["-0", "0"],
    ["-0.000", "0"],
    ["0", "0"],
    ["1e30", "1000000000000000000000000000000"],
    ["1e-30", "0.000000000000000000000000000001"],
    ["1234567890123456789012345678901.123456789", "1234567890123456789012345678901.123456789"],
  ])("accepts %j exactly as %j", (input, amount) => {
    expect(usd(input).amount).toBe(amount);
  });

  it("keeps a 40-significant-digit amount with 40 decimal places exactly", () => {
    const input = `0.${"1234567891".repeat(4)}`;
    expect(usd(input).amount).toBe(input);
  });

  it.each([
    ["empty strings", ""],
    ["leading whitespace", " 1"],
    ["trailing whitespace", "1 "],
    ["a trailing newline", "1\n"],
    ["NaN", "NaN"],
    ["Infinity", "Infinity"],
    ["-Infinity", "-Infinity"],
    ["hex literals", "0x10"],
    ["binary literals", "0b101"],
    ["octal literals", "0o17"],
    ["thousands separators", "1,000.00"],
    ["decimal commas", "12,50"],
    ["underscore separators", "1_000"],
    ["a trailing dot", "1."],
    ["a bare dot", "."],
    ["a dangling exponent", "1e"],
    ["double signs", "--1"],
    ["a currency symbol", "$12"],
    ["non-ASCII digits", "١٢"],
    ["full-width digits", "１２"],
    ["an exponent above 30", "1e31"],
    ["an exponent below -30", "1e-31"],
    ["a padded exponent above 30", "1e+0031"],
    ["an enormous exponent", "1e999999999999999999"],
    ["more than 40 significant digits", `${"1".repeat(30)}.${"1".repeat(11)}`],
    ["a magnitude of 10^31 or more", `1${"0".repeat(31)}`],
    ["more than 40 decimal places", `0.${"0".repeat(40)}1`],
    ["inputs longer than 100 characters", `0.${"0".repeat(99)}`],
  ])("rejects %s with invalid_amount", (_what, input) => {
    expectFieldError(() => usd(input), "amount", "invalid_amount");
  });

  it("rejects a JS number smuggled past the types with invalid_amount", () => {
    expectFieldError(() => Money.of(12.5 as unknown as string, "USD"), "amount", "invalid_amount");
  });

  it("rejects an unknown or lower-case currency with unknown_currency", () => {
    expectFieldError(() => Money.of("1", "usd"), "currency", "unknown_currency");
    expectFieldError(() => Money.of("1", "ZZZ"), "currency", "unknown_currency");
  });

  it("reports a bad amount and a bad currency together", () => {
    const error = catchError(() => Money.of("abc", "zzz"));
    expect(error.fieldErrors.map((e) => [e.field, e.code])).toEqual([
      ["amount", "invalid_amount"],
      ["currency", "unknown_currency"],
    ]);
  });

  it("gives the same value for plain and exponent spellings", () => {
    fc.assert(
      fc.property(unitsArb, fc.integer({ min: 0, max: 20 }), (units, scale) => {
        expect(usd(`${units}e-${scale}`).equals(usd(scaled(units, scale)))).toBe(true);
      }),
    );
  });

  it("round-trips its amount string, which never has an exponent or a negative zero", () => {
    fc.assert(
      fc.property(anyMoneyArb, (m) => {
        expect(m.amount).toMatch(/^-?\d+(\.\d*[1-9])?$/);
        expect(m.amount).not.toBe("-0");
        expect(Money.of(m.amount, m.currency).equals(m)).toBe(true);
      }),
    );
  });
});

describe("parseDecimal", () => {
  it("parses exactly with the same rules as Money.of", () => {
    expect(parseDecimal("0.0000008", "quantity").toFixed()).toBe("0.0000008");
    expect(parseDecimal("8.0E-7", "quantity").toFixed()).toBe("0.0000008");
  });

  it("rejects with the given field and invalid_decimal by default", () => {
    expectFieldError(() => parseDecimal("0x10", "quantity"), "quantity", "invalid_decimal");
    expectFieldError(() => parseDecimal("", "unitPrice"), "unitPrice", "invalid_decimal");
  });

  it("uses a caller-chosen error code", () => {
    expectFieldError(() => parseDecimal("NaN", "percent", "invalid_percent"), "percent", "invalid_percent");
  });

  it("never prints exponent notation", () => {
    expect(parseDecimal("1e-30", "x").toString()).toBe("0.000000000000000000000000000001");
    expect(new Dec("1e30").toString()).toBe("1000000000000000000000000000000");
  });
});

// ---------------------------------------------------------------------------------------------------------
// Construction and output

describe("Money construction", () => {
  it("zero is zero in the currency", () => {
    expect(Money.zero("JPY").toJSON()).toEqual({ amount: "0", currency: "JPY" });
    expectFieldError(() => Money.zero("usd"), "currency", "unknown_currency");
  });

  it.each([
    [1234n, "USD", "12.34"],
    [-5n, "KWD", "-0.005"],
    [1000n, "JPY", "1000"],
    [0n, "USD", "0"],
    [10n ** 30n, "USD", `1${"0".repeat(28)}`],
  ])("fromMinorUnits(%s, %s) is %s", (units, code, amount) => {
    expect(Money.fromMinorUnits(units, code).amount).toBe(amount);
  });

  it("is frozen, and arithmetic leaves its operands alone", () => {
    const a = usd("1.5");
    const b = usd("2");
    expect(Object.isFrozen(a)).toBe(true);
    a.plus(b);
    expect(a.amount).toBe("1.5");
    expect(b.amount).toBe("2");
  });

  it("compares structurally by amount, so toEqual cannot pass for different amounts", () => {
    expect(usd("1")).not.toEqual(usd("2"));
    expect(usd("1.50")).toEqual(usd("1.5"));
  });

  it("serialises to JSON with the exact amount", () => {
    expect(JSON.stringify({ total: usd("0.0000008") })).toBe(
      '{"total":{"amount":"0.0000008","currency":"USD"}}',
    );
  });

  it("prints the exact amount and currency in toString", () => {
    expect(usd("12.34").toString()).toBe("12.34 USD");
    expect(usd("-0.0000008").toString()).toBe("-0.0000008 USD");
  });
});

describe("Money.format", () => {
  const nbsp = (s: string): string => s.replace(/[\u00a0\u202f]/g, " ");

  it.each([
    ["1234.5", "USD", "en-US", "$1,234.50"],
    ["-0.005", "USD", "en-US", "-$0.01"],
    ["0.004", "USD", "en-US", "$0.00"],
    ["1000", "JPY", "en-US", "¥1,000"],
    ["999.5", "JPY", "en-US", "¥1,000"],
    ["1.25", "KWD", "en-US", "KWD 1.250"],
    ["1234.5", "EUR", "de-DE", "1.234,50 €"],
  ])("formats %s %s in %s as %j (rounded half-up)", (amount, code, locale, expected) => {
    expect(nbsp(Money.of(amount, code).format(locale))).toBe(expected);
  });

  it("defaults to en-US", () => {
    expect(usd("1").format()).toBe("$1.00");
  });

  it("formats amounts beyond float precision exactly", () => {
    expect(usd("12345678901234567890.125").format()).toBe("$12,345,678,901,234,567,890.13");
  });
});

// ---------------------------------------------------------------------------------------------------------
// Rounding

describe("Money.roundToMinor", () => {
  it.each([
    ["USD", "0.005", "0.01"],
    ["USD", "-0.005", "-0.01"],
    ["USD", "0.0049999", "0"],
    ["USD", "-0.0049999", "0"],
    ["USD", "1.125", "1.13"],
    ["USD", "-1.125", "-1.13"],
    ["USD", "2.675", "2.68"],
    ["JPY", "0.5", "1"],
    ["JPY", "-0.5", "-1"],
    ["JPY", "1000.4", "1000"],
    ["KWD", "1.2345", "1.235"],
    ["KWD", "-1.2345", "-1.235"],
    ["KWD", "1.2344999", "1.234"],
  ])("rounds %s %s half away from zero to %s", (code, amount, rounded) => {
    expect(Money.of(amount, code).roundToMinor().amount).toBe(rounded);
  });

  it.each([
    ["USD", "10", "10.00", 1000n],
    ["USD", "-0.004", "0.00", 0n],
    ["USD", "12.345", "12.35", 1235n],
    ["USD", "-12.345", "-12.35", -1235n],
    ["JPY", "1000", "1000", 1000n],
    ["JPY", "999.5", "1000", 1000n],
    ["KWD", "1.25", "1.250", 1250n],
    ["KWD", "-0.0005", "-0.001", -1n],
  ])("gives %s %s as %s and %s minor units", (code, amount, fixed, units) => {
    const m = Money.of(amount, code);
    expect(m.toFixedMinor()).toBe(fixed);
    expect(m.toMinorUnits()).toBe(units);
  });

  it("is idempotent and moves by at most half a minor unit", () => {
    fc.assert(
      fc.property(anyMoneyArb, (x) => {
        const r = x.roundToMinor();
        expect(r.roundToMinor().equals(r)).toBe(true);
        expect(x.minus(r).abs().lessThanOrEqual(halfMinor(x.currency))).toBe(true);
      }),
    );
  });

  it("agrees with fromMinorUnits(toMinorUnits())", () => {
    fc.assert(
      fc.property(anyMoneyArb, (x) => {
        expect(Money.fromMinorUnits(x.toMinorUnits(), x.currency).equals(x.roundToMinor())).toBe(true);
      }),
    );
  });

  it("rounds negatives as the mirror of positives", () => {
    fc.assert(
      fc.property(anyMoneyArb, (x) => {
        expect(x.negated().roundToMinor().equals(x.roundToMinor().negated())).toBe(true);
      }),
    );
  });

  it("always gives toFixedMinor exactly the currency's number of decimals", () => {
    fc.assert(
      fc.property(anyMoneyArb, (x) => {
        const decimals = x.toFixedMinor().split(".")[1]?.length ?? 0;
        expect(decimals).toBe(currency(x.currency).minorUnits);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Arithmetic

describe("Money arithmetic", () => {
  it("adds and subtracts exactly, beyond float precision", () => {
    expect(usd("0.1").plus(usd("0.2")).amount).toBe("0.3");
    expect(usd("0.0000008").plus(usd("0.0000002")).amount).toBe("0.000001");
    expect(usd("12345678901234567890.01").minus(usd("0.02")).amount).toBe("12345678901234567889.99");
  });

  it("negates, takes absolute values and tests sign", () => {
    expect(usd("1.5").negated().amount).toBe("-1.5");
    expect(usd("0").negated().amount).toBe("0");
    expect(usd("-1.5").abs().amount).toBe("1.5");
    expect(usd("-0.0000001").isNegative()).toBe(true);
    expect(usd("0.0000001").isPositive()).toBe(true);
    expect(usd("-0").isZero()).toBe(true);
    expect(usd("0").isNegative()).toBe(false);
    expect(usd("0").isPositive()).toBe(false);
  });

  it("multiplies exactly by decimal strings, bigints and Decimals", () => {
    expect(usd("0.0000008").times("1000000").amount).toBe("0.8");
    expect(usd("19.99").times(3n).amount).toBe("59.97");
    expect(usd("100").times(parseDecimal("0.175", "percent")).amount).toBe("17.5");
    expect(usd("1.1").times("1.1").amount).toBe("1.21");
  });

  it("rejects a malformed rate with field rate", () => {
    expectFieldError(() => usd("1").times("0x10"), "rate", "invalid_decimal");
  });

  it("divides exactly when the quotient terminates", () => {
    expect(usd("10").dividedBy("8").amount).toBe("1.25");
    expect(usd("1").dividedBy("-8").amount).toBe("-0.125");
    expect(usd("0.0000008").dividedBy("0.0000002").amount).toBe("4");
    expect(usd("1").dividedBy(1024n).amount).toBe("0.0009765625");
  });

  it("rounds a non-terminating quotient half away from zero at 40 decimal places", () => {
    expect(usd("10").dividedBy("3").amount).toBe(`3.${"3".repeat(40)}`);
    expect(usd("-2").dividedBy("3").amount).toBe(`-0.${"6".repeat(39)}7`);
  });

  it("rejects division by zero with division_by_zero", () => {
    expectFieldError(() => usd("1").dividedBy("0"), "divisor", "division_by_zero");
    expectFieldError(() => usd("1").dividedBy(0n), "divisor", "division_by_zero");
  });

  it("sums a list in one currency, and an empty list to zero", () => {
    expect(Money.sum([usd("1.1"), usd("2.2"), usd("-0.3")], "USD").amount).toBe("3");
    expect(Money.sum([], "EUR").toJSON()).toEqual({ amount: "0", currency: "EUR" });
    expectFieldError(() => Money.sum([], "eur"), "currency", "unknown_currency");
  });

  it("compares, and picks min and max", () => {
    const small = usd("-1");
    const big = usd("0.0000001");
    expect(small.compare(big)).toBe(-1);
    expect(big.compare(small)).toBe(1);
    expect(usd("1.50").compare(usd("1.5"))).toBe(0);
    expect(small.lessThan(big) && big.greaterThan(small)).toBe(true);
    expect(small.lessThanOrEqual(small) && small.greaterThanOrEqual(small)).toBe(true);
    expect(Money.min(small, big)).toBe(small);
    expect(Money.max(small, big)).toBe(big);
  });
});

describe("currency mismatch", () => {
  const dollars = usd("1");
  const euros = Money.of("1", "EUR");

  it("throws currency_mismatch when combining or comparing two currencies", () => {
    expectMismatch(() => dollars.plus(euros));
    expectMismatch(() => dollars.minus(euros));
    expectMismatch(() => dollars.compare(euros));
    expectMismatch(() => dollars.lessThan(euros));
    expectMismatch(() => Money.min(dollars, euros));
    expectMismatch(() => Money.max(dollars, euros));
    expectMismatch(() => Money.sum([dollars, euros], "USD"));
    expectMismatch(() => Money.sum([euros], "USD"));
  });

  it("names both currencies in the error", () => {
    expect(catchError(() => dollars.plus(euros)).extensions).toEqual({ currencies: ["USD", "EUR"] });
  });

  it("treats amounts in different currencies as unequal rather than throwing", () => {
    expect(dollars.equals(euros)).toBe(false);
  });
});

describe("Money laws", () => {
  it("addition is commutative", () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        expect(a.plus(b).equals(b.plus(a))).toBe(true);
      }),
    );
  });

  it("addition is associative", () => {
    fc.assert(
      fc.property(tripleArb, ([a, b, c]) => {
        expect(
          a
            .plus(b)
            .plus(c)
            .equals(a.plus(b.plus(c))),
        ).toBe(true);
      }),
    );
  });

  it("a.plus(b).minus(b) equals a", () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        expect(a.plus(b).minus(b).equals(a)).toBe(true);
      }),
    );
  });

  it("adds like exact integer arithmetic on scaled values", () => {
    fc.assert(
      fc.property(unitsArb, unitsArb, scaleArb, (x, y, scale) => {
        expect(usd(scaled(x, scale)).plus(usd(scaled(y, scale))).amount).toBe(
          usd(scaled(x + y, scale)).amount,
        );
      }),
    );
  });

  it("negating twice is the identity", () => {
    fc.assert(
      fc.property(anyMoneyArb, (a) => {
        expect(a.negated().negated().equals(a)).toBe(true);
      }),
    );
  });

  it("compare is antisymmetric and agrees with the sign of minus", () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        expect(a.compare(b)).toBe(-b.compare(a) || 0);
        const difference = a.minus(b);
        const sign = difference.isZero() ? 0 : difference.isNegative() ? -1 : 1;
        expect(a.compare(b)).toBe(sign);
        expect(a.equals(b)).toBe(sign === 0);
      }),
    );
  });

  it("multiplying then dividing by the same non-zero rate gives back the amount", () => {
    fc.assert(
      fc.property(anyMoneyArb, amountArb, (a, rate) => {
        fc.pre(!parseDecimal(rate, "rate").isZero());
        expect(a.times(rate).dividedBy(rate).equals(a)).toBe(true);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Allocation

describe("Money.allocate", () => {
  it("gives leftover minor units to the largest remainders, earlier parts first on ties", () => {
    expect(amounts(usd("100").allocate(["1", "1", "1"]))).toEqual(["33.34", "33.33", "33.33"]);
    expect(amounts(usd("0.05").allocate(["1", "1"]))).toEqual(["0.03", "0.02"]);
    expect(amounts(usd("1").allocate(["0.2", "0.3", "0.5"]))).toEqual(["0.2", "0.3", "0.5"]);
    expect(amounts(usd("0.1").allocate(["1", "2"]))).toEqual(["0.03", "0.07"]);
  });

  it("splits negative totals as the mirror of positive ones", () => {
    expect(amounts(usd("-0.05").allocate(["1", "1"]))).toEqual(["-0.03", "-0.02"]);
    expect(amounts(usd("-100").allocate(["1", "1", "1"]))).toEqual(["-33.34", "-33.33", "-33.33"]);
  });

  it("rounds the total to the minor unit first", () => {
    expect(amounts(usd("10.005").allocate(["1"]))).toEqual(["10.01"]);
    expect(amounts(Money.of("1000.5", "JPY").allocate(["1", "1"]))).toEqual(["501", "500"]);
  });

  it("gives zero-weight parts nothing", () => {
    expect(amounts(usd("10").allocate(["0", "1", "0"]))).toEqual(["0", "10", "0"]);
  });

  it("rejects an empty weight list with no_weights", () => {
    expectFieldError(() => usd("1").allocate([]), "weights", "no_weights");
  });

  it("rejects all-zero weights with zero_weights", () => {
    expectFieldError(() => usd("1").allocate(["0", "0.00"]), "weights", "zero_weights");
  });

  it("rejects negative weights with negative_weight", () => {
    expectFieldError(() => usd("1").allocate(["1", "-1"]), "weights[1]", "negative_weight");
  });

  it("rejects malformed weights with invalid_weight", () => {
    expectFieldError(() => usd("1").allocate(["1", "1,5"]), "weights[1]", "invalid_weight");
  });

  const weightArb = fc.oneof(
    fc.constant("0"),
    fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 6 }))
      .map(([units, scale]) => scaled(units, scale)),
  );
  const weightsArb = fc
    .array(weightArb, { minLength: 1, maxLength: 12 })
    .filter((ws) => ws.some((w) => !parseDecimal(w, "w").isZero()));

  it("splits into whole minor units that sum exactly to the rounded total, each within one unit of its share", () => {
    fc.assert(
      fc.property(anyMoneyArb, weightsArb, (x, weights) => {
        const parts = x.allocate(weights);
        expect(parts).toHaveLength(weights.length);
        expect(Money.sum(parts, x.currency).equals(x.roundToMinor())).toBe(true);

        // Exact share of part i is T·w_i / W, so |part_i − share_i| < 1 unit ⇔ |part_i·W − T·w_i| < W.
        const total = x.toMinorUnits();
        const scale = 10n ** 6n;
        const w = weights.map((s) => BigInt(parseDecimal(s, "w").times(scale.toString()).toFixed(0)));
        const weightSum = w.reduce((s, v) => s + v, 0n);
        parts.forEach((part, i) => {
          expect(part.currency).toBe(x.currency);
          expect(part.roundToMinor().equals(part)).toBe(true);
          const units = part.toMinorUnits();
          expect(abs(units * weightSum - total * w[i]!) < weightSum).toBe(true);
          if (w[i] === 0n) expect(part.isZero()).toBe(true);
        });
      }),
    );
  });

  it("allocating a negated total negates every part", () => {
    fc.assert(
      fc.property(anyMoneyArb, weightsArb, (x, weights) => {
        expect(amounts(x.negated().allocate(weights))).toEqual(
          amounts(x.allocate(weights).map((p) => p.negated())),
        );
      }),
    );
  });
});

describe("Money.allocateEvenly", () => {
  it("splits into near-equal parts, earlier parts taking the extra units", () => {
    expect(amounts(usd("100").allocateEvenly(3))).toEqual(["33.34", "33.33", "33.33"]);
    expect(amounts(Money.of("-10", "JPY").allocateEvenly(4))).toEqual(["-3", "-3", "-2", "-2"]);
    expect(amounts(usd("0.01").allocateEvenly(3))).toEqual(["0.01", "0", "0"]);
  });

  it.each([0, -1, 1.5, Number.NaN, 2_000_000])("rejects %s parts with invalid_parts", (parts) => {
    expectFieldError(() => usd("1").allocateEvenly(parts), "parts", "invalid_parts");
  });

  it("matches allocate with equal weights", () => {
    fc.assert(
      fc.property(anyMoneyArb, fc.integer({ min: 1, max: 20 }), (x, n) => {
        expect(amounts(x.allocateEvenly(n))).toEqual(amounts(x.allocate(new Array<string>(n).fill("1"))));
      }),
    );
  });
});
