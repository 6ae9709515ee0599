import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { loadChargeFile, openAnalytics, readChargeBatches } from "../src/billing/index.js";

/*
 * Not a timed test (speed is measured by benchmarks against DuckDB in the same run): a 200k-row FOCUS
 * CSV with ~30 columns loads and streams back whole, with exact line numbers — one description in
 * every thousand spans two lines, so the line numbering has offsets to apply.
 */
const ROWS = 200_000;
const dir = mkdtempSync(join(tmpdir(), "rd-perf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COLUMNS =
  "BillingAccountId,BillingAccountName,SubAccountId,SubAccountName,ProviderName,PublisherName,InvoiceIssuerName,InvoiceId,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ChargeClass,ChargeFrequency,ChargeDescription,ServiceName,ServiceCategory,RegionId,ResourceId,SkuId,PricingCategory,PricingQuantity,PricingUnit,ListUnitPrice,ContractedUnitPrice,BilledCost,EffectiveCost,ListCost,BillingCurrency,x_Custom";

async function generate(path: string): Promise<number> {
  const out = createWriteStream(path);
  let line = 1;
  out.write(`${COLUMNS}\n`);
  for (let i = 0; i < ROWS; i++) {
    line++;
    const hour = String(i % 24).padStart(2, "0");
    const day = String(1 + (Math.floor(i / 24) % 28)).padStart(2, "0");
    const q = 1 + (i % 97);
    const price = ((i % 1000) / 1000).toFixed(3);
    const multiline = i % 1000 === 999;
    // The description carries the line it starts on, to check x_SourceLine against.
    const desc = multiline ? `"row ${i} @${line}\nsecond line"` : `row ${i} @${line}`;
    if (multiline) line++;
    out.write(
      `acct-1,Acme,sub-${i % 50},Sub ${i % 50},AWS,AWS,AWS,INV-1,2025-05-01T00:00:00Z,2025-06-01T00:00:00Z,2025-05-${day}T${hour}:00:00Z,2025-05-${day}T${hour}:59:59Z,Usage,,Usage-Based,${desc},Amazon Elastic Compute Cloud,Compute,us-east-1,i-${i % 10000},SKU-${i % 300},Standard,${q},Hours,${price},${price},${(q * Number(price)).toFixed(3)},${(q * Number(price)).toFixed(3)},${(q * Number(price) * 1.2).toFixed(4)},USD,v${i % 7}\n`,
    );
    if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return line;
}

it("loads a 200k-row FOCUS CSV and streams every row back, lines exact", { timeout: 300_000 }, async () => {
  const path = join(dir, "focus-200k.csv");
  await generate(path);
  const analytics = await openAnalytics();
  try {
    const result = await loadChargeFile(analytics, { path, displayName: "big.csv" });
    expect(result).toEqual({ format: "focus", loaded: ROWS, invalid: [] });
    const wrong = await analytics.connection.runAndReadAll(
      "SELECT count(*) FROM charges WHERE x_SourceLine <> CAST(regexp_extract(ChargeDescription, '@(\\d+)', 1) AS BIGINT)",
    );
    expect(Number(wrong.getRows()[0]?.[0])).toBe(0);
    let count = 0;
    let last = "";
    for await (const batch of readChargeBatches(analytics, { batchSize: 5000 })) {
      count += batch.length;
      last = batch.at(-1)?.sourceRef ?? last;
    }
    expect(count).toBe(ROWS);
    // The last row is itself a two-line one: the 199 before it each pushed it down a line.
    expect(last).toBe(`big.csv:${ROWS + 1 + ROWS / 1000 - 1}`);
  } finally {
    analytics.close();
  }
});
