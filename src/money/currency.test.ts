import currencyCodes from "currency-codes";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../shared/errors.js";
import { currency, isCurrencyCode } from "./currency.js";

function expectUnknownCurrency(code: string): void {
  let caught: unknown;
  try {
    currency(code);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  const error = caught as AppError;
  expect(error.code).toBe("validation_failed");
  expect(error.fieldErrors).toEqual([
    expect.objectContaining({ field: "currency", code: "unknown_currency" }),
  ]);
}

describe("currency", () => {
  it.each([
    ["USD", 2],
    ["EUR", 2],
    ["CNY", 2],
    ["JPY", 0],
    ["KWD", 3],
    ["BHD", 3],
  ])("gives %s %i minor units", (code, minorUnits) => {
    expect(currency(code)).toEqual({ code, minorUnits });
  });

  it("treats units of account without a minor unit (XAU, XXX) as 0 minor units", () => {
    expect(currency("XAU").minorUnits).toBe(0);
    expect(currency("XXX").minorUnits).toBe(0);
  });

  it.each(["usd", "Usd", "US", "USDD", "", " USD", "USD ", "ZZZ", "U$D", "123"])(
    "rejects %j with unknown_currency",
    (code) => {
      expectUnknownCurrency(code);
    },
  );

  it("returns the same frozen object on repeated lookups", () => {
    const first = currency("EUR");
    expect(currency("EUR")).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("keeps a hostile code out of the error message", () => {
    try {
      currency("X".repeat(10_000));
      expect.unreachable();
    } catch (error) {
      expect((error as AppError).message.length).toBeLessThan(200);
    }
  });

  it("gives every code in the ISO list a whole, non-negative number of minor units", () => {
    for (const code of currencyCodes.codes()) {
      const { minorUnits } = currency(code);
      expect(Number.isInteger(minorUnits) && minorUnits >= 0, code).toBe(true);
    }
  });
});

describe("isCurrencyCode", () => {
  it("accepts known upper-case codes and rejects everything else", () => {
    expect(isCurrencyCode("USD")).toBe(true);
    expect(isCurrencyCode("JPY")).toBe(true);
    expect(isCurrencyCode("usd")).toBe(false);
    expect(isCurrencyCode("ZZZ")).toBe(false);
    expect(isCurrencyCode("")).toBe(false);
  });

  it("agrees with currency() on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 5 }), (code) => {
        let throws = false;
        try {
          currency(code);
        } catch {
          throws = true;
        }
        expect(isCurrencyCode(code)).toBe(!throws);
      }),
    );
  });
});
