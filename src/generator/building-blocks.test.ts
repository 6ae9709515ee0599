import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec, Money } from "../money/index.js";
import { addMonths, Calendar, DAY, HOUR, iso } from "./calendar.js";
import type { TrackedCharge } from "./charge-sink.js";
import { csvField, fromUnits, plain, toUnits } from "./focus-row.js";
import { coveredWithin, forEachPeriod, type Interval, mergeIntervals, toSpans } from "./model.js";
import { Rng } from "./prng.js";
import { compareRefs, type DraftFinding, findingId, finishFindings, slaCreditPercent } from "./truth.js";

describe("Rng", () => {
  it("repeats its sequence for a seed and label, and forks independently of use", () => {
    const a = new Rng(42, "x");
    const b = new Rng(42, "x");
    const seqA = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(seqA);
    expect(new Rng(43, "x").next()).not.toBe(seqA[0]);
    expect(new Rng(42, "y").next()).not.toBe(seqA[0]);
    const used = new Rng(7);
    used.next();
    expect(used.fork("k").next()).toBe(new Rng(7).fork("k").next());
  });

  it("stays within bounds and spreads values", () => {
    const r = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const v = r.int(3, 9);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(9);
      seen.add(v);
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(seen.size).toBe(7);
    expect(r.hex(21)).toMatch(/^[0-9a-f]{21}$/);
  });

  it("accepts seeds beyond 32 bits", () => {
    expect(new Rng(2 ** 40 + 5).next()).not.toBe(new Rng(5).next());
  });
});

describe("intervals", () => {
  const h = (n: number) => n * HOUR;

  it("merges overlapping and touching records into their union", () => {
    expect(
      mergeIntervals([
        { start: h(5), end: h(7) },
        { start: h(1), end: h(3) },
        { start: h(2), end: h(4) },
        { start: h(4), end: h(5) },
        { start: h(9), end: h(9) },
      ]),
    ).toEqual([{ start: h(1), end: h(7) }]);
  });

  it("walks the periods an interval touches, with the covered time of each", () => {
    const calls: [number, number][] = [];
    const spans = toSpans([
      { start: h(1) + 17 * 60_000, end: h(3) + 5 * 60_000 },
      { start: h(3) + 30 * 60_000, end: h(3) + 40 * 60_000 },
    ]);
    forEachPeriod(spans, HOUR, 0, DAY, (p, ms) => calls.push([p / HOUR, ms / 60_000]));
    expect(calls).toEqual([
      [1, 43],
      [2, 60],
      [3, 15],
    ]);
  });

  it("covers, per period, exactly the union clipped to it (property)", () => {
    const arb = fc.array(
      fc
        .tuple(fc.integer({ min: 0, max: 3 * 24 * 60 }), fc.integer({ min: 1, max: 30 * 60 }))
        .map(([s, len]): Interval => ({ start: s * 60_000, end: (s + len) * 60_000 })),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(arb, fc.constantFrom(HOUR, DAY), (raw, unit) => {
        const merged = mergeIntervals(raw);
        let total = 0;
        forEachPeriod(toSpans(raw), unit, 0, 5 * DAY, (p, ms) => {
          expect(ms).toBe(coveredWithin(merged, p, p + unit));
          expect(ms).toBeGreaterThan(0);
          total += ms;
        });
        expect(total).toBe(coveredWithin(merged, 0, 5 * DAY));
      }),
    );
  });
});

describe("calendar and text", () => {
  it("formats instants in UTC without milliseconds and walks calendar months", () => {
    expect(iso(Date.UTC(2026, 0, 1))).toBe("2026-01-01T00:00:00Z");
    expect(iso(addMonths(Date.UTC(2026, 0, 28, 5), 1))).toBe("2026-02-28T05:00:00Z");
    const cal = new Calendar(2025, 10, 4);
    expect(cal.label(2)).toBe("2026-01");
    expect(cal.days(3)).toBe(28);
    expect(cal.isoAt(cal.start(1) + 5 * HOUR)).toBe("2025-12-01T05:00:00Z");
    expect(cal.isoBytesOnGrid(cal.start(1), true).toString()).toBe("2025-12-01T00:00:00Z,");
  });

  it("quotes CSV fields only when needed", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('{"k":"v"}')).toBe('"{""k"":""v""}"');
  });

  it("keeps decimals plain and exact", () => {
    expect(plain(new Dec("1e-7"))).toBe("0.0000001");
    expect(plain(new Dec("-0"))).toBe("0");
    expect(fromUnits(toUnits(new Dec("-12.0000000001"))).toFixed()).toBe("-12.0000000001");
    expect(() => toUnits(new Dec("0.00000000001"))).toThrow();
  });
});

describe("truth helpers", () => {
  it("derives finding ids from the kind and the sorted references", () => {
    const refs = ["charges.csv:12", "charges.csv:100"];
    const expected = createHash("sha256")
      .update("duplicate_charge\ncharges.csv:100\ncharges.csv:12")
      .digest("hex");
    expect(findingId("duplicate_charge", refs)).toBe(`f-${expected.slice(0, 16)}`);
    expect(findingId("duplicate_charge", [...refs].reverse())).toBe(findingId("duplicate_charge", refs));
  });

  it("orders references by file, then line number", () => {
    expect(["charges.csv:100", "charges.csv:99", "a.csv:5"].sort(compareRefs)).toEqual([
      "a.csv:5",
      "charges.csv:99",
      "charges.csv:100",
    ]);
  });

  it("picks the lowest SLA tier the availability falls below", () => {
    const jan = 31 * DAY;
    const minutes = (n: number) => n * 60_000;
    expect(slaCreditPercent("Amazon Elastic Compute Cloud", minutes(4), jan)).toBeNull();
    expect(slaCreditPercent("Amazon Elastic Compute Cloud", minutes(5), jan)).toBe("10");
    expect(slaCreditPercent("Amazon Elastic Compute Cloud", minutes(600), jan)).toBe("30");
    expect(slaCreditPercent("Amazon Elastic Compute Cloud", minutes(2400), jan)).toBe("100");
    expect(slaCreditPercent("Amazon Simple Storage Service", minutes(55), jan)).toBe("10");
    expect(slaCreditPercent("Amazon Simple Storage Service", minutes(540), jan)).toBe("25");
    expect(slaCreditPercent("Amazon CloudFront", minutes(9000), jan)).toBeNull();
    // Exactly at the threshold is not below it: 99.99 % of a 30-day month leaves 259.2 s.
    expect(slaCreditPercent("Amazon Elastic Compute Cloud", 259_200, 30 * DAY)).toBeNull();
    expect(slaCreditPercent("Amazon Elastic Compute Cloud", 259_201, 30 * DAY)).toBe("10");
  });

  it("rounds once half away from zero, drops zero amounts and sorts by kind, account, first line", () => {
    const charge = (line: number, accountId: string): TrackedCharge => ({
      ref: `charges.csv:${line}`,
      line,
      accountId,
      row: {} as TrackedCharge["row"],
    });
    const draft = (
      kind: DraftFinding["kind"],
      accountId: string,
      line: number,
      amount: string,
    ): DraftFinding => ({
      kind,
      accountId,
      charges: [charge(line, accountId)],
      amount: Money.of(amount, "USD"),
    });
    const out = finishFindings(
      [
        draft("rate_above_contract", "1", 5, "0.005"),
        draft("duplicate_charge", "2", 100, "1.004"),
        draft("duplicate_charge", "2", 99, "0.0049"),
        draft("duplicate_charge", "1", 1000, "2"),
        draft("duplicate_charge", "2", 9, "3.335"),
      ],
      "USD",
    );
    expect(out.map((f) => [f.kind, f.accountId, f.charges[0], f.amount])).toEqual([
      ["duplicate_charge", "1", "charges.csv:1000", "2.00"],
      ["duplicate_charge", "2", "charges.csv:9", "3.34"],
      ["duplicate_charge", "2", "charges.csv:100", "1.00"],
      ["rate_above_contract", "1", "charges.csv:5", "0.01"],
    ]);
  });
});

describe("MeteredStream", () => {
  it("writes the same bytes on its fast path as row by row", async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const { ChargeSink } = await import("./charge-sink.js");
    const { MeteredStream } = await import("./streams.js");
    const dir = mkdtempSync(join(tmpdir(), "metered-"));
    try {
      const cal = new Calendar(2026, 0, 2);
      const ctx = { calendar: cal, currency: "EUR", priceScale: new Dec(1), minorUnits: 2 };
      const account = {
        index: 0,
        id: "123456789012",
        name: "acme-ops",
        team: "ops",
        env: "prod",
        taxRate: "0.2",
      };
      const heads = [["head,one,", "head,two,"]];
      const raw = [
        { start: cal.dataStart - HOUR, end: cal.dataStart + 5 * DAY + 17 * 60_000 },
        { start: cal.start(1) + 3 * DAY + 7_000, end: cal.start(1) + 3 * DAY + 9 * HOUR },
        { start: cal.start(1) + 3 * DAY + 8 * HOUR, end: cal.start(1) + 4 * DAY + HOUR },
      ];
      const files: string[] = [];
      const totals: bigint[] = [];
      for (const granularity of [HOUR, DAY]) {
        for (const track of [undefined, "t"]) {
          const stream = new MeteredStream(ctx, {
            account,
            description: {
              category: "Usage",
              chargeClass: "",
              frequency: "Usage-Based",
              description: "EUR 0.1 per hour, or part",
              serviceName: "Amazon Elastic Compute Cloud",
              serviceCategory: "Compute",
              regionId: "sa-east-1",
              regionName: "South America (São Paulo)",
              resourceId: "i-0abc",
              resourceName: "web-1",
              resourceType: "Instance",
              skuId: "SKU",
              skuPriceId: "SKU.X",
              pricingCategory: "Standard",
            },
            tags: '{"env":"prod"}',
            pricing: { list: new Dec("0.1234"), contracted: new Dec("0.113528") },
            granularity,
            raw,
            covered: false,
            ...(track === undefined ? {} : { track }),
          });
          const file = join(dir, `${granularity}-${track ?? "fast"}.csv`);
          const sink = await ChargeSink.open(file, "x.csv", cal, heads, [account.id], () => {});
          for (let m = 0; m < 2; m++) {
            sink.begin(0, m);
            expect(stream.rowsInMonth(m)).toBeGreaterThan(0);
            const before = sink.rows;
            stream.emitMonth(m, sink);
            expect(sink.rows - before).toBe(stream.rowsInMonth(m));
          }
          await sink.close();
          expect(sink.rows).toBe(stream.rowCount);
          expect(sink.invoiceTotal(0, 0)).toBeGreaterThan(0n);
          totals.push(sink.invoiceTotal(0, 0), sink.invoiceTotal(0, 1));
          files.push(file);
        }
      }
      expect(readFileSync(files[0]!, "utf8")).toBe(readFileSync(files[1]!, "utf8"));
      expect(readFileSync(files[2]!, "utf8")).toBe(readFileSync(files[3]!, "utf8"));
      expect(totals.slice(2, 4)).toEqual(totals.slice(0, 2));
      expect(totals.slice(6, 8)).toEqual(totals.slice(4, 6));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
