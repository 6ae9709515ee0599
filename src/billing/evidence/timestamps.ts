/**
 * Strict ISO 8601 timestamps for evidence files (DESIGN.md: "All timestamps are ISO 8601 with an offset or
 * `Z`"). Parsed without `Date` so nothing is guessed: the offset is required, impossible dates are rejected,
 * and the result is exact integer milliseconds since the Unix epoch.
 */

const MS_PER_DAY = 86_400_000;

// Extended format only: date, `T` (or a space, as RFC 3339 allows), hh:mm[:ss[.fraction]], then the offset.
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

export type TimestampResult = { ok: true; iso: string; ms: number } | { ok: false; expected: string };

export const TIMESTAMP_EXAMPLE = "2024-05-01T12:00:00Z";

const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a civil date (H. Hinnant's algorithm; exact for every year). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The civil date of a day count since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: four-digit years, as DuckDB and every consumer expect.
const MIN_MS = daysFromCivil(1, 1, 1) * MS_PER_DAY;
const MAX_MS = daysFromCivil(10_000, 1, 1) * MS_PER_DAY - 1;

/** `YYYY-MM-DDTHH:MM:SSZ`, with `.mmm` only when the milliseconds are not zero (years 0001–9999). */
export function formatUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (ms % 1000 !== 0) return iso;
  const whole = `${iso.slice(0, 19)}Z`;
  // Reading a character makes V8 flatten the concatenation now, so each stored timestamp is one small flat
  // string rather than a tree of pieces (which tripled the memory of a million records).
  whole.charCodeAt(0);
  return whole;
}

/**
 * Parses an ISO 8601 timestamp with an offset or `Z` (`2024-05-01T14:00:00+02:00`, `…Z`, `…+0200`, `…+02`),
 * seconds and a fraction optional. Returns the UTC form (`formatUtc`) and epoch milliseconds, or what was
 * expected. Fractions finer than a millisecond are accepted only when the extra digits are zeros, so the
 * normalised value is never rounded.
 */
export function parseTimestamp(text: string): TimestampResult {
  const match = TIMESTAMP.exec(text);
  if (match === null) {
    return { ok: false, expected: `an ISO 8601 timestamp with an offset or Z, such as ${TIMESTAMP_EXAMPLE}` };
  }
  const [, ys, mos, ds, sep, hs, mis, ss, fraction, offset] = match;
  if (offset === undefined) {
    return {
      ok: false,
      expected: `a timestamp with an offset or Z (the time zone is missing), such as ${TIMESTAMP_EXAMPLE}`,
    };
  }
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  if (month < 1 || month > 12) return { ok: false, expected: "a real date (the month must be 01 to 12)" };
  const monthDays = daysInMonth(year, month);
  if (day < 1 || day > monthDays) {
    return { ok: false, expected: `a real date (${ys}-${mos} has ${monthDays} days)` };
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return { ok: false, expected: "a real time of day (00:00:00 to 23:59:59)" };
  }
  let millis = 0;
  if (fraction !== undefined) {
    if (/[1-9]/.test(fraction.slice(3))) {
      return { ok: false, expected: "a timestamp with at most millisecond precision" };
    }
    millis = Number(fraction.slice(0, 3).padEnd(3, "0"));
  }
  let offsetMinutes = 0;
  if (offset !== "Z" && offset !== "z") {
    const digits = offset.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return { ok: false, expected: "a UTC offset between -23:59 and +23:59" };
    offsetMinutes = (offset.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  const ms =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    millis;
  if (ms < MIN_MS || ms > MAX_MS) {
    return { ok: false, expected: "a timestamp between years 0001 and 9999 (in UTC)" };
  }
  // Already in the normal form (the usual case): keep the text, which saves formatting a million times.
  const normal =
    offset === "Z" &&
    sep === "T" &&
    ss !== undefined &&
    (fraction === undefined || (fraction.length === 3 && millis !== 0 && text[19] === "."));
  return { ok: true, iso: normal ? text : formatUtc(ms), ms };
}

/** Epoch milliseconds of a UTC month start, `month` 1–12 (13 rolls over to January of the next year). */
export function monthStartMs(year: number, month: number): number {
  return month === 13
    ? daysFromCivil(year + 1, 1, 1) * MS_PER_DAY
    : daysFromCivil(year, month, 1) * MS_PER_DAY;
}
