import { type FieldError, validationFailed } from "../shared/errors.js";

/** What an invoice covers: charges whose charge period starts in [start, end), as ISO UTC instants. */
export interface InvoicePeriod {
  start: string;
  end: string;
}

export interface InvoicePeriodInput {
  /** `YYYY-MM`: that calendar month in UTC. */
  period?: string | undefined;
  /** Or explicit ISO 8601 instants with a zone, end exclusive. */
  periodStart?: string | undefined;
  periodEnd?: string | undefined;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
// Only full instants with a zone: Date.parse reads offset-less text as local time.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Date.parse rolls 2026-02-30 over to 2 March and reads 24:00: the fields must be a real time. */
function realCalendarTime(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return (
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    t.getUTCSeconds() === s
  );
}

/** The period an invoice covers, from a month or two instants; every field error at once. */
export function parseInvoicePeriod(input: InvoicePeriodInput): InvoicePeriod {
  const errors: FieldError[] = [];
  const explicit = input.periodStart !== undefined || input.periodEnd !== undefined;
  if (input.period !== undefined && explicit)
    throw validationFailed([
      { field: "period", code: "ambiguous", message: "give a month or periodStart and periodEnd, not both" },
    ]);
  if (input.period !== undefined) {
    const m = MONTH.exec(input.period);
    if (!m) throw validationFailed([{ field: "period", code: "invalid_month", message: "must be YYYY-MM" }]);
    const year = Number(m[1]);
    const month = Number(m[2]);
    return {
      start: new Date(Date.UTC(year, month - 1, 1)).toISOString(),
      end: new Date(Date.UTC(year, month, 1)).toISOString(),
    };
  }
  if (!explicit)
    throw validationFailed([
      { field: "period", code: "required", message: "give a month (YYYY-MM) or periodStart and periodEnd" },
    ]);
  const read = (field: "periodStart" | "periodEnd"): number => {
    const value = input[field];
    if (value === undefined) {
      errors.push({ field, code: "required", message: "is required with an explicit period" });
      return Number.NaN;
    }
    const ms = ISO_INSTANT.test(value) && realCalendarTime(value) ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(ms))
      errors.push({ field, code: "invalid_instant", message: "must be an ISO 8601 instant with a zone" });
    return ms;
  };
  const start = read("periodStart");
  const end = read("periodEnd");
  if (Number.isFinite(start) && Number.isFinite(end) && end <= start)
    errors.push({ field: "periodEnd", code: "before_start", message: "must be after periodStart" });
  if (errors.length) throw validationFailed(errors);
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}
