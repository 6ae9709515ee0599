import Holidays from "date-holidays";
import { DateTime } from "luxon";
import { AppError, type FieldError, validationFailed } from "../shared/errors.js";
import { CHINA_HOLIDAY_ARRANGEMENTS } from "./china-overrides.js";
import { isTimeZoneName } from "./time-zones.js";

/**
 * Business days in a customer's region, for case deadlines (RFI due dates, reminders, decision clocks).
 * Pure: no clock and no I/O; dates are YYYY-MM-DD strings and instants ISO 8601 strings with an offset.
 *
 * A business day is a Monday–Friday that is not a whole-day public holiday of the country; for CN years in
 * the State Council table (china-overrides.ts) the table decides instead, including weekend make-up days.
 */

export interface Region {
  /** ISO 3166-1 alpha-2, upper case, e.g. "US", "CN", "DE". */
  readonly country: string;
  /** IANA time zone, e.g. "America/New_York", "Asia/Shanghai". */
  readonly timeZone: string;
}

/** The largest `n` accepted (about ten years of business days); bounds every loop in this module. */
export const MAX_BUSINESS_DAYS = 2_600;
/** Years accepted in inputs; date-holidays computes any year, this keeps loops over ranges short. */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2199;

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// An instant must carry its offset: a bare local time is ambiguous across time zones and DST.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const COUNTRY = /^[A-Z]{2}$/;
const REMINDER_HOUR = 9;

// ---------------------------------------------------------------------------------------------------------
// Civil dates as day numbers since 1970-01-01: adding days and finding the weekday is arithmetic, with no
// time zone or DST involved. Time zones only matter when turning an instant into a local date and back.

function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function isWeekend(day: number): boolean {
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  return weekday === 0 || weekday === 6;
}

// ---------------------------------------------------------------------------------------------------------
// Holiday calendars, one per country and year, cached: deadline code calls these functions in loops.

interface YearCalendar {
  /** Days off (YYYY-MM-DD) with their holiday names; weekend days inside a holiday block are included. */
  readonly daysOff: ReadonlyMap<string, readonly string[]>;
  /** Weekend days that are working days (CN make-up days, 调休). */
  readonly workingDays: ReadonlySet<string>;
}

const NO_HOLIDAYS: YearCalendar = Object.freeze({
  daysOff: new Map<string, readonly string[]>(),
  workingDays: new Set<string>(),
});

// Well-formed country codes are bounded (26²) and years too, but a long-lived server still need not keep
// every combination ever asked for.
const YEAR_CACHE_LIMIT = 4_096;
const yearCache = new Map<string, YearCalendar>();
const holidaysByCountry = new Map<string, Holidays>();
let supportedCountries: ReadonlySet<string> | undefined;

// NOTE: 全国年节及纪念日放假办法 art. 3 (State Council Order No. 795): Children's Day (1 June) is a day off for
// children under 14 only, so offices work; date-holidays nevertheless types it "public". The other
// group-only days (Women's Day, Youth Day, Army Day) are half days and dropped by the half-day rule below.
const GROUP_ONLY_RULES: Readonly<Record<string, ReadonlySet<string>>> = { CN: new Set(["06-01"]) };

function knowsCountry(country: string): boolean {
  supportedCountries ??= new Set(Object.keys(new Holidays().getCountries()));
  return supportedCountries.has(country);
}

function holidaysOf(country: string): Holidays {
  let hd = holidaysByCountry.get(country);
  if (hd === undefined) {
    hd = new Holidays(country);
    holidaysByCountry.set(country, hd);
  }
  return hd;
}

function addName(daysOff: Map<string, string[]>, date: string, name: string): void {
  const names = daysOff.get(date);
  if (names === undefined) daysOff.set(date, [name]);
  else if (!names.includes(name)) names.push(name);
}

function fromChinaTable(year: number): YearCalendar {
  const prefix = `${year}-`;
  const daysOff = new Map<string, string[]>();
  const workingDays = new Set<string>();
  // A notice can reach into the neighbouring year (a New Year block starting on 31 Dec), so every row is read.
  for (const row of Object.values(CHINA_HOLIDAY_ARRANGEMENTS)) {
    for (const h of row.holidays) {
      for (const date of h.daysOff) if (date.startsWith(prefix)) addName(daysOff, date, h.name);
      for (const date of h.workingWeekendDays) if (date.startsWith(prefix)) workingDays.add(date);
    }
  }
  return { daysOff, workingDays };
}

function fromDateHolidays(country: string, year: number): YearCalendar {
  const prefix = `${year}-`;
  const hd = holidaysOf(country);
  const daysOff = new Map<string, string[]>();
  // A multi-day holiday that starts late in the previous year can spill into this one.
  for (const h of [...hd.getHolidays(year - 1, "en"), ...hd.getHolidays(year, "en")]) {
    // Only "public" holidays close offices; "bank", "optional", "school" and "observance" days do not.
    if (h.type !== "public") continue;
    // A holiday starting in the afternoon (CN Youth Day, IS/GT Christmas Eve, …) leaves the morning as a
    // working day, so it does not stop the clock. `date` is "YYYY-MM-DD hh:mm:ss[ ±hhmm]" in local time.
    if (h.date.slice(11, 19) !== "00:00:00") continue;
    if (GROUP_ONLY_RULES[country]?.has(h.rule)) continue;
    // `date` names only the first day; Eid (P3D), Seollal (P3D) and the like last several.
    const first = dayNumber(h.date.slice(0, 10));
    const length = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / DAY_MS));
    for (let day = first; day < first + length; day++) {
      const date = isoDate(day);
      if (date.startsWith(prefix)) addName(daysOff, date, h.name);
    }
  }
  return { daysOff, workingDays: new Set() };
}

function yearCalendar(country: string, year: number): YearCalendar {
  const key = `${country}:${year}`;
  let calendar = yearCache.get(key);
  if (calendar === undefined) {
    if (country === "CN" && year in CHINA_HOLIDAY_ARRANGEMENTS) calendar = fromChinaTable(year);
    // A country date-holidays does not know gets weekdays only rather than an error: a deadline that
    // ignores that country's holidays is better than no deadline.
    else if (!knowsCountry(country)) return NO_HOLIDAYS;
    else calendar = fromDateHolidays(country, year);
    if (yearCache.size >= YEAR_CACHE_LIMIT) yearCache.clear();
    yearCache.set(key, calendar);
  }
  return calendar;
}

function businessDay(day: number, country: string): boolean {
  const date = isoDate(day);
  const calendar = yearCalendar(country, Number(date.slice(0, 4)));
  if (calendar.workingDays.has(date)) return true;
  return !isWeekend(day) && !calendar.daysOff.has(date);
}

/** The day `n` business days after (`step` 1) or before (`step` -1) `from`, not counting `from` itself. */
function walk(from: number, n: number, step: 1 | -1, country: string): number {
  let day = from;
  for (let counted = 0; counted < n; ) {
    day += step;
    if (businessDay(day, country)) counted++;
  }
  return day;
}

// ---------------------------------------------------------------------------------------------------------
// Input checks. Each collects field errors so a caller sees every problem at once.

function shown(value: unknown): string {
  // Truncated so a hostile multi-megabyte input does not end up verbatim in logs.
  return JSON.stringify(String(value).slice(0, 40));
}

function inYearRange(date: string): boolean {
  const year = Number(date.slice(0, 4));
  return year >= MIN_YEAR && year <= MAX_YEAR;
}

function checkDate(value: unknown, field: string, problems: FieldError[]): number {
  // The round trip rejects dates like 2026-02-30 that Date.parse would roll over or refuse.
  if (typeof value === "string" && DATE.test(value) && inYearRange(value)) {
    const day = dayNumber(value);
    if (Number.isInteger(day) && isoDate(day) === value) return day;
  }
  problems.push({
    field,
    code: "invalid_date",
    message: `${shown(value)} is not a calendar date YYYY-MM-DD in ${MIN_YEAR}–${MAX_YEAR}`,
  });
  return Number.NaN;
}

function checkInstant(value: unknown, field: string, problems: FieldError[]): DateTime | undefined {
  if (typeof value === "string" && INSTANT.test(value)) {
    const instant = DateTime.fromISO(value, { setZone: true });
    if (instant.isValid && inYearRange(value)) return instant;
  }
  problems.push({
    field,
    code: "invalid_instant",
    message: `${shown(value)} is not an ISO 8601 date-time with an offset or Z (e.g. 2026-09-29T10:00+08:00)`,
  });
  return undefined;
}

function checkCount(value: unknown, problems: FieldError[]): void {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_BUSINESS_DAYS)
    return;
  problems.push({
    field: "n",
    code: "invalid_business_day_count",
    message: `${shown(value)} is not a whole number of business days from 0 to ${MAX_BUSINESS_DAYS}`,
  });
}

function checkCountry(value: unknown, field: string, problems: FieldError[]): void {
  if (typeof value === "string" && COUNTRY.test(value)) return;
  problems.push({
    field,
    code: "invalid_country",
    message: `${shown(value)} is not an upper-case ISO 3166-1 alpha-2 country code`,
  });
}

function checkRegion(region: unknown, problems: FieldError[]): void {
  const { country, timeZone } = (
    typeof region === "object" && region !== null ? region : {}
  ) as Partial<Region>;
  checkCountry(country, "region.country", problems);
  if (typeof timeZone !== "string" || !isTimeZoneName(timeZone)) {
    problems.push({
      field: "region.timeZone",
      code: "unknown_time_zone",
      message: `${shown(timeZone)} is not an IANA time zone such as "Asia/Shanghai"`,
    });
  }
}

function throwIfAny(problems: readonly FieldError[]): void {
  if (problems.length > 0) throw validationFailed(problems);
}

// ---------------------------------------------------------------------------------------------------------
// Zone conversions, done by luxon in the region's zone so DST changes land where they should.

function localDay(instant: DateTime, timeZone: string): number {
  return dayNumber(instant.setZone(timeZone).toFormat("yyyy-MM-dd"));
}

function utcIso(local: DateTime): string {
  const iso = local.toUTC().toISO();
  if (iso === null) throw new AppError("internal", `Could not express ${local.invalidExplanation} in UTC`);
  return iso;
}

/** The first instant of a local day: midnight, or the first moment after it where midnight is skipped by DST. */
function startOfLocalDay(day: number, timeZone: string): DateTime {
  return DateTime.fromISO(isoDate(day), { zone: timeZone });
}

// ---------------------------------------------------------------------------------------------------------
// The public API.

/** Whether `date` (YYYY-MM-DD) is a business day in `country`. */
export function isBusinessDay(date: string, country: string): boolean {
  const problems: FieldError[] = [];
  const day = checkDate(date, "date", problems);
  checkCountry(country, "country", problems);
  throwIfAny(problems);
  return businessDay(day, country);
}

/**
 * The deadline N business days after an instant: count N business days strictly after the instant's local
 * date (in region.timeZone); the deadline is the END of that local day. With n = 0 it is the end of the
 * instant's own local day.
 */
export function addBusinessDays(
  fromInstant: string,
  n: number,
  region: Region,
): { date: string /** ISO UTC instant of local midnight after that day, exclusive. */; endsAt: string } {
  const problems: FieldError[] = [];
  const from = checkInstant(fromInstant, "fromInstant", problems);
  checkCount(n, problems);
  checkRegion(region, problems);
  throwIfAny(problems);
  const due = walk(localDay(from!, region.timeZone), n, 1, region.country);
  return { date: isoDate(due), endsAt: utcIso(startOfLocalDay(due + 1, region.timeZone)) };
}

/**
 * The local date that is n business days before `date` (for reminders), and the instant 09:00 local on it.
 * `date` itself is not counted; with n = 0 the answer is `date`.
 */
export function businessDaysBefore(
  date: string,
  n: number,
  region: Region,
): { date: string /** ISO UTC instant of 09:00 local on that date. */; at: string } {
  const problems: FieldError[] = [];
  const day = checkDate(date, "date", problems);
  checkCount(n, problems);
  checkRegion(region, problems);
  throwIfAny(problems);
  const target = walk(day, n, -1, region.country);
  return {
    date: isoDate(target),
    at: utcIso(startOfLocalDay(target, region.timeZone).set({ hour: REMINDER_HOUR, minute: 0 })),
  };
}

/**
 * Business days d with localDate(from) < d <= localDate(to), in region.timeZone: how far a paused decision
 * clock moves. 0 when to <= from.
 */
export function businessDaysBetween(fromInstant: string, toInstant: string, region: Region): number {
  const problems: FieldError[] = [];
  const from = checkInstant(fromInstant, "fromInstant", problems);
  const to = checkInstant(toInstant, "toInstant", problems);
  checkRegion(region, problems);
  throwIfAny(problems);
  if (to!.toMillis() <= from!.toMillis()) return 0;
  const last = localDay(to!, region.timeZone);
  let count = 0;
  for (let day = localDay(from!, region.timeZone) + 1; day <= last; day++) {
    if (businessDay(day, region.country)) count++;
  }
  return count;
}

/**
 * Holiday days d with fromDate < d <= toDate — the same half-open range the deadline computation counts —
 * for the case timeline ("skipped National Day, 1–7 Oct"). One entry per date and holiday name, by date;
 * weekend days inside a holiday block are included so a block reads whole. Empty when toDate <= fromDate.
 */
export function holidaysBetween(
  fromDate: string,
  toDate: string,
  country: string,
): Array<{ date: string; name: string }> {
  const problems: FieldError[] = [];
  const from = checkDate(fromDate, "fromDate", problems);
  const to = checkDate(toDate, "toDate", problems);
  checkCountry(country, "country", problems);
  throwIfAny(problems);
  const found: Array<{ date: string; name: string }> = [];
  for (let day = from + 1; day <= to; day++) {
    const date = isoDate(day);
    const names = yearCalendar(country, Number(date.slice(0, 4))).daysOff.get(date) ?? [];
    for (const name of names) found.push({ date, name });
  }
  return found;
}

const DEFAULT_TIME_ZONES: Readonly<Record<string, string>> = {
  US: "America/New_York",
  CN: "Asia/Shanghai",
  GB: "Europe/London",
  DE: "Europe/Berlin",
  JP: "Asia/Tokyo",
  SG: "Asia/Singapore",
  IN: "Asia/Kolkata",
  AU: "Australia/Sydney",
};

/**
 * A sensible default time zone for a country (its capital's or main business centre's); "UTC" for a
 * country without one here. Use the customer's own zone when it is known.
 */
export function defaultTimeZone(country: string): string {
  const problems: FieldError[] = [];
  checkCountry(country, "country", problems);
  throwIfAny(problems);
  return DEFAULT_TIME_ZONES[country] ?? "UTC";
}
