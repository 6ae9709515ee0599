import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  availabilityPercent,
  downtimeByMonth,
  type Interval,
  readEvidenceFile,
  splitByMonth,
  totalLength,
  unionIntervals,
} from "../src/billing/evidence/index.js";
import type { Incident } from "../src/billing/evidence.js";
import { AppError } from "../src/shared/errors.js";

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/evidence/${name}`, import.meta.url));
const FEED = "gcp_status_incidents_2021-07_2022-07.json.gz";
const SHARED_FEED = "/work/shared/data/gcp_status_incidents_2021-07_2022-07.json";

const MINUTE = 60_000n;
const SECOND = 1_000n;
const DAY = 86_400_000n;

async function readFeed(): Promise<Incident[]> {
  const result = await readEvidenceFile(fixture(FEED), "incidents", { displayName: "gcp.json" });
  expect(result.source).toBe("gcp-status");
  expect(result.invalid).toEqual([]);
  return result.records;
}

describe("the Google Cloud status feed (157 real incidents, 2021-07 to 2022-07)", () => {
  it("gives one Incident per incident and affected location; none is open", async () => {
    const result = await readEvidenceFile(fixture(FEED), "incidents", { displayName: "gcp.json" });
    // 52 incidents list their locations (633 incident-locations, 14 of them the feed's own "Global"
    // location `global`); 105 list none at all and become `global` too.
    expect(result.records).toHaveLength(738);
    expect(result.skipped).toBe(0);
    expect(new Set(result.records.map((r) => r.incidentId.split("@")[0])).size).toBe(157);
    expect(result.records.filter((r) => r.regionId === "global")).toHaveLength(105 + 14);
    // The first incident of the file: BigQuery, 29 regions.
    const first = result.records.filter((r) => r.sourceRef === "gcp.json:0");
    expect(first).toHaveLength(29);
    expect(first[0]).toEqual({
      sourceRef: "gcp.json:0",
      incidentId: "TaA75H7XA1DQyM2ReK2f@asia-east1",
      serviceName: "Google BigQuery",
      regionId: "asia-east1",
      resourceIds: [],
      start: "2022-07-01T13:37:44Z",
      end: "2022-07-01T19:25:45Z",
      statusPageUrl: "https://status.cloud.google.com/incidents/TaA75H7XA1DQyM2ReK2f",
    });
  });

  it.skipIf(!existsSync(SHARED_FEED))("reads the uncompressed shared copy the same way", async () => {
    const plain = await readEvidenceFile(SHARED_FEED, "incidents", { displayName: "gcp.json" });
    expect(plain.records).toEqual(await readFeed());
  });

  it("Multiple Products in us-central1, May 2022 (31 days), with two overlapping incidents: 98.089307 %", async () => {
    const months = downtimeByMonth(await readFeed(), {
      serviceName: "Multiple Products",
      regionId: "us-central1",
    });
    // Read from the file: the "Multiple Products" incidents whose previously_affected_locations name
    // us-central1 and that fall in May 2022:
    //   4Qvmd4q81VnA9RirCMqV  2022-05-06T08:30:00 → 19:06:00   10 h 36 min        = 38 160 s
    //   YUJH3JbojVM5WE4jxyrc  2022-05-06T09:15:37 → 12:45:00   inside the one above: counted once, adds 0
    //   2Hd52dn3PqYGTD5zdp7v  2022-05-09T06:55:00 → 08:42:00    1 h 47 min        =  6 420 s
    //   eo76pxZiDgWVz4z3kmUv  2022-05-20T20:47:00 → 21:07:00        20 min        =  1 200 s
    //   eMrkQFQCj1Xmf3trQRNt  2022-05-27T20:42:25 → 22:12:21    1 h 29 min 56 s   =  5 396 s
    // Down: 38 160 + 6 420 + 1 200 + 5 396 = 51 176 s. May: 31 × 86 400 = 2 678 400 s.
    // Availability: (2 678 400 − 51 176) / 2 678 400 × 100 = 98.08930704… → 98.089307.
    const downtime = (38_160n + 6_420n + 1_200n + 5_396n) * SECOND;
    expect(downtime).toBe(51_176_000n);
    expect(months.get("2022-05")).toEqual({ downtimeMs: downtime, monthMs: 31n * DAY });
    expect(availabilityPercent(downtime, 31n * DAY)).toBe("98.089307");
    // Summing the incidents instead of taking their union would count 09:15:37–12:45:00 twice.
    const summed = downtime + (3n * 3600n + 29n * 60n + 23n) * SECOND;
    expect(availabilityPercent(summed, 31n * DAY)).not.toBe("98.089307");
  });

  it("Google Cloud SQL (global), an incident from 2 November to 16 December 2021: split at the month boundary", async () => {
    const months = downtimeByMonth(await readFeed(), { serviceName: "Google Cloud SQL", regionId: "global" });
    // aCXLk4u6GJoLn9PqSMm1 "Issues with Cloud SQL for MySQL instance migration to 5.7", no location listed
    // (so `global`): begin 2021-11-02T12:13:00, end 2021-12-16T20:25:00. No other Cloud SQL incident in these
    // months.
    // November (30 days = 43 200 min): from 2 Nov 12:13 to 1 Dec 00:00 = 28 d 11 h 47 min = 41 027 min.
    //   (43 200 − 41 027) / 43 200 × 100 = 5.0300925… → 5.030093
    // December (31 days = 44 640 min): from 1 Dec 00:00 to 16 Dec 20:25 = 15 d 20 h 25 min = 22 825 min.
    //   (44 640 − 22 825) / 44 640 × 100 = 48.8687275… → 48.868728
    const november = (28n * 1440n + 11n * 60n + 47n) * MINUTE;
    const december = (15n * 1440n + 20n * 60n + 25n) * MINUTE;
    expect(november).toBe(41_027n * MINUTE);
    expect(december).toBe(22_825n * MINUTE);
    expect(months.get("2021-11")).toEqual({ downtimeMs: november, monthMs: 43_200n * MINUTE });
    expect(months.get("2021-12")).toEqual({ downtimeMs: december, monthMs: 44_640n * MINUTE });
    expect(availabilityPercent(november, 43_200n * MINUTE)).toBe("5.030093");
    expect(availabilityPercent(december, 44_640n * MINUTE)).toBe("48.868728");
    expect([...months.keys()]).toEqual(["2021-11", "2021-12", "2022-02", "2022-05"]);
  });
});

describe("the Google Cloud status feed: open incidents and locations", () => {
  async function feedFile(incidents: unknown[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "gcp-feed-"));
    const path = join(dir, "feed.json");
    await writeFile(path, JSON.stringify(incidents));
    return path;
  }
  const base = {
    id: "abc",
    service_name: "Google Compute Engine",
    begin: "2024-01-01T10:00:00+00:00",
    end: "2024-01-01T11:00:00+00:00",
    previously_affected_locations: [],
  };

  it("skips open incidents, falls back to the most recent update's locations, else global", async () => {
    const path = await feedFile([
      { ...base, id: "open", end: undefined },
      {
        ...base,
        id: "upd",
        updates: [
          { when: "2024-01-01T10:30:00+00:00", affected_locations: [{ title: "Iowa", id: "us-central1" }] },
          {
            when: "2024-01-01T10:05:00+00:00",
            affected_locations: [{ title: "Tokyo", id: "asia-northeast1" }],
          },
        ],
      },
      { ...base, id: "none" },
      {
        ...base,
        id: "dup",
        previously_affected_locations: [
          { title: "Iowa", id: "us-central1" },
          { title: "Iowa", id: "us-central1" },
          { title: "Belgium", id: "europe-west1" },
        ],
      },
    ]);
    const result = await readEvidenceFile(path, "incidents", { displayName: "feed.json" });
    expect(result.skipped).toBe(1);
    expect(result.records.map((r) => [r.sourceRef, r.incidentId, r.regionId])).toEqual([
      ["feed.json:1", "upd@us-central1", "us-central1"],
      ["feed.json:2", "none@global", "global"],
      ["feed.json:3", "dup@us-central1", "us-central1"],
      ["feed.json:3", "dup@europe-west1", "europe-west1"],
    ]);
  });

  it("reports a bad incident by its index in the array", async () => {
    const path = await feedFile([base, { ...base, id: "bad", begin: "2024-01-01 10:00" }, "not an incident"]);
    await expect(readEvidenceFile(path, "incidents", { displayName: "feed.json" })).rejects.toMatchObject({
      code: "validation_failed",
      message: expect.stringMatching(
        /^feed\.json:1: begin: expected .*offset or Z.*, found "2024-01-01 10:00"$/,
      ),
      extensions: { file: "feed.json", row: 1, column: "begin", found: '"2024-01-01 10:00"' },
    });
    const collected = await readEvidenceFile(path, "incidents", {
      displayName: "feed.json",
      onInvalid: "collect",
    });
    expect(collected.records).toHaveLength(1);
    expect(collected.invalid.map((p) => [p.row, p.column, p.found])).toEqual([
      [1, "begin", '"2024-01-01 10:00"'],
      [2, undefined, '"not an incident"'],
    ]);
  });

  it("rejects a feed that is not a JSON array, and .json for other kinds", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gcp-feed-"));
    const path = join(dir, "feed.json");
    await writeFile(path, '{"incidents": []}');
    await expect(readEvidenceFile(path, "incidents", { displayName: "feed.json" })).rejects.toMatchObject({
      code: "validation_failed",
      message:
        "feed.json: expected the Google Cloud status feed (a JSON array of incidents), found an object",
    });
    await expect(readEvidenceFile(path, "usage", { displayName: "feed.json" })).rejects.toMatchObject({
      code: "validation_failed",
      message: expect.stringContaining(
        "feed.json: a .json file is read only as the Google Cloud status feed",
      ),
    });
  });
});

describe("downtimeByMonth: month lengths", () => {
  it("February 2024 has 29 days, March 31; overlapping incidents count once", async () => {
    const { records } = await readEvidenceFile(fixture("incidents.jsonl"), "incidents");
    // inc-1 2024-02-28T23:00 → 2024-03-01T01:00 and inc-2 2024-02-29T00:00 → 01:00 (inside inc-1).
    // February: 28 Feb 23:00 → 1 Mar 00:00 = 25 h; March: 00:00 → 01:00 = 1 h.
    const months = downtimeByMonth(records, { serviceName: "Compute Engine", regionId: "us-central1" });
    expect([...months.entries()]).toEqual([
      ["2024-02", { downtimeMs: 25n * 3_600_000n, monthMs: 29n * DAY }],
      ["2024-03", { downtimeMs: 3_600_000n, monthMs: 31n * DAY }],
    ]);
    // (29 × 24 − 25) / (29 × 24) × 100 = 671 / 696 × 100 = 96.4080459… → 96.408046
    expect(availabilityPercent(25n * 3_600_000n, 29n * DAY)).toBe("96.408046");
    // (31 × 24 − 1) / (31 × 24) × 100 = 743 / 744 × 100 = 99.8655913… → 99.865591
    expect(availabilityPercent(3_600_000n, 31n * DAY)).toBe("99.865591");
    // Another service or region matches nothing (exact match on both).
    expect(downtimeByMonth(records, { serviceName: "Compute Engine", regionId: "us-east1" }).size).toBe(0);
  });

  it("February 2023 has 28 days; April 30; an incident over a whole month is 0 % available", () => {
    const incident = (id: string, start: string, end: string): Incident => ({
      sourceRef: `t:${id}`,
      incidentId: id,
      serviceName: "S",
      regionId: "r",
      resourceIds: [],
      start,
      end,
      statusPageUrl: null,
    });
    const months = downtimeByMonth(
      [
        incident("a", "2023-01-31T23:00:00Z", "2023-03-01T00:00:00Z"),
        incident("b", "2023-04-30T23:59:59.500Z", "2023-05-01T00:00:00.250Z"),
      ],
      { serviceName: "S", regionId: "r" },
    );
    expect([...months.entries()]).toEqual([
      ["2023-01", { downtimeMs: 3_600_000n, monthMs: 31n * DAY }],
      ["2023-02", { downtimeMs: 28n * DAY, monthMs: 28n * DAY }],
      ["2023-04", { downtimeMs: 500n, monthMs: 30n * DAY }],
      ["2023-05", { downtimeMs: 250n, monthMs: 31n * DAY }],
    ]);
    expect(availabilityPercent(28n * DAY, 28n * DAY)).toBe("0.000000");
  });
});

describe("availabilityPercent", () => {
  it("is exact and rounds half-up at the 6th place", () => {
    expect(availabilityPercent(0n, 31n * DAY)).toBe("100.000000");
    // 1 ms of 200 000 000: 99.9999995 → 100.000000; 3 ms: 99.9999985 → 99.999999.
    expect(availabilityPercent(1n, 200_000_000n)).toBe("100.000000");
    expect(availabilityPercent(3n, 200_000_000n)).toBe("99.999999");
    // 25.92 s of a 30-day month (2 592 000 000 ms) is exactly 0.001 %; 43.2 s is 0.0016666… %.
    expect(availabilityPercent(25_920n, 30n * DAY)).toBe("99.999000");
    expect(availabilityPercent(43_200n, 30n * DAY)).toBe("99.998333");
  });

  it("refuses impossible inputs", () => {
    expect(() => availabilityPercent(2n, 1n)).toThrow(AppError);
    expect(() => availabilityPercent(-1n, 10n)).toThrow(/0 ≤ downtime/);
    expect(() => availabilityPercent(0n, 0n)).toThrow(AppError);
  });
});

describe("union and month split: properties", () => {
  const YEAR_2024 = 1_704_067_200_000n; // 2024-01-01T00:00:00Z
  const interval = fc
    .record({
      start: fc.bigInt({ min: 0n, max: 400n * DAY }),
      length: fc.bigInt({ min: 0n, max: 60n * DAY }),
    })
    .map(({ start, length }): Interval => ({ start: YEAR_2024 + start, end: YEAR_2024 + start + length }));
  const intervals = fc.array(interval, { maxLength: 30 });
  const len = (i: Interval): bigint => i.end - i.start;

  it("union length ≤ sum of lengths and ≥ the longest one", () => {
    fc.assert(
      fc.property(intervals, (xs) => {
        const union = totalLength(unionIntervals(xs));
        expect(union <= totalLength(xs)).toBe(true);
        let longest = 0n;
        for (const i of xs) if (len(i) > longest) longest = len(i);
        expect(union >= longest).toBe(true);
      }),
    );
  });

  it("the union does not depend on the order of the intervals, and is sorted and disjoint", () => {
    fc.assert(
      fc.property(
        intervals.chain((xs) => fc.tuple(fc.constant(xs), fc.shuffledSubarray(xs, { minLength: xs.length }))),
        ([xs, shuffled]) => {
          const union = unionIntervals(xs);
          expect(unionIntervals(shuffled)).toEqual(union);
          for (let k = 1; k < union.length; k++) expect(union[k]!.start > union[k - 1]!.end).toBe(true);
        },
      ),
    );
  });

  it("splitting at month boundaries preserves the total, never exceeds a month, and matches a minute count", () => {
    fc.assert(
      fc.property(intervals, (xs) => {
        const union = unionIntervals(xs);
        const months = splitByMonth(union);
        let sum = 0n;
        for (const { downtimeMs, monthMs } of months.values()) {
          expect(downtimeMs > 0n && downtimeMs <= monthMs).toBe(true);
          sum += downtimeMs;
        }
        expect(sum).toBe(totalLength(union));
      }),
    );
  });

  it("agrees with counting covered minutes one by one", () => {
    const minuteInterval = fc
      .record({ start: fc.integer({ min: 0, max: 3 * 44_640 }), length: fc.integer({ min: 0, max: 5_000 }) })
      .map(({ start, length }) => ({ start, end: start + length }));
    // Minutes from 2024-01-31T00:00:00Z: spans Jan (31 d), Feb 2024 (29 d), Mar, Apr, May.
    const origin = YEAR_2024 + 30n * DAY;
    fc.assert(
      fc.property(fc.array(minuteInterval, { maxLength: 8 }), (xs) => {
        const covered = new Map<string, number>();
        const seen = new Set<number>();
        for (const { start, end } of xs) {
          for (let m = start; m < end; m++) {
            if (seen.has(m)) continue;
            seen.add(m);
            const at = new Date(Number(origin + BigInt(m) * MINUTE)).toISOString().slice(0, 7);
            covered.set(at, (covered.get(at) ?? 0) + 1);
          }
        }
        const incidents: Incident[] = xs.map(({ start, end }, k) => ({
          sourceRef: `t:${k}`,
          incidentId: String(k),
          serviceName: "S",
          regionId: "r",
          resourceIds: [],
          start: new Date(Number(origin + BigInt(start) * MINUTE)).toISOString(),
          end: new Date(Number(origin + BigInt(end) * MINUTE)).toISOString(),
          statusPageUrl: null,
        }));
        const months = downtimeByMonth(incidents, { serviceName: "S", regionId: "r" });
        const actual = new Map([...months].map(([k, v]) => [k, Number(v.downtimeMs / MINUTE)]));
        expect(actual).toEqual(covered);
      }),
      { numRuns: 200 },
    );
  });
});
