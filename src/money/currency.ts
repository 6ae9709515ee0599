import currencyCodes from "currency-codes";
import { type FieldError, validationFailed } from "../shared/errors.js";

/** An ISO 4217 alphabetic code such as "USD"; validate with `isCurrencyCode` or `currency`. */
export type CurrencyCode = string;

export interface Currency {
  readonly code: CurrencyCode;
  /** Digits after the decimal point in the currency's minor unit: USD 2, JPY 0, KWD 3. */
  readonly minorUnits: number;
}

const ISO_CODE = /^[A-Z]{3}$/;

// Currencies are looked up on every Money operation, so each answer (including "unknown") is cached.
const cache = new Map<string, Currency | null>();

function lookup(code: string): Currency | null {
  const cached = cache.get(code);
  if (cached !== undefined) return cached;
  let found: Currency | null = null;
  // The package upper-cases its input; we insist on the canonical spelling so "usd" never reaches storage.
  if (typeof code === "string" && ISO_CODE.test(code)) {
    const record = currencyCodes.code(code);
    if (record !== undefined) {
      // Units of account without a minor unit (XAU, XDR, XXX; "N.A." in ISO 4217) may carry a non-integer
      // `digits` in some releases of the data. We treat them as whole units (0 minor units) rather than
      // rejecting them, so they still round and format predictably.
      const digits = Number.isInteger(record.digits) && record.digits >= 0 ? record.digits : 0;
      found = Object.freeze({ code, minorUnits: digits });
    }
  }
  // Bound the cache: arbitrary user input must not grow it without limit.
  if (found !== null || cache.size < 1024) cache.set(code, found);
  return found;
}

export function isCurrencyCode(code: string): boolean {
  return lookup(code) !== null;
}

/** The field error for an unknown code, or undefined when the code is a known currency. */
export function currencyProblem(code: string, field = "currency"): FieldError | undefined {
  if (lookup(code) !== null) return undefined;
  // Truncated so a hostile multi-megabyte "code" does not end up verbatim in logs.
  const shown = JSON.stringify(String(code).slice(0, 16));
  return { field, code: "unknown_currency", message: `${shown} is not an upper-case ISO 4217 currency code` };
}

/** The ISO 4217 currency for an upper-case alphabetic code; throws validation_failed otherwise. */
export function currency(code: string): Currency {
  const found = lookup(code);
  if (found === null) throw validationFailed([currencyProblem(code)!]);
  return found;
}
