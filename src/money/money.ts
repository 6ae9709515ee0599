import { Decimal } from "decimal.js";
import { AppError, type FieldError, validationFailed } from "../shared/errors.js";
import { type CurrencyCode, currency, currencyProblem } from "./currency.js";

/**
 * The project's Decimal. 80 significant digits is far beyond any parsed input (see DECIMAL_LIMITS), so
 * sums and products of parsed values are exact; the exponent thresholds keep `toString` out of
 * exponent notation. ROUND_HALF_UP in decimal.js means half away from zero.
 */
export const Dec = Decimal.clone({
  precision: 80,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -100,
  toExpPos: 100,
});
/** Instance type of `Dec` (every decimal.js clone shares the `Decimal` instance type). */
export type Dec = Decimal;

/** Anything `times` / `dividedBy` accept as a plain (non-money) number. Never a JS number. */
export type DecimalInput = string | bigint | Decimal;

/**
 * Bounds on decimal strings accepted by `Money.of` and `parseDecimal`. They keep hostile input cheap and
 * guarantee that adding up parsed values (up to 10^31 with 40 decimal places: 71 digits) stays within the
 * 80-digit precision, i.e. exact.
 */
export const DECIMAL_LIMITS = Object.freeze({
  maxInputLength: 100,
  maxSignificantDigits: 40,
  /** Largest |n| in an explicit exponent ("8.0E-7" has n = -7). */
  maxExponent: 30,
  /** Values must satisfy |x| < 10^31. */
  maxIntegerDigits: 31,
  maxDecimalPlaces: 40,
});

/** Decimal places kept by `dividedBy` when the exact quotient does not terminate. */
export const DIVISION_DECIMAL_PLACES = 40;

/** Upper bound on `allocateEvenly(parts)`, so a bad request cannot allocate a giant array. */
export const MAX_ALLOCATION_PARTS = 1_000_000;

// ASCII digits only (no `u` flag, so \d is [0-9]); a trailing dot ("1.") is rejected, a leading one (".5")
// is accepted. Hex/binary/octal literals, NaN, Infinity, separators and padding all fail this pattern.
const DECIMAL_SYNTAX = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE]([+-]?\d+))?$/;

const ZERO = new Dec(0);

type Parsed = { ok: true; value: Decimal } | { ok: false; error: FieldError };

function checkDecimal(value: unknown, field: string, code: string): Parsed {
  const fail = (message: string): Parsed => ({ ok: false, error: { field, code, message } });
  const L = DECIMAL_LIMITS;
  if (typeof value !== "string") return fail("must be a decimal string (never a JS number)");
  if (value === "") return fail("must not be empty");
  if (value.length > L.maxInputLength) return fail(`must be at most ${L.maxInputLength} characters`);
  const match = DECIMAL_SYNTAX.exec(value);
  if (match === null) {
    return fail("must be a plain decimal such as 12.34, -0.5 or 8.0E-7 (no spaces, separators or hex)");
  }
  const exponent = match[1];
  // Checked on the digits, before decimal.js sees a possibly enormous exponent.
  if (
    exponent !== undefined &&
    (exponent.replace(/^[+-]?0*/, "").length > 2 || Math.abs(Number(exponent)) > L.maxExponent)
  ) {
    return fail(`exponent must be between -${L.maxExponent} and ${L.maxExponent}`);
  }
  const parsed = new Dec(value);
  if (parsed.sd(true) > L.maxSignificantDigits) {
    return fail(`must have at most ${L.maxSignificantDigits} significant digits`);
  }
  if (!parsed.isZero() && parsed.e >= L.maxIntegerDigits) {
    return fail(`must be less than 10^${L.maxIntegerDigits} in magnitude`);
  }
  if (parsed.decimalPlaces() > L.maxDecimalPlaces) {
    return fail(`must have at most ${L.maxDecimalPlaces} decimal places`);
  }
  return { ok: true, value: parsed.isZero() ? ZERO : parsed };
}

/**
 * Exact parse of a decimal string for non-money quantities (usage, unit prices, percentages), with the same
 * rules as `Money.of`. Throws validation_failed with `{ field, code }` (code defaults to invalid_decimal).
 */
export function parseDecimal(value: string, field: string, code = "invalid_decimal"): Decimal {
  const parsed = checkDecimal(value, field, code);
  if (!parsed.ok) throw validationFailed([parsed.error]);
  return parsed.value;
}

function toFactor(value: DecimalInput, field: string): Decimal {
  if (typeof value === "bigint") return new Dec(value.toString());
  if (typeof value === "string") return parseDecimal(value, field);
  if (Decimal.isDecimal(value) && value.isFinite()) return new Dec(value);
  throw validationFailed([{ field, code: "invalid_decimal", message: "must be a finite decimal" }]);
}

/** `units × 10^-scale` as a Decimal; built from a string so no digit is rounded away. */
function fromScaled(units: bigint, scale: number): Decimal {
  return new Dec(`${units}e-${scale}`);
}

/** The exact value as an integer count of 10^-scale. */
function toScaled(value: Decimal): { units: bigint; scale: number } {
  const scale = value.decimalPlaces();
  return { units: BigInt(value.toFixed(scale).replace(".", "")), scale };
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** num / den (den > 0) rounded half away from zero, matching Dec's ROUND_HALF_UP. */
function divideRounded(num: bigint, den: bigint): bigint {
  const n = abs(num);
  let q = n / den;
  if (2n * (n % den) >= den) q += 1n;
  return num < 0n ? -q : q;
}

/** Exact quotient when it terminates, otherwise rounded half-up to DIVISION_DECIMAL_PLACES places. */
function divideExact(a: Decimal, b: Decimal): Decimal {
  if (a.isZero()) return ZERO;
  const x = toScaled(a);
  const y = toScaled(b);
  let num = x.units * 10n ** BigInt(y.scale);
  let den = y.units * 10n ** BigInt(x.scale);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  num /= g;
  den /= g;
  // A reduced fraction terminates in base 10 exactly when its denominator is 2^i·5^j.
  let rest = den;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) {
    rest /= 2n;
    twos++;
  }
  while (rest % 5n === 0n) {
    rest /= 5n;
    fives++;
  }
  if (rest === 1n) {
    const places = Math.max(twos, fives);
    return fromScaled(num * (10n ** BigInt(places) / den), places);
  }
  // Computed on integers rather than via Decimal#div so there is no double rounding.
  return fromScaled(
    divideRounded(num * 10n ** BigInt(DIVISION_DECIMAL_PLACES), den),
    DIVISION_DECIMAL_PLACES,
  );
}

/**
 * Largest-remainder split of `total` over integer weights (not all zero, none negative). Parts sum to
 * `total`, each is within one unit of its exact share, and ties in remainders go to the earlier part.
 * A negative total is split as the mirror image of the positive one.
 */
function allocateUnits(total: bigint, weights: readonly bigint[]): bigint[] {
  const weightSum = weights.reduce((s, w) => s + w, 0n);
  const magnitude = abs(total);
  const floors = weights.map((w) => (magnitude * w) / weightSum);
  const remainders = weights.map((w) => (magnitude * w) % weightSum);
  let leftover = magnitude - floors.reduce((s, q) => s + q, 0n);
  const order = weights.map((_, i) => i);
  order.sort((i, j) => {
    const ri = remainders[i]!;
    const rj = remainders[j]!;
    return ri === rj ? i - j : ri > rj ? -1 : 1;
  });
  // leftover < number of non-zero remainders, so zero-weight parts never receive a unit.
  for (const i of order) {
    if (leftover === 0n) break;
    floors[i]! += 1n;
    leftover -= 1n;
  }
  return total < 0n ? floors.map((q) => -q) : floors;
}

function currencyMismatch(a: string, b: string): AppError {
  return new AppError("currency_mismatch", `Cannot combine an amount in ${a} with one in ${b}`, {
    extensions: { currencies: [a, b] },
  });
}

function requireCurrency(code: string): CurrencyCode {
  return currency(code).code;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(locale: string, code: string, minorUnits: number): Intl.NumberFormat {
  const key = `${locale}\u0000${code}`;
  let formatter = formatters.get(key);
  if (formatter === undefined) {
    // Fraction digits pinned to ISO 4217 so the display matches toFixedMinor, whatever CLDR prefers.
    formatter = new Intl.NumberFormat(locale, {
      style: "currency",
      currency: code,
      minimumFractionDigits: minorUnits,
      maximumFractionDigits: minorUnits,
    });
    if (formatters.size < 256) formatters.set(key, formatter);
  }
  return formatter;
}

/**
 * An exact, immutable amount of one ISO 4217 currency. Values are held as decimal.js decimals at any
 * scale (cloud bills price in fractions of a cent); round explicitly with `roundToMinor` when a payable
 * amount is needed. Rounding is always half away from zero (decimal.js ROUND_HALF_UP): 0.005 → 0.01,
 * -0.005 → -0.01.
 */
export class Money {
  readonly currency: CurrencyCode;
  /**
   * The exact amount as a plain decimal string: no exponent, no redundant trailing zeros, never "-0".
   * Kept as an own property (rather than computed) so structural equality, e.g. vitest's `toEqual`,
   * compares amounts and not just currencies.
   */
  readonly amount: string;
  readonly #value: Decimal;

  private constructor(value: Decimal, currencyCode: CurrencyCode) {
    // decimal.js keeps the sign of zero; one canonical zero keeps "-0" out of every output.
    this.#value = value.isZero() ? ZERO : value;
    this.currency = currencyCode;
    this.amount = this.#value.toFixed();
    Object.freeze(this);
  }

  /** Exact parse of a decimal string (any scale, optional exponent, optional sign). */
  static of(amount: string, currencyCode: string): Money {
    const parsed = checkDecimal(amount, "amount", "invalid_amount");
    const currencyError = currencyProblem(currencyCode);
    if (!parsed.ok || currencyError !== undefined) {
      const errors: FieldError[] = [];
      if (!parsed.ok) errors.push(parsed.error);
      if (currencyError !== undefined) errors.push(currencyError);
      throw validationFailed(errors);
    }
    return new Money(parsed.value, currencyCode);
  }

  static zero(currencyCode: string): Money {
    return new Money(ZERO, requireCurrency(currencyCode));
  }

  /** `units` of the currency's minor unit: fromMinorUnits(1234n, "USD") is 12.34 USD. */
  static fromMinorUnits(units: bigint, currencyCode: string): Money {
    const { code, minorUnits } = currency(currencyCode);
    if (typeof units !== "bigint") {
      throw validationFailed([{ field: "units", code: "invalid_amount", message: "must be a bigint" }]);
    }
    return new Money(fromScaled(units, minorUnits), code);
  }

  /** Sum of `items`, all of which must be in `currencyCode`; an empty list sums to zero. */
  static sum(items: readonly Money[], currencyCode: string): Money {
    const code = requireCurrency(currencyCode);
    let total: Decimal = ZERO;
    for (const item of items) {
      if (item.currency !== code) throw currencyMismatch(code, item.currency);
      total = total.plus(item.#value);
    }
    return new Money(total, code);
  }

  static min(a: Money, b: Money): Money {
    return a.compare(b) <= 0 ? a : b;
  }

  static max(a: Money, b: Money): Money {
    return a.compare(b) >= 0 ? a : b;
  }

  plus(other: Money): Money {
    this.#sameCurrency(other);
    return new Money(this.#value.plus(other.#value), this.currency);
  }

  minus(other: Money): Money {
    this.#sameCurrency(other);
    return new Money(this.#value.minus(other.#value), this.currency);
  }

  negated(): Money {
    return new Money(this.#value.negated(), this.currency);
  }

  abs(): Money {
    return this.#value.isNegative() ? this.negated() : this;
  }

  /**
   * Exact product. A string rate is parsed like `parseDecimal` (field `rate`). Only if the exact product
   * has more than 80 significant digits (impossible for two parsed values) is it rounded half-up there.
   */
  times(rate: DecimalInput): Money {
    return new Money(this.#value.times(toFactor(rate, "rate")), this.currency);
  }

  /**
   * Exact quotient when it terminates (10 / 8 = 1.25); otherwise rounded half-up (away from zero) to
   * 40 decimal places (10 / 3 = 3.333…3 with 40 threes). Division by zero is validation_failed
   * (field `divisor`, code `division_by_zero`).
   */
  dividedBy(divisor: DecimalInput): Money {
    const d = toFactor(divisor, "divisor");
    if (d.isZero()) {
      throw validationFailed([{ field: "divisor", code: "division_by_zero", message: "must not be zero" }]);
    }
    return new Money(divideExact(this.#value, d), this.currency);
  }

  /** -1, 0 or 1; throws currency_mismatch across currencies. */
  compare(other: Money): -1 | 0 | 1 {
    this.#sameCurrency(other);
    const c = this.#value.comparedTo(other.#value);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }

  /** Same currency and same exact amount. Different currencies are simply unequal (no throw). */
  equals(other: Money): boolean {
    return this.currency === other.currency && this.#value.equals(other.#value);
  }

  isZero(): boolean {
    return this.#value.isZero();
  }

  isNegative(): boolean {
    return this.#value.isNegative() && !this.#value.isZero();
  }

  isPositive(): boolean {
    return this.#value.isPositive() && !this.#value.isZero();
  }

  greaterThan(other: Money): boolean {
    return this.compare(other) > 0;
  }

  lessThan(other: Money): boolean {
    return this.compare(other) < 0;
  }

  greaterThanOrEqual(other: Money): boolean {
    return this.compare(other) >= 0;
  }

  lessThanOrEqual(other: Money): boolean {
    return this.compare(other) <= 0;
  }

  /** Rounded to the currency's minor unit, half away from zero: 0.005 USD → 0.01, -0.005 USD → -0.01. */
  roundToMinor(): Money {
    const { minorUnits } = currency(this.currency);
    if (this.#value.decimalPlaces() <= minorUnits) return this;
    return new Money(this.#value.toDecimalPlaces(minorUnits, Dec.ROUND_HALF_UP), this.currency);
  }

  /** The rounded amount as a count of minor units: 12.345 USD → 1235n. */
  toMinorUnits(): bigint {
    return BigInt(this.toFixedMinor().replace(".", ""));
  }

  /** The rounded amount with exactly the currency's minor-unit decimals: "10.00", JPY "1000", KWD "1.250". */
  toFixedMinor(): string {
    return this.roundToMinor().#value.toFixed(currency(this.currency).minorUnits);
  }

  /**
   * Splits the rounded total over non-negative decimal-string weights by the largest-remainder method:
   * every part is whole minor units, parts add up exactly to the rounded total, each is within one minor
   * unit of its exact share, zero weights get zero, and ties go to the earlier part.
   */
  allocate(weights: readonly string[]): Money[] {
    if (weights.length === 0) {
      throw validationFailed([{ field: "weights", code: "no_weights", message: "must not be empty" }]);
    }
    const parsed = weights.map((w, i) => {
      const d = parseDecimal(w, `weights[${i}]`, "invalid_weight");
      if (d.isNegative() && !d.isZero()) {
        throw validationFailed([
          { field: `weights[${i}]`, code: "negative_weight", message: "must not be negative" },
        ]);
      }
      return toScaled(d);
    });
    // reduce, not Math.max(...), which overflows the stack for very long lists.
    const scale = parsed.reduce((m, p) => Math.max(m, p.scale), 0);
    const integerWeights = parsed.map((p) => p.units * 10n ** BigInt(scale - p.scale));
    if (integerWeights.every((w) => w === 0n)) {
      throw validationFailed([{ field: "weights", code: "zero_weights", message: "must not all be zero" }]);
    }
    return this.#allocateInteger(integerWeights);
  }

  /** Splits the rounded total into `parts` near-equal whole-minor-unit parts; earlier parts get the extra units. */
  allocateEvenly(parts: number): Money[] {
    if (!Number.isSafeInteger(parts) || parts < 1 || parts > MAX_ALLOCATION_PARTS) {
      throw validationFailed([
        {
          field: "parts",
          code: "invalid_parts",
          message: `must be a whole number from 1 to ${MAX_ALLOCATION_PARTS}`,
        },
      ]);
    }
    return this.#allocateInteger(new Array<bigint>(parts).fill(1n));
  }

  /** The exact value, for computations the Money API does not cover (e.g. ratios between amounts). */
  toDecimal(): Decimal {
    return this.#value;
  }

  toJSON(): { amount: string; currency: CurrencyCode } {
    return { amount: this.amount, currency: this.currency };
  }

  toString(): string {
    return `${this.amount} ${this.currency}`;
  }

  /**
   * Localised display of the rounded amount, e.g. "$1,234.57" or "-0,50 €". The decimal string goes to
   * Intl as a string, which formats it exactly; it is never turned into a JS number.
   */
  format(locale = "en-US"): string {
    const { minorUnits } = currency(this.currency);
    const formatter = formatterFor(locale, this.currency, minorUnits);
    return formatter.format(this.toFixedMinor() as Intl.StringNumericLiteral);
  }

  #allocateInteger(weights: readonly bigint[]): Money[] {
    const total = this.toMinorUnits();
    return allocateUnits(total, weights).map((units) => Money.fromMinorUnits(units, this.currency));
  }

  #sameCurrency(other: Money): void {
    if (other.currency !== this.currency) throw currencyMismatch(this.currency, other.currency);
  }
}
