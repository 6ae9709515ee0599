import { currency as currencyOf, Dec, parseDecimal } from "../money/index.js";

/**
 * The invoice's one rounding: each charge's exact billed cost (FOCUS rows of 0.0000008 USD are real)
 * becomes a line in whole minor units.
 *
 * NOTE: the lines add up to the exact total of the charges rounded once, half away from zero (the
 * Money rule), and each line is its exact amount rounded down or up — never further than one minor unit
 * from it. The units the rounding adds go to the lines with the largest dropped fractions (ties: the
 * earlier line in the order given). Returns one amount per input, in the same order. Rounding each line on its own instead would bill a million charges
 * of 0.0000008 USD as 0.00, and the sum of the lines would drift from the total.
 */
export function roundInvoiceLines(amounts: readonly string[], currencyCode: string): bigint[] {
  const scale = new Dec(10).pow(currencyOf(currencyCode).minorUnits);
  const scaled = amounts.map((a, i) => parseDecimal(a, `amounts[${i}]`).times(scale));
  const floors = scaled.map((s) => s.floor());
  const fractions = scaled.map((s, i) => s.minus(floors[i]!));
  const total = scaled.reduce((sum, s) => sum.plus(s), new Dec(0));
  // Dec rounds half away from zero (ROUND_HALF_UP in decimal.js).
  const target = BigInt(total.toDecimalPlaces(0, Dec.ROUND_HALF_UP).toFixed(0));
  const units = floors.map((f) => BigInt(f.toFixed(0)));
  let leftover = target - units.reduce((sum, u) => sum + u, 0n);
  // 0 ≤ leftover ≤ the number of lines with a non-zero fraction, so an exact line never moves.
  const order = amounts.map((_, i) => i);
  order.sort((a, b) => fractions[b]!.comparedTo(fractions[a]!) || a - b);
  for (const i of order) {
    if (leftover <= 0n) break;
    units[i]! += 1n;
    leftover -= 1n;
  }
  return units;
}
