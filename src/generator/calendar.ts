/**
 * Time for the generator: epoch milliseconds (UTC) internally, ISO 8601 with `Z` and no
 * milliseconds in every file. Months are UTC calendar months; periods are half-open.
 */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** `2026-01-01T00:00:00Z` form; sub-second parts are never generated. */
export function iso(ms: number): string {
  const text = new Date(ms).toISOString();
  return `${text.slice(0, 19)}Z`;
}

/** `YYYY-MM-DD` of the UTC day containing `ms`. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Same day-of-month and time, `n` months later (the day must exist in every month: ≤ 28). */
export function addMonths(ms: number, n: number): number {
  const d = new Date(ms);
  return Date.UTC(
    d.getUTCFullYear(),
    d.getUTCMonth() + n,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  );
}

export function floorTo(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}

export function ceilTo(ms: number, unit: number): number {
  return Math.ceil(ms / unit) * unit;
}

/** The months a dataset covers, with a cache of hour-grid ISO strings for the hot path. */
export class Calendar {
  readonly months: number;
  /** `monthStart[i]` for i in 0..months (the last entry is the end of the data). */
  readonly monthStart: readonly number[];
  readonly dataStart: number;
  readonly dataEnd: number;
  readonly #hourIso: string[];
  readonly #hourBytes: Buffer[];
  readonly #hourBytesComma: Buffer[];

  constructor(year: number, month0: number, months: number) {
    this.months = months;
    const starts: number[] = [];
    for (let i = 0; i <= months; i++) starts.push(Date.UTC(year, month0 + i, 1));
    this.monthStart = starts;
    this.dataStart = starts[0]!;
    this.dataEnd = starts[months]!;
    const hours = (this.dataEnd - this.dataStart) / HOUR;
    this.#hourIso = new Array<string>(hours + 1);
    for (let i = 0; i <= hours; i++) this.#hourIso[i] = iso(this.dataStart + i * HOUR);
    this.#hourBytes = this.#hourIso.map((t) => Buffer.from(t, "latin1"));
    this.#hourBytesComma = this.#hourIso.map((t) => Buffer.from(`${t},`, "latin1"));
  }

  /** UTF-8 bytes of `isoAt(ms)` (plus a comma) for an instant on the hour grid of the data. */
  isoBytesOnGrid(ms: number, comma: boolean): Buffer {
    const i = (ms - this.dataStart) / HOUR;
    const found = (comma ? this.#hourBytesComma : this.#hourBytes)[i];
    if (found === undefined) throw new Error(`${iso(ms)} is not on the hour grid of the data`);
    return found;
  }

  get totalHours(): number {
    return (this.dataEnd - this.dataStart) / HOUR;
  }

  start(m: number): number {
    return this.monthStart[m]!;
  }

  end(m: number): number {
    return this.monthStart[m + 1]!;
  }

  days(m: number): number {
    return (this.end(m) - this.start(m)) / DAY;
  }

  /** ISO string of an instant, from the cache when it lies on the hour grid of the data. */
  isoAt(ms: number): string {
    const offset = ms - this.dataStart;
    if (offset >= 0 && offset % HOUR === 0) {
      const cached = this.#hourIso[offset / HOUR];
      if (cached !== undefined) return cached;
    }
    return iso(ms);
  }

  /** Index of the month containing `ms`, or -1 outside the data. */
  monthOf(ms: number): number {
    if (ms < this.dataStart || ms >= this.dataEnd) return -1;
    for (let m = 0; m < this.months; m++) if (ms < this.end(m)) return m;
    return -1;
  }

  /** `2026-01` */
  label(m: number): string {
    return iso(this.start(m)).slice(0, 7);
  }
}
