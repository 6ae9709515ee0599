import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../shared/errors.js";
import { openAnalytics } from "./analytics.js";
import type { Charge } from "./charge.js";
import { type LoadChargeFileOptions, loadChargeFile } from "./load-charges.js";
import { readChargeBatches } from "./read-charge-rows.js";
import { CHARGE_TEXT_AT, type ChargeText, openChargeFile } from "./stream-charges.js";

/*
 * The importer streams rows as text (`openChargeFile`); the audit loads them into DuckDB and reads
 * `Charge` objects back (`loadChargeFile`, `readChargeBatches`). Both must give the same rows, lines
 * and errors for any file: this checks them against each other.
 */

const FIXTURES = resolve(import.meta.dirname, "fixtures");
const DATA = resolve(import.meta.dirname, "../../../shared/data");
const dir = mkdtempSync(join(tmpdir(), "rd-stream-"));
let fileCounter = 0;
function write(content: string | Buffer, name = `f${++fileCounter}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** What the importer stored before it streamed: a `Charge` as the store's text columns. */
function chargeText(c: Charge): ChargeText {
  return [
    c.billingAccountId,
    c.billingAccountName,
    c.subAccountId,
    c.subAccountName,
    c.providerName,
    c.publisherName,
    c.invoiceIssuerName,
    c.invoiceId,
    c.billingPeriodStart,
    c.billingPeriodEnd,
    c.chargePeriodStart,
    c.chargePeriodEnd,
    c.chargeCategory,
    c.chargeClass,
    c.chargeFrequency,
    c.chargeDescription,
    c.serviceName,
    c.serviceCategory,
    c.regionId,
    c.regionName,
    c.availabilityZone,
    c.resourceId,
    c.resourceName,
    c.resourceType,
    c.skuId,
    c.skuPriceId,
    c.pricingCategory,
    c.consumedQuantity,
    c.consumedUnit,
    c.pricingQuantity,
    c.pricingUnit,
    c.listUnitPrice,
    c.contractedUnitPrice,
    c.billedCost,
    c.effectiveCost,
    c.listCost,
    c.contractedCost,
    c.billingCurrency,
    c.commitmentDiscountId,
    c.commitmentDiscountStatus,
    c.commitmentDiscountType,
    c.commitmentDiscountCategory,
    c.commitmentDiscountQuantity,
    c.commitmentDiscountUnit,
    c.tags ? JSON.stringify(c.tags) : null,
    Object.keys(c.extensions).length ? JSON.stringify(c.extensions) : null,
  ];
}

type Outcome =
  | { ok: true; result: unknown; rows: ChargeText[]; refs: string[] }
  | { ok: false; message: string; extensions: unknown };

function failed(error: unknown): Outcome {
  if (!(error instanceof AppError)) throw error;
  return { ok: false, message: error.message, extensions: error.extensions };
}

async function loaded(options: LoadChargeFileOptions): Promise<Outcome> {
  const analytics = await openAnalytics({ threads: 2 });
  try {
    const result = await loadChargeFile(analytics, options);
    const charges: Charge[] = [];
    for await (const batch of readChargeBatches(analytics)) charges.push(...batch);
    return { ok: true, result, rows: charges.map(chargeText), refs: charges.map((c) => c.sourceRef) };
  } catch (error) {
    return failed(error);
  } finally {
    analytics.close();
  }
}

async function streamed(options: LoadChargeFileOptions, batches?: number[]): Promise<Outcome> {
  const analytics = await openAnalytics({ threads: 2 });
  try {
    const reader = await openChargeFile(analytics, options);
    const rows: ChargeText[] = [];
    const refs: string[] = [];
    const result = await reader.read({
      write(batch) {
        expect(batch.rows).toHaveLength(batch.sourceRefs.length);
        batches?.push(batch.rows.length);
        rows.push(...batch.rows);
        refs.push(...batch.sourceRefs);
      },
      restart() {
        rows.length = 0;
        refs.length = 0;
      },
    });
    return { ok: true, result, rows, refs };
  } catch (error) {
    return failed(error);
  } finally {
    analytics.close();
  }
}

/** Both paths give the same outcome; `ok`: a successful one. */
async function same(options: LoadChargeFileOptions, ok?: boolean): Promise<Outcome> {
  const expected = await loaded(options);
  expect(await streamed(options)).toEqual(expected);
  if (ok !== undefined) expect(expected.ok, expected.ok ? "" : expected.message).toBe(ok);
  return expected;
}

describe("streamed rows are the loaded rows", () => {
  it("the shared real and sample bills, and the Alibaba fixture", { timeout: 120_000 }, async () => {
    const files = [
      join(FIXTURES, "alibaba_bill_details_2025-05.csv"),
      ...readdirSync(DATA)
        .filter((f) => f.endsWith(".csv"))
        .map((f) => join(DATA, f)),
      ...["focus_spec_corrections", "focus_spec_commitments"].flatMap((d) =>
        readdirSync(join(DATA, d)).map((f) => join(DATA, d, f)),
      ),
    ];
    for (const path of files) {
      const outcome = await same({ path, displayName: "bill.csv", defaultCurrency: "USD" });
      expect(outcome.ok, path).toBe(true);
    }
  });

  const header =
    "ChargePeriodStart,ChargePeriodEnd,BilledCost,ListCost,BillingCurrency,ChargeCategory,Tags,x_Note";
  it("decimals and date-times in every spelling, passed through or formatted", async () => {
    const decimals = [
      "1.50",
      "-0",
      "-0.0",
      "+1",
      " 2 ",
      "1e-5",
      "2.3198314011096954e-05",
      "0.1234567890123456789",
      "12345678901234567890.5",
      "00012",
      ".5",
      "5.",
      "0.000000000000000001",
      "-99999999999999999999.999999999999999999",
      "7",
      "0",
    ];
    const times = [
      "2025-05-01T00:00:00Z",
      "2025-05-01T00:00:00.5Z",
      "2025-05-01T00:00:00.123456789Z",
      "2025-05-01T00:00:00.000001Z",
      "2025-05-01",
      "2025-05-01 23:30:00-01:00",
      "2025-05-01T00:00:00+0530",
      "0000-01-01T00:00:00Z",
      "9999-12-31T23:59:59.999999Z",
      "2024-02-29T12:00:00Z",
      "1969-12-31T23:59:59.999Z",
    ];
    const rows = decimals.map(
      (d, i) =>
        `${times[i % times.length]},${times[(i + 3) % times.length]},"${d}",${d.trim()},USD,Usage,,n${i}`,
    );
    await same({ path: write(`${header}\n${rows.join("\n")}\n`), displayName: "v.csv" }, true);
  });

  it("tags and extensions that JavaScript writes differently from DuckDB", async () => {
    const tags = [
      '{"b":"x","1":"y"}',
      '{"a":null,"b":1.50,"c":true,"d":{"e":[1,2]}}',
      '{"a":"1","a":"2"}',
      "{}",
      '{"é":"ü\\u0001","tab":"a\\tb"}',
      '{ "sp" : "x" }',
      '{"k":"v"}',
    ];
    const notes = ["plain", 'has "quotes"', "back\\slash", "ü", "\u0001ctl", "", "NULL"];
    const rows = tags.map(
      (t, i) =>
        `2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1,1,USD,Usage,"${t.replaceAll('"', '""')}","${(notes[i] ?? "").replaceAll('"', '""')}"`,
    );
    await same(
      {
        path: write(`${header},123,"we""ird"\n${rows.map((r, i) => `${r},${i},q${i}`).join("\n")}\n`),
        displayName: "t.csv",
      },
      true,
    );
  });

  it("line breaks: quoted, blank lines, CR, CRLF, mixed, gzip, a missing final break", async () => {
    const base = "2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1,1,USD,Usage,,";
    const body = [`${base}a`, `${base}"b\nc"`, "", `${base}"d\r\ne"`, `${base}f`];
    for (const eol of ["\n", "\r\n", "\r"]) {
      await same({ path: write(`${header}${eol}${body.join(eol)}`), displayName: "l.csv" }, true);
      await same(
        { path: write(gzipSync(`${header}${eol}${body.join(eol)}${eol}`)), displayName: "l.csv" },
        true,
      );
    }
    await same({ path: write(`\uFEFF${header}\r\n${body.join("\n")}\r\n`), displayName: "mixed.csv" }, true);
  });

  it("Parquet, with nested tags", async () => {
    const path = join(dir, "bill.parquet");
    const analytics = await openAnalytics();
    await analytics.connection.run(`COPY (SELECT * FROM (VALUES
      (TIMESTAMPTZ '2025-05-01 02:00:00+02', TIMESTAMP '2025-05-01 01:00:00', 1.5::DECIMAL(18,6), 'USD', MAP {'env': 'prod'}, 'note', 3.25::DOUBLE),
      (TIMESTAMPTZ '2025-05-02 00:00:00+00', TIMESTAMP '2025-05-02 01:00:00.5', 0.0000008::DECIMAL(18,7), 'USD', NULL, '(null)', 1e-6::DOUBLE),
      (TIMESTAMPTZ '2025-05-02 00:00:00+00', TIMESTAMP '2025-05-02 01:00:00', NULL, 'USD', NULL, 'x', 1::DOUBLE)
    ) t(ChargePeriodStart, ChargePeriodEnd, BilledCost, BillingCurrency, Tags, x_Note, ListCost)) TO '${path}' (FORMAT parquet)`);
    analytics.close();
    await same({ path, displayName: "bill.parquet", onInvalid: "collect" }, true);
    await same({ path, displayName: "bill.parquet" }, false);
  });

  it("GCP credits follow their row; a bad row drops its credits", async () => {
    const gcp =
      "billing_account_id,service.id,service.description,sku.id,usage_start_time,usage_end_time,cost,currency,credits,labels";
    const row = (cost: string, credits: string) =>
      `acct,svc,Compute Engine,sku-1,2025-05-01 00:00:00+00:00,2025-05-01 01:00:00+00:00,${cost},USD,"${credits.replaceAll('"', '""')}","[{'key': 'team', 'value': 'web'}]"`;
    const content = `${gcp}\n${row("2.5", "[{'name': \"Bob's\", 'amount': -1.25, 'full_name': None, 'id': 'p-1', 'type': 'PROMOTION'}, {'name': 'S', 'amount': -0.5, 'id': 's', 'type': 'SUSTAINED_USAGE_DISCOUNT'}]")}\n${row("oops", "[{'name': 'b', 'amount': -1, 'type': 'PROMOTION'}]")}\n${row("1", "[]")}\n${row("3", '[{"name": "j", "amount": -2e-2, "id": "j", "type": "X"}]')}\n`;
    const path = write(content);
    await same({ path, displayName: "g.csv", onInvalid: "collect" }, true);
    await same({ path, displayName: "g.csv" }, false);
  });

  it("bad files fail alike: first bad row, structure damage, collect mode", async () => {
    const good = "2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1,1,USD,Usage,,";
    const cases = [
      `${header}\n${good}\n${good.replace(",1,", ",x,")}\n${good.replace("USD", "usd")}\n`,
      `${header}\n${good}\n"x\ny",2025-05-01T01:00:00Z,1,1,USD,Usage,,\n${good}\n`,
      `${header}\n${good}\n${good.replace(",1,", ",x,")}\n${good},extra\n`,
      `${header}\n${good}\n${good.slice(0, 30)}"cut`,
      `${header}\n${good}\n${good.replace("Usage", "Usages")}\n`,
      `${header}\n${good}\n${good.replace(",,", ',"[1]",')}\n`,
    ];
    for (const content of cases) {
      const path = write(content);
      for (const onInvalid of ["fail", "collect"] as const)
        await same({ path, displayName: "b.csv", onInvalid });
    }
  });

  it("hands rows over chunk by chunk, in file order, lines exact", async () => {
    const base = "2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1,1,USD,Usage,,";
    const lines = Array.from({ length: 5000 }, (_, i) =>
      i % 997 === 5 ? `${base}"r${i}\nx"` : `${base}r${i}`,
    );
    const path = write(`${header}\n${lines.join("\n")}\n`);
    const batches: number[] = [];
    const outcome = await streamed({ path, displayName: "big.csv" }, batches);
    expect(batches.length).toBeGreaterThan(1);
    expect(outcome).toEqual(await loaded({ path, displayName: "big.csv" }));
    if (!outcome.ok) throw new Error("did not load");
    expect(outcome.rows.map((r) => r[CHARGE_TEXT_AT.x_Extensions])).toEqual(
      lines.map((_, i) => `{"x_Note":"r${i}${i % 997 === 5 ? "\\nx" : ""}"}`),
    );
  });
});

describe("properties", () => {
  it("any CSV-ish bytes: the same rows, or the same error", { timeout: 180_000 }, async () => {
    const header = "ChargePeriodStart,ChargePeriodEnd,BilledCost,BillingCurrency,ChargeCategory,Tags,x_A";
    const parts = fc.constantFrom(
      ",",
      '"',
      "\n",
      "\r\n",
      "1",
      "-0.50",
      "1e3",
      "2025-05-01T00:00:00Z",
      "2025-05-01 01:00:00+01:00",
      "USD",
      "Usage",
      "NULL",
      '{""a"":1}',
      "\u00e9",
      "x",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(parts, { maxLength: 120 }),
        fc.constantFrom("fail", "collect"),
        async (p, mode) => {
          const path = write(`${header}\n${p.join("")}`);
          const options = { path, displayName: "p.csv", onInvalid: mode } as const;
          expect(await streamed(options)).toEqual(await loaded(options));
        },
      ),
      { numRuns: 60 },
    );
  });
});
