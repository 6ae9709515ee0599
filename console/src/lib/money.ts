/**
 * Money in the console stays a decimal string, as the API sends it: sums are exact BigInt arithmetic
 * on scaled integers, never floats (DESIGN.md: "a float never holds money").
 */
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

function scaled(value: string): { units: bigint; scale: number } | null {
  const m = DECIMAL.exec(value.trim());
  if (!m) return null;
  const fraction = m[3] ?? "";
  const units = BigInt(`${m[2]}${fraction}`) * (m[1] ? -1n : 1n);
  return { units, scale: fraction.length };
}

/** The exact sum of decimal strings; anything that is not a decimal is left out. */
export function sumDecimals(values: readonly string[]): string {
  const parsed = values.map(scaled).filter((v) => v !== null);
  const scale = Math.max(0, ...parsed.map((p) => p.scale));
  let total = 0n;
  for (const p of parsed) total += p.units * 10n ** BigInt(scale - p.scale);
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale ? `.${digits.slice(digits.length - scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

export const isDecimal = (value: string): boolean => DECIMAL.test(value.trim());

/** `1234.5`, `USD` → `USD 1,234.50`: thousands grouped, at least the currency's two minor digits. */
export function formatMoney(amount: string | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined) return "—";
  const m = DECIMAL.exec(amount.trim());
  if (!m) return `${currency ?? ""} ${amount}`.trim();
  const whole = m[2]!.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const minor = currency === "JPY" || currency === "KRW" ? 0 : 2;
  let fraction = (m[3] ?? "").replace(/0+$/, "");
  if (fraction.length < minor) fraction = fraction.padEnd(minor, "0");
  return `${currency ?? ""} ${m[1] ?? ""}${whole}${fraction ? `.${fraction}` : ""}`.trim();
}
