import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Dec } from "../money/index.js";
import { type Analytics, openAnalytics } from "./analytics.js";
import type { Charge } from "./charge.js";
import { loadChargeFile } from "./load-charges.js";
import { formatEpochMillis, readChargeBatches, scaledToText } from "./read-charge-rows.js";

const dir = mkdtempSync(join(tmpdir(), "rd-read-"));
function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

let analytics: Analytics;
beforeEach(async () => {
  analytics = await openAnalytics({ threads: 2 });
});
afterEach(() => analytics.close());

async function batches(a: Analytics, batchSize?: number): Promise<Charge[][]> {
  const out: Charge[][] = [];
  for await (const batch of readChargeBatches(a, batchSize === undefined ? {} : { batchSize }))
    out.push(batch);
  return out;
}

describe("decimal text", () => {
  it("is plain, exact and without trailing zeros", () => {
    expect(scaledToText(1500n * 10n ** 18n, 18)).toBe("1500");
    expect(scaledToText(8n * 10n ** 11n, 18)).toBe("0.0000008");
    expect(scaledToText(-5n * 10n ** 12n, 18)).toBe("-0.000005");
    expect(scaledToText(0n, 18)).toBe("0");
    expect(scaledToText(-1n, 18)).toBe("-0.000000000000000001");
    expect(scaledToText(99999999999999999999999999999999999999n, 18)).toBe(
      "99999999999999999999.999999999999999999",
    );
    expect(scaledToText(120n, 0)).toBe("120");
  });

  it("agrees with decimal.js on any value", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), (scaled) => {
        const text = scaledToText(scaled, 18);
        expect(text).not.toMatch(/e|E|\.$|\.\d*0$/);
        expect(new Dec(text).equals(new Dec(scaled.toString()).dividedBy(new Dec(10).pow(18)))).toBe(true);
      }),
    );
  });
});

describe("timestamp text", () => {
  it("is ISO 8601 UTC with a fraction only when there is one", () => {
    expect(formatEpochMillis(Date.UTC(2025, 4, 1))).toBe("2025-05-01T00:00:00Z");
    expect(formatEpochMillis(Date.UTC(2025, 4, 1, 3, 0, 0, 250))).toBe("2025-05-01T03:00:00.250Z");
    expect(formatEpochMillis(Date.UTC(2025, 4, 1), 7)).toBe("2025-05-01T00:00:00.000007Z");
    expect(formatEpochMillis(-1, 999)).toBe("1969-12-31T23:59:59.999999Z");
  });

  it("round-trips through Date for whole milliseconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: -30_000_000_000_000, max: 250_000_000_000_000 }), (ms) => {
        const text = formatEpochMillis(ms);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
        expect(Date.parse(text)).toBe(ms);
      }),
    );
  });
});

describe("readChargeBatches", () => {
  const header = "ChargePeriodStart,ChargePeriodEnd,BilledCost,BillingCurrency,ChargeDescription";
  const rows = (n: number, tag: string) =>
    Array.from(
      { length: n },
      (_, i) => `2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,${i}.10,USD,${tag}${i}`,
    ).join("\n");

  it("yields nothing before anything is loaded", async () => {
    expect(await batches(analytics)).toEqual([]);
  });

  it("orders by file then line, whatever the load order, in batches of the size asked", async () => {
    await loadChargeFile(analytics, {
      path: write("b.csv", `${header}\n${rows(5, "b")}\n`),
      displayName: "b.csv",
    });
    await loadChargeFile(analytics, {
      path: write("a.csv", `${header}\n${rows(1200, "a")}\n`),
      displayName: "a.csv",
    });
    for (const size of [1, 7, 1000, 100_000]) {
      const got = await batches(analytics, size);
      expect(got.slice(0, -1).every((b) => b.length === size)).toBe(true);
      const refs = got.flat().map((c) => c.sourceRef);
      expect(refs).toHaveLength(1205);
      expect(refs.slice(0, 2)).toEqual(["a.csv:2", "a.csv:3"]);
      expect(refs.at(-1)).toBe("b.csv:6");
      expect(got.flat()[1199]).toMatchObject({
        sourceRef: "a.csv:1201",
        billedCost: "1199.1",
        chargeDescription: "a1199",
      });
    }
    await expect(batches(analytics, 0)).rejects.toThrow(RangeError);
  });
});
