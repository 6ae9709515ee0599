/**
 * UTC instants as exact integer microseconds (bigint), the unit DuckDB keeps TIMESTAMPs in, and the
 * calendar arithmetic the audit needs (months, claim deadlines). Pure: no clock, no time zone but UTC.
 */
import { civilFromDays, daysFromCivil, daysInMonth } from "../billing/evidence/timestamps.js";
import { AppError } from "../shared/errors.js";

export const US_PER_SECOND = 1_000_000n;
export const US_PER_MINUTE = 60n * US_PER_SECOND;
export const US_PER_HOUR = 60n * US_PER_MINUTE;
export const US_PER_DAY = 24n * US_PER_HOUR;

const SQL_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Microseconds since the epoch of a civil UTC date-time. */
export function utcMicros(year: number, month: number, day: number, h = 0, m = 0, s = 0): bigint {
  return (
    BigInt(daysFromCivil(year, month, day)) * US_PER_DAY +
    BigInt(h) * US_PER_HOUR +
    BigInt(m) * US_PER_MINUTE +
    BigInt(s) * US_PER_SECOND
  );
}

/** A DuckDB TIMESTAMP cast to VARCHAR (`2026-01-01 00:00:00[.ffffff]`, UTC) as microseconds. */
export function parseSqlTimestamp(text: string): bigint {
  const match = SQL_TIMESTAMP.exec(text);
  if (match === null)
    throw new AppError("internal", `unexpected timestamp text from DuckDB: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, fraction] = match;
  const micros = BigInt((fraction ?? "").padEnd(6, "0").slice(0, 6) || "0");
  return utcMicros(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)) + micros;
}

/** `YYYY-MM-DD` (checked to be a real date) as the instant of its midnight, UTC. */
export function parseDate(text: string, field = "asOf"): bigint {
  const match = DATE.exec(text);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  const day = Number(match?.[3]);
  if (match === null || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || year < 1) {
    throw new AppError(
      "validation_failed",
      `${field} must be a date such as 2026-04-01, found ${JSON.stringify(text)}`,
      {
        fieldErrors: [
          { field, code: "invalid_date", message: "must be a date such as 2026-04-01 (YYYY-MM-DD)" },
        ],
      },
    );
  }
  return utcMicros(year, month, day);
}

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micros: number;
}

function civil(us: bigint): Civil {
  const days = floorDiv(us, US_PER_DAY);
  const rest = us - days * US_PER_DAY;
  const { year, month, day } = civilFromDays(Number(days));
  return {
    year,
    month,
    day,
    hour: Number(rest / US_PER_HOUR),
    minute: Number((rest % US_PER_HOUR) / US_PER_MINUTE),
    second: Number((rest % US_PER_MINUTE) / US_PER_SECOND),
    micros: Number(rest % US_PER_SECOND),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `YYYY-MM-DD` of the UTC day containing the instant. */
export function formatDate(us: bigint): string {
  const c = civil(us);
  return `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)}`;
}

/** `YYYY-MM` of the UTC month containing the instant. */
export function formatMonth(us: bigint): string {
  return formatDate(us).slice(0, 7);
}

/** `HH:MM` (UTC), seconds left out. */
export function formatClock(us: bigint): string {
  const c = civil(us);
  return `${pad(c.hour)}:${pad(c.minute)}`;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, with the fraction of a second only when it is not zero. */
export function formatIso(us: bigint): string {
  const c = civil(us);
  const base = `${formatDate(us)}T${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}`;
  if (c.micros === 0) return `${base}Z`;
  const fraction = pad(c.micros, 6).replace(/0+$/, "");
  return `${base}.${fraction}Z`;
}

/** Midnight (UTC) of the day containing the instant. */
export function startOfDay(us: bigint): bigint {
  return floorDiv(us, US_PER_DAY) * US_PER_DAY;
}

/** First instant of the UTC month containing `us`, shifted by `months` months. */
export function startOfMonth(us: bigint, months = 0): bigint {
  const c = civil(us);
  const index = c.year * 12 + (c.month - 1) + months;
  return utcMicros(Math.floor(index / 12), (index % 12) + 1, 1);
}

/**
 * The same wall-clock time `months` calendar months later; the day is clamped to the end of a shorter
 * month (2026-01-31 + 1 month = 2026-02-28).
 */
export function addMonths(us: bigint, months: number): bigint {
  const c = civil(us);
  const index = c.year * 12 + (c.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const day = Math.min(c.day, daysInMonth(year, month));
  return utcMicros(year, month, day, c.hour, c.minute, c.second) + BigInt(c.micros);
}

/** Length of a half-open interval in whole units, rounded up (`ceilDiv(90 min, 1 h) = 2`). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

/** The earlier of two instants (Math.min does not take bigints). */
export function earlier(a: bigint, b: bigint): bigint {
  if (b < a) return b;
  return a;
}

/** The later of two instants. */
export function later(a: bigint, b: bigint): bigint {
  if (b > a) return b;
  return a;
}
