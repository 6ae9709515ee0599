import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatUtc, parseTimestamp } from "../src/billing/evidence/index.js";

describe("parseTimestamp", () => {
  it.each([
    ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"],
    ["2024-05-01t12:00:00z", "2024-05-01T12:00:00Z"],
    ["2024-05-01 12:00:00+00:00", "2024-05-01T12:00:00Z"],
    ["2024-05-01T12:00Z", "2024-05-01T12:00:00Z"],
    ["2024-05-01T17:30:00+0530", "2024-05-01T12:00:00Z"],
    ["2024-05-01T10:00:00-02", "2024-05-01T12:00:00Z"],
    ["2024-05-01T12:00:00.5Z", "2024-05-01T12:00:00.500Z"],
    ["2024-05-01T12:00:00,123000+00:00", "2024-05-01T12:00:00.123Z"],
    ["2024-05-01T12:00:00.000000000Z", "2024-05-01T12:00:00Z"],
    ["2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00Z"],
    ["2025-01-01T00:59:59+01:00", "2024-12-31T23:59:59Z"],
  ])("%s → %s", (input, expected) => {
    const parsed = parseTimestamp(input);
    expect(parsed).toEqual({ ok: true, iso: expected, ms: Date.parse(expected) });
  });

  it.each([
    ["2024-05-01T12:00:00", "the time zone is missing"],
    ["2024-05-01", "an ISO 8601 timestamp with an offset or Z"],
    ["20240501T120000Z", "an ISO 8601 timestamp with an offset or Z"],
    ["2024-13-01T00:00:00Z", "the month must be 01 to 12"],
    ["2023-02-29T00:00:00Z", "2023-02 has 28 days"],
    ["2024-04-31T00:00:00Z", "2024-04 has 30 days"],
    ["2024-05-01T23:60:00Z", "a real time of day"],
    ["2024-05-01T23:59:60Z", "a real time of day"],
    ["2024-05-01T12:00:00+24:00", "a UTC offset"],
    ["2024-05-01T12:00:00.0001Z", "at most millisecond precision"],
    ["0001-01-01T00:00:00+01:00", "between years 0001 and 9999"],
    [" 2024-05-01T12:00:00Z", "an ISO 8601 timestamp"],
  ])("rejects %s", (input, expected) => {
    const parsed = parseTimestamp(input);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.expected).toContain(expected);
  });

  it("formats and parses back every millisecond of years 0001–9999, like Date", () => {
    const min = Date.parse("0001-01-01T00:00:00Z");
    const max = Date.parse("9999-12-31T23:59:59.999Z");
    fc.assert(
      fc.property(
        fc.integer({ min, max }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ms, offset) => {
          const iso = formatUtc(ms);
          const viaDate = new Date(ms).toISOString();
          expect(iso).toBe(ms % 1000 === 0 ? viaDate.replace(".000Z", "Z") : viaDate);
          expect(parseTimestamp(iso)).toEqual({ ok: true, iso, ms });
          // The same instant written with an offset.
          const local = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
          const sign = offset < 0 ? "-" : "+";
          const abs = Math.abs(offset);
          const written = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
          const parsed = parseTimestamp(written);
          if (ms + offset * 60_000 >= min && ms + offset * 60_000 <= max)
            expect(parsed).toEqual({ ok: true, iso, ms });
        },
      ),
      { numRuns: 500 },
    );
  });
});
