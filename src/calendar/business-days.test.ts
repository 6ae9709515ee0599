import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { AppError } from "../shared/errors.js";
import {
  addBusinessDays,
  businessDaysBefore,
  businessDaysBetween,
  CHINA_HOLIDAY_ARRANGEMENTS,
  defaultTimeZone,
  holidaysBetween,
  isBusinessDay,
  MAX_BUSINESS_DAYS,
  type Region,
} from "./index.js";

const SHANGHAI: Region = { country: "CN", timeZone: "Asia/Shanghai" };
const NEW_YORK: Region = { country: "US", timeZone: "America/New_York" };

function expectValidationFailed(run: () => unknown, expected: Array<{ field: string; code: string }>): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  const error = caught as AppError;
  expect(error.code).toBe("validation_failed");
  expect(error.fieldErrors.map(({ field, code }) => ({ field, code }))).toEqual(expected);
}

function localDate(instant: string, timeZone: string): string {
  return DateTime.fromISO(instant).setZone(timeZone).toFormat("yyyy-MM-dd");
}

function weekday(date: string): number {
  return DateTime.fromISO(date, { zone: "utc" }).weekday; // 1 = Monday … 7 = Sunday
}

describe("isBusinessDay", () => {
  describe("in China, for years in the State Council table", () => {
    it.each([
      ["2026-09-20", true, "Sunday make-up working day before National Day"],
      ["2026-10-10", true, "Saturday make-up working day after National Day"],
      ["2026-02-14", true, "Saturday make-up working day before Spring Festival"],
      ["2026-02-28", true, "Saturday make-up working day after Spring Festival"],
      ["2026-01-04", true, "Sunday make-up working day after New Year"],
      ["2026-10-05", false, "Monday inside National Day week"],
      ["2026-02-23", false, "Monday, last day of Spring Festival"],
      ["2026-09-19", false, "an ordinary Saturday"],
      ["2026-09-30", true, "an ordinary Wednesday"],
      ["2025-01-26", true, "Sunday make-up working day, 2025"],
      ["2025-10-08", false, "last day of the merged National Day and Mid-Autumn break, 2025"],
      ["2025-10-11", true, "Saturday make-up working day, 2025"],
      ["2025-05-05", false, "Monday inside Labour Day, 2025"],
    ])("%s is %s (%s)", (date, expected) => {
      expect(isBusinessDay(date, "CN")).toBe(expected);
    });
  });

  describe("in China, for a year missing from the table", () => {
    it("falls back to date-holidays' statutory days", () => {
      expect(isBusinessDay("2027-02-05", "CN")).toBe(false); // Spring Festival eve, a Friday
      expect(isBusinessDay("2027-10-01", "CN")).toBe(false);
    });

    it("keeps working on group-only days date-holidays calls public (Children's Day, half days)", () => {
      expect(isBusinessDay("2027-06-01", "CN")).toBe(true); // Children's Day, a Tuesday
      expect(isBusinessDay("2027-03-08", "CN")).toBe(true); // Women's Day (half day), a Monday
      expect(isBusinessDay("2027-05-04", "CN")).toBe(true); // Youth Day (half day), a Tuesday
    });
  });

  describe("in the United States", () => {
    it.each([
      ["2026-11-26", false, "Thanksgiving"],
      ["2026-11-27", true, "the day after Thanksgiving (an observance)"],
      ["2026-07-03", false, "Independence Day substitute for Saturday 4 July"],
      ["2026-12-24", true, "Christmas Eve (optional)"],
      ["2026-12-25", false, "Christmas Day"],
    ])("%s is %s (%s)", (date, expected) => {
      expect(isBusinessDay(date, "US")).toBe(expected);
    });
  });

  it("counts every day of a multi-day holiday, not just its first (Seollal in Korea)", () => {
    expect(["2026-02-17", "2026-02-18", "2026-02-19"].map((d) => isBusinessDay(d, "KR"))).toEqual([
      false,
      false,
      false,
    ]);
  });

  it("treats a country date-holidays does not know as weekdays only", () => {
    const days = Array.from({ length: 365 }, (_, i) =>
      DateTime.fromISO("2026-01-01", { zone: "utc" }).plus({ days: i }).toFormat("yyyy-MM-dd"),
    );
    for (const date of days) expect(isBusinessDay(date, "ZZ")).toBe(weekday(date) <= 5);
  });
});

describe("addBusinessDays", () => {
  it("skips China's National Day week and counts the Saturday make-up day", () => {
    // Sep 30 (Wed) 1, Oct 1–7 off, Oct 8 (Thu) 2, Oct 9 (Fri) 3, Oct 10 (Sat, make-up) 4, Oct 12 (Mon) 5.
    expect(addBusinessDays("2026-09-29T10:00+08:00", 5, SHANGHAI)).toEqual({
      date: "2026-10-12",
      endsAt: "2026-10-12T16:00:00.000Z",
    });
  });

  it("lands on a Saturday make-up day before Spring Festival, then jumps the whole break", () => {
    expect(addBusinessDays("2026-02-13T18:00+08:00", 1, SHANGHAI).date).toBe("2026-02-14");
    expect(addBusinessDays("2026-02-13T18:00+08:00", 2, SHANGHAI).date).toBe("2026-02-24");
  });

  it("skips US Thanksgiving", () => {
    expect(addBusinessDays("2026-11-25T15:00-05:00", 1, NEW_YORK).date).toBe("2026-11-27");
    expect(addBusinessDays("2026-11-25T15:00-05:00", 3, NEW_YORK)).toEqual({
      date: "2026-12-01",
      endsAt: "2026-12-02T05:00:00.000Z",
    });
  });

  describe("across a DST change", () => {
    it("ends at local midnight in standard time after New York falls back on 1 Nov 2026", () => {
      // From Fri 30 Oct (EDT): Mon 2 Nov 1, Tue 3 Nov 2, Wed 4 Nov 3; midnight after is 05:00Z (EST).
      expect(addBusinessDays("2026-10-30T15:00-04:00", 3, NEW_YORK)).toEqual({
        date: "2026-11-04",
        endsAt: "2026-11-05T05:00:00.000Z",
      });
      // The same computation a day earlier still ends in daylight time.
      expect(addBusinessDays("2026-10-29T15:00-04:00", 1, NEW_YORK)).toEqual({
        date: "2026-10-30",
        endsAt: "2026-10-31T04:00:00.000Z",
      });
    });

    it("ends at local midnight in daylight time after New York springs forward on 8 Mar 2026", () => {
      expect(addBusinessDays("2026-03-06T12:00-05:00", 1, NEW_YORK)).toEqual({
        date: "2026-03-09",
        endsAt: "2026-03-10T04:00:00.000Z",
      });
    });

    it("ends the day of the change itself at the right instant (n = 0)", () => {
      expect(addBusinessDays("2026-10-31T20:00-04:00", 0, NEW_YORK).endsAt).toBe("2026-11-01T04:00:00.000Z");
      expect(addBusinessDays("2026-11-01T10:00-05:00", 0, NEW_YORK).endsAt).toBe("2026-11-02T05:00:00.000Z");
    });

    it("ends at the first instant of the next day where DST skips midnight (Santiago, 6 Sep 2026)", () => {
      expect(
        addBusinessDays("2026-09-05T12:00-04:00", 0, { country: "CL", timeZone: "America/Santiago" }),
      ).toEqual({ date: "2026-09-05", endsAt: "2026-09-06T04:00:00.000Z" });
    });
  });

  it("takes the instant's local date in the region's zone, not the offset it was written in", () => {
    // 03:30Z on 30 Oct is 23:30 on 29 Oct in New York.
    expect(addBusinessDays("2026-10-30T03:30:00Z", 1, NEW_YORK).date).toBe("2026-10-30");
    // 20:00Z on 29 Sep is 04:00 on 30 Sep in Shanghai; the next business day is after National Day.
    expect(addBusinessDays("2026-09-29T20:00:00Z", 1, SHANGHAI).date).toBe("2026-10-08");
  });

  it("with n = 0 gives the end of the instant's own local day, business day or not", () => {
    expect(addBusinessDays("2026-10-03T10:00+08:00", 0, SHANGHAI)).toEqual({
      date: "2026-10-03",
      endsAt: "2026-10-03T16:00:00.000Z",
    });
  });
});

describe("businessDaysBetween", () => {
  it("counts the business days the clock moved over China's National Day", () => {
    // Sep 30, Oct 8, Oct 9, Oct 10 (make-up Saturday), Oct 12.
    expect(businessDaysBetween("2026-09-29T10:00+08:00", "2026-10-12T12:00+08:00", SHANGHAI)).toBe(5);
    expect(businessDaysBetween("2026-09-30T10:00+08:00", "2026-10-07T23:59+08:00", SHANGHAI)).toBe(0);
  });

  it("counts across US Thanksgiving", () => {
    expect(businessDaysBetween("2026-11-25T15:00-05:00", "2026-12-01T09:00-05:00", NEW_YORK)).toBe(3);
  });

  it("is 0 within one local day and when `to` is not after `from`", () => {
    expect(businessDaysBetween("2026-11-30T09:00-05:00", "2026-11-30T17:00-05:00", NEW_YORK)).toBe(0);
    expect(businessDaysBetween("2026-12-01T09:00-05:00", "2026-11-25T09:00-05:00", NEW_YORK)).toBe(0);
    expect(businessDaysBetween("2026-12-01T09:00-05:00", "2026-12-01T14:00:00Z", NEW_YORK)).toBe(0);
  });

  it("compares local dates in the region's zone", () => {
    // 2026-11-30T23:30-05:00 is already 1 Dec in UTC, but still 30 Nov in New York.
    expect(businessDaysBetween("2026-11-27T12:00-05:00", "2026-12-01T04:30:00Z", NEW_YORK)).toBe(1);
  });
});

describe("businessDaysBefore", () => {
  it("crosses China's National Day back to the last business day before it", () => {
    expect(businessDaysBefore("2026-10-09", 2, SHANGHAI)).toEqual({
      date: "2026-09-30",
      at: "2026-09-30T01:00:00.000Z",
    });
  });

  it("crosses US Thanksgiving and sends at 09:00 local", () => {
    expect(businessDaysBefore("2026-12-01", 3, NEW_YORK)).toEqual({
      date: "2026-11-25",
      at: "2026-11-25T14:00:00.000Z",
    });
  });

  it("uses the offset of the reminder's own day across a DST change", () => {
    expect(businessDaysBefore("2026-11-02", 1, NEW_YORK)).toEqual({
      date: "2026-10-30",
      at: "2026-10-30T13:00:00.000Z",
    });
  });

  it("with n = 0 gives the date itself", () => {
    expect(businessDaysBefore("2026-10-04", 0, SHANGHAI).date).toBe("2026-10-04");
  });
});

describe("holidaysBetween", () => {
  it("lists the National Day block China's deadline skipped, weekend days included", () => {
    expect(holidaysBetween("2026-09-29", "2026-10-12", "CN")).toEqual(
      ["01", "02", "03", "04", "05", "06", "07"].map((d) => ({ date: `2026-10-${d}`, name: "National Day" })),
    );
  });

  it("excludes fromDate and includes toDate, like the deadline count", () => {
    expect(holidaysBetween("2026-10-01", "2026-10-02", "CN")).toEqual([
      { date: "2026-10-02", name: "National Day" },
    ]);
  });

  it("names substitute days", () => {
    expect(holidaysBetween("2026-06-30", "2026-07-06", "US")).toEqual([
      { date: "2026-07-03", name: "Independence Day (substitute day)" },
      { date: "2026-07-04", name: "Independence Day" },
    ]);
  });

  it("is empty for an empty range and for a country date-holidays does not know", () => {
    expect(holidaysBetween("2026-10-12", "2026-09-29", "CN")).toEqual([]);
    expect(holidaysBetween("2026-01-01", "2026-12-31", "ZZ")).toEqual([]);
  });
});

describe("defaultTimeZone", () => {
  it.each([
    ["US", "America/New_York"],
    ["CN", "Asia/Shanghai"],
    ["GB", "Europe/London"],
    ["DE", "Europe/Berlin"],
    ["JP", "Asia/Tokyo"],
    ["SG", "Asia/Singapore"],
    ["IN", "Asia/Kolkata"],
    ["AU", "Australia/Sydney"],
    ["ZZ", "UTC"],
    ["FR", "UTC"],
  ])("gives %s %s", (country, zone) => {
    expect(defaultTimeZone(country)).toBe(zone);
  });
});

describe("input validation", () => {
  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_BUSINESS_DAYS + 1])(
    "rejects n = %s with invalid_business_day_count",
    (n) => {
      expectValidationFailed(
        () => addBusinessDays("2026-09-29T10:00+08:00", n, SHANGHAI),
        [{ field: "n", code: "invalid_business_day_count" }],
      );
      expectValidationFailed(
        () => businessDaysBefore("2026-10-09", n, SHANGHAI),
        [{ field: "n", code: "invalid_business_day_count" }],
      );
    },
  );

  it.each([
    "2026-02-30",
    "2026-13-01",
    "2026-9-1",
    "20260901",
    "2026-09-01T00:00Z",
    "",
    "1899-12-31",
    "2200-01-01",
  ])("rejects the date %j with invalid_date", (date) => {
    expectValidationFailed(() => isBusinessDay(date, "CN"), [{ field: "date", code: "invalid_date" }]);
    expectValidationFailed(
      () => holidaysBetween(date, "2026-10-01", "CN"),
      [{ field: "fromDate", code: "invalid_date" }],
    );
  });

  it.each(["2026-09-29T10:00", "2026-09-29", "2026-02-30T10:00Z", "2026-09-29T25:00Z", "yesterday", ""])(
    "rejects the instant %j with invalid_instant",
    (instant) => {
      expectValidationFailed(
        () => addBusinessDays(instant, 1, SHANGHAI),
        [{ field: "fromInstant", code: "invalid_instant" }],
      );
      expectValidationFailed(
        () => businessDaysBetween("2026-09-29T10:00Z", instant, SHANGHAI),
        [{ field: "toInstant", code: "invalid_instant" }],
      );
    },
  );

  it.each(["Mars/Olympus", "UTC+8", "", "Shanghai"])(
    "rejects the time zone %j with unknown_time_zone",
    (timeZone) => {
      expectValidationFailed(
        () => addBusinessDays("2026-09-29T10:00+08:00", 1, { country: "CN", timeZone }),
        [{ field: "region.timeZone", code: "unknown_time_zone" }],
      );
    },
  );

  it.each(["cn", "CHN", "", "C1"])("rejects the country %j with invalid_country", (country) => {
    expectValidationFailed(
      () => isBusinessDay("2026-10-01", country),
      [{ field: "country", code: "invalid_country" }],
    );
    expectValidationFailed(() => defaultTimeZone(country), [{ field: "country", code: "invalid_country" }]);
  });

  it("reports every problem at once", () => {
    expectValidationFailed(
      () => addBusinessDays("tomorrow", -2, { country: "usa", timeZone: "Nowhere/City" }),
      [
        { field: "fromInstant", code: "invalid_instant" },
        { field: "n", code: "invalid_business_day_count" },
        { field: "region.country", code: "invalid_country" },
        { field: "region.timeZone", code: "unknown_time_zone" },
      ],
    );
  });

  it("rejects a missing region instead of crashing", () => {
    expectValidationFailed(
      () => businessDaysBetween("2026-09-29T10:00Z", "2026-10-29T10:00Z", undefined as unknown as Region),
      [
        { field: "region.country", code: "invalid_country" },
        { field: "region.timeZone", code: "unknown_time_zone" },
      ],
    );
  });
});

describe("the China holiday table", () => {
  const rows = Object.values(CHINA_HOLIDAY_ARRANGEMENTS);

  it("covers 2025 and 2026 with the day counts of the notices", () => {
    expect(rows.map((r) => [r.year, r.daysOff.length, r.workingWeekendDays.length])).toEqual([
      [2025, 28, 5],
      [2026, 33, 6],
    ]);
  });

  it.each(rows)("keeps the $year row consistent", (row) => {
    expect(row.source).toMatch(/^https:\/\/www\.gov\.cn\//);
    expect(row.published < `${row.year}-01-01`).toBe(true);
    expect(new Set(row.daysOff).size).toBe(row.daysOff.length);
    for (const date of row.workingWeekendDays) {
      expect(weekday(date)).toBeGreaterThanOrEqual(6);
      expect(row.daysOff).not.toContain(date);
    }
    for (const date of [...row.daysOff, ...row.workingWeekendDays]) {
      expect(Number(date.slice(0, 4))).toBeGreaterThanOrEqual(row.year - 1);
      expect(Number(date.slice(0, 4))).toBeLessThanOrEqual(row.year);
    }
    // Each holiday is one unbroken block of days.
    for (const h of row.holidays) {
      const first = DateTime.fromISO(h.daysOff[0]!, { zone: "utc" });
      expect(h.daysOff).toEqual(h.daysOff.map((_, i) => first.plus({ days: i }).toFormat("yyyy-MM-dd")));
    }
  });
});

describe("properties", () => {
  const regions: Region[] = [
    SHANGHAI,
    NEW_YORK,
    { country: "GB", timeZone: "Europe/London" },
    { country: "DE", timeZone: "Europe/Berlin" },
    { country: "AU", timeZone: "Australia/Sydney" },
    { country: "IN", timeZone: "Asia/Kolkata" },
    { country: "CL", timeZone: "America/Santiago" },
    { country: "ZZ", timeZone: "UTC" },
  ];
  // 2024–2027: both years of the China table and the date-holidays fallback on either side.
  const instant = fc
    .integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 11, 31) })
    .map((ms) => new Date(ms).toISOString());
  const region = fc.constantFrom(...regions);
  const count = fc.integer({ min: 0, max: 40 });

  it("addBusinessDays lands on a business day whose end is exactly n business days on", () => {
    fc.assert(
      fc.property(instant, count, region, (from, n, r) => {
        const result = addBusinessDays(from, n, r);
        if (n > 0) expect(isBusinessDay(result.date, r.country)).toBe(true);
        const lastMoment = new Date(Date.parse(result.endsAt) - 1).toISOString();
        expect(localDate(lastMoment, r.timeZone)).toBe(result.date);
        expect(localDate(result.endsAt, r.timeZone)).not.toBe(result.date);
        expect(businessDaysBetween(from, lastMoment, r)).toBe(n);
      }),
    );
  });

  it("businessDaysBefore walks addBusinessDays back to the last business day on or before the start", () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 40 }), region, (from, n, r) => {
        const start = localDate(from, r.timeZone);
        const back = businessDaysBefore(addBusinessDays(from, n, r).date, n, r);
        expect(isBusinessDay(back.date, r.country)).toBe(true);
        expect(back.date <= start).toBe(true);
        if (isBusinessDay(start, r.country)) expect(back.date).toBe(start);
        // No business day lies between the answer and the start.
        expect(businessDaysBetween(back.at, from, r)).toBe(0);
      }),
    );
  });

  it("addBusinessDays from the reminder instant comes back to the business day it started from", () => {
    fc.assert(
      fc.property(instant, count, region, (from, n, r) => {
        const due = localDate(from, r.timeZone);
        fc.pre(isBusinessDay(due, r.country));
        const reminder = businessDaysBefore(due, n, r);
        expect(localDate(reminder.at, r.timeZone)).toBe(reminder.date);
        expect(addBusinessDays(reminder.at, n, r).date).toBe(due);
      }),
    );
  });
});
