import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Analytics, openAnalytics } from "./analytics.js";
import type { Charge } from "./charge.js";
import { loadChargeFile } from "./load-charges.js";
import { readChargeBatches } from "./read-charge-rows.js";

const dir = mkdtempSync(join(tmpdir(), "rd-messy-"));
let fileCounter = 0;
function write(content: string | Buffer, name = `f${++fileCounter}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function readAll(analytics: Analytics): Promise<Charge[]> {
  const out: Charge[] = [];
  for await (const batch of readChargeBatches(analytics)) out.push(...batch);
  return out;
}

let analytics: Analytics;
beforeEach(async () => {
  analytics = await openAnalytics({ threads: 2 });
});
afterEach(() => analytics.close());

const HEADER =
  "ChargePeriodStart,ChargePeriodEnd,BilledCost,BillingCurrency,ChargeCategory,ChargeFrequency,ChargeClass,ResourceId,ChargeDescription,x_Team,oci_CompartmentName,Vendor Extra";

/** A FOCUS export with every quirk real ones have, line by line (CRLF and LF mixed). */
const MESSY = [
  `\uFEFF${HEADER}\r\n`,
  "2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1.50,USD,Usage,Usage-based,NULL,r-1,plain,team-a,comp-1,v1\r\n", // line 2
  '2025-05-01 00:00:00,2025-05-01 01:00:00+00:00,2.5,USD,usage,usage_based,(null),r-2,"multi\nline\r\ndesc",null,,v2\n', // 3-5
  "\n", // 6: blank
  '2025-05-01T02:00:00+02:00,2025-05-01T03:00:00.250Z,-0.75,USD,Credit,,correction,r-3,"has ""quotes"", commas",team-b,comp-2,\r\n', // 7
  "2025-05-01T00:00:00,2025-05-01T01:00:00,1e-06,USD,Purchase,One-Time,,r-4,last,,,", // 8, no final line break
].join("");

describe("messy FOCUS files", () => {
  it("reads NULL spellings, vendor enum spellings, offsets, extensions, quotes and exact lines", async () => {
    const path = write(MESSY);
    const result = await loadChargeFile(analytics, { path, displayName: "messy.csv" });
    expect(result).toEqual({ format: "focus", loaded: 4, invalid: [] });
    const charges = await readAll(analytics);
    expect(charges.map((c) => c.sourceRef)).toEqual([
      "messy.csv:2",
      "messy.csv:3",
      "messy.csv:7",
      "messy.csv:8",
    ]);
    const [a, b, c, d] = charges as [Charge, Charge, Charge, Charge];
    expect(a).toMatchObject({
      chargeFrequency: "Usage-Based",
      chargeClass: null,
      billedCost: "1.5",
      billingAccountId: "unknown",
      chargePeriodStart: "2025-05-01T00:00:00Z",
    });
    expect(a.extensions).toEqual({ x_Team: "team-a", oci_CompartmentName: "comp-1", "Vendor Extra": "v1" });
    expect(b).toMatchObject({
      chargeCategory: "Usage",
      chargeFrequency: "Usage-Based",
      chargeClass: null,
      // The file mixes line-break styles: it is read from a copy with `\n` breaks, values included.
      chargeDescription: "multi\nline\ndesc",
      chargePeriodStart: "2025-05-01T00:00:00Z",
      chargePeriodEnd: "2025-05-01T01:00:00Z",
    });
    // `null` and empty extension values are left out.
    expect(b.extensions).toEqual({ "Vendor Extra": "v2" });
    expect(c).toMatchObject({
      chargeCategory: "Credit",
      chargeClass: "Correction",
      chargeFrequency: null,
      billedCost: "-0.75",
      chargeDescription: 'has "quotes", commas',
      chargePeriodStart: "2025-05-01T00:00:00Z", // 02:00+02:00
      chargePeriodEnd: "2025-05-01T03:00:00.250Z",
    });
    expect(d).toMatchObject({
      billedCost: "0.000001",
      chargeCategory: "Purchase",
      chargeFrequency: "One-Time",
    });
    expect(d.extensions).toEqual({});
  });

  it("reads the same rows from a gzip-compressed copy, whatever its name", async () => {
    const path = write(gzipSync(Buffer.from(MESSY)), "bill.csv.gz");
    const plain = write(gzipSync(Buffer.from(MESSY)), "no-extension");
    await loadChargeFile(analytics, { path, displayName: "a.gz" });
    await loadChargeFile(analytics, { path: plain, displayName: "b" });
    const charges = await readAll(analytics);
    expect(charges.map((c) => c.sourceRef)).toEqual([
      "a.gz:2",
      "a.gz:3",
      "a.gz:7",
      "a.gz:8",
      "b:2",
      "b:3",
      "b:7",
      "b:8",
    ]);
    expect(charges[2]?.chargeDescription).toBe('has "quotes", commas');
  });

  it("reads CR-only line breaks and CRLF-only files", async () => {
    const cr = write(
      `${HEADER}\r2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1,USD,Usage,,,r,"a\rb",,,\r2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,2,USD,Usage,,,r,x,,,\r`,
    );
    const crlf = write(
      `${HEADER}\r\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,3,USD,Usage,,,r,"c\r\nd",,,\r\n\r\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,4,USD,Usage,,,r,y,,,\r\n`,
    );
    await loadChargeFile(analytics, { path: cr, displayName: "cr.csv" });
    await loadChargeFile(analytics, { path: crlf, displayName: "crlf.csv" });
    const charges = await readAll(analytics);
    expect(charges.map((c) => [c.sourceRef, c.billedCost])).toEqual([
      ["cr.csv:2", "1"],
      ["cr.csv:4", "2"],
      ["crlf.csv:2", "3"],
      ["crlf.csv:5", "4"],
    ]);
  });

  it("maps FOCUS 1.3 provider columns and matches names case-insensitively", async () => {
    const path = write(
      "chargeperiodstart,CHARGEPERIODEND,BilledCost,BillingCurrency,ServiceProviderName,HostProviderName,ProviderName,InvoiceIssuerName,Tags\n" +
        '2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,5,EUR,Acme Cloud,Hoster Inc,Old Name,Acme Billing,"{""env"": ""prod"", ""n"": 3}"\n' +
        "2025-05-01T00:00:00Z,2025-05-01T01:00:00.123456Z,6,EUR,,,Old Name,,\n",
    );
    await loadChargeFile(analytics, { path, displayName: "v13.csv" });
    const [a, b] = await readAll(analytics);
    expect(a).toMatchObject({
      providerName: "Acme Cloud",
      publisherName: "Hoster Inc",
      invoiceIssuerName: "Acme Billing",
    });
    expect(a?.tags).toEqual({ env: "prod", n: "3" });
    expect(a?.extensions).toEqual({});
    expect(b).toMatchObject({
      providerName: "Old Name",
      publisherName: null,
      tags: null,
      chargePeriodEnd: "2025-05-01T01:00:00.123456Z",
    });
  });

  it("needs a default currency for files without BillingCurrency, and uses the default account", async () => {
    const path = write(
      "ChargePeriodStart,ChargePeriodEnd,BilledCost,BillingAccountId\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,5,\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,6,acct-9\n",
    );
    await expect(loadChargeFile(analytics, { path, displayName: "nc.csv" })).rejects.toMatchObject({
      code: "validation_failed",
      message:
        "nc.csv:1: column BillingCurrency: expected a BillingCurrency column, or the default currency option, found neither",
      extensions: { file: "nc.csv", line: 1, column: "BillingCurrency" },
    });
    await expect(
      loadChargeFile(analytics, { path, displayName: "nc.csv", defaultCurrency: "usd" }),
    ).rejects.toMatchObject({ code: "validation_failed" });
    await loadChargeFile(analytics, {
      path,
      displayName: "nc.csv",
      defaultCurrency: "JPY",
      defaultBillingAccountId: "acct-default",
    });
    const charges = await readAll(analytics);
    expect(charges.map((c) => [c.billingAccountId, c.billingCurrency, c.chargeCategory])).toEqual([
      ["acct-default", "JPY", "Usage"],
      ["acct-9", "JPY", "Usage"],
    ]);
  });

  it("reads Parquet, citing rows from 0, with nested Tags as JSON", async () => {
    const path = join(dir, "bill.parquet");
    await analytics.connection.run(`COPY (SELECT * FROM (VALUES
      (TIMESTAMPTZ '2025-05-01 02:00:00+02', TIMESTAMP '2025-05-01 01:00:00', 1.5::DECIMAL(18,6), 'USD', 'Usage-based', MAP {'env': 'prod'}, 'note', 3.25::DOUBLE),
      (TIMESTAMPTZ '2025-05-02 00:00:00+00', TIMESTAMP '2025-05-02 01:00:00', 0.0000008::DECIMAL(18,7), 'USD', 'NULL', NULL, '(null)', 1e-6::DOUBLE)
    ) t(ChargePeriodStart, ChargePeriodEnd, BilledCost, BillingCurrency, ChargeFrequency, Tags, x_Note, ListCost)) TO '${path}' (FORMAT parquet)`);
    const result = await loadChargeFile(analytics, { path, displayName: "bill.parquet" });
    expect(result).toEqual({ format: "focus", loaded: 2, invalid: [] });
    const [a, b] = await readAll(analytics);
    expect(a).toMatchObject({
      sourceRef: "bill.parquet:0",
      chargePeriodStart: "2025-05-01T00:00:00Z",
      billedCost: "1.5",
      listCost: "3.25",
      chargeFrequency: "Usage-Based",
      tags: { env: "prod" },
      extensions: { x_Note: "note" },
    });
    expect(b).toMatchObject({
      sourceRef: "bill.parquet:1",
      billedCost: "0.0000008",
      listCost: "0.000001",
      chargeFrequency: null,
      tags: null,
      extensions: {},
    });
  });

  it("honours an explicit format over detection", async () => {
    const path = write("ChargePeriodStart,ChargePeriodEnd,BilledCost,BillingCurrency\n");
    await expect(
      loadChargeFile(analytics, { path, displayName: "x.csv", format: "alibaba" }),
    ).rejects.toMatchObject({
      message:
        "x.csv:1: column SubscriptionType: expected a SubscriptionType column (a Alibaba Cloud bill details file needs SubscriptionType, UsageStartTime, UsageEndTime, PretaxAmount), found no such column",
    });
  });

  it("numbers every line exactly, whatever mix of quoted line breaks, blank lines and line endings", async () => {
    // Each record: its fields may hold line breaks; blank lines may come between records.
    // (No `n`: a field reading `null` would be no value.)
    const text = fc.stringMatching(/^[a-m ,"\r\n]{0,12}$/);
    const record = fc.record({
      desc: text,
      blankBefore: fc.nat(2),
      eol: fc.constantFrom("\n", "\r\n", "\r"),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 12 }),
        fc.constantFrom("\n", "\r\n"),
        async (records, headerEol) => {
          const local = await openAnalytics({ threads: 1 });
          try {
            let content = `ChargePeriodStart,ChargePeriodEnd,BilledCost,BillingCurrency,ChargeDescription${headerEol}`;
            let line = 2;
            let previousEol: string = headerEol;
            const expected: string[] = [];
            records.forEach((r, i) => {
              // Blank lines end like the line before them (`\r` then `\n` would be one CRLF break).
              content += previousEol.repeat(r.blankBefore);
              previousEol = r.eol;
              line += r.blankBefore;
              expected.push(`p.csv:${line}`);
              const quoted = `"${r.desc.replaceAll('"', '""')}"`;
              content += `2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,${i},USD,${quoted}${r.eol}`;
              line += 1 + (r.desc.match(/\r\n|\r|\n/g)?.length ?? 0);
            });
            const path = write(content);
            await loadChargeFile(local, { path, displayName: "p.csv" });
            const charges = await readAll(local);
            expect(charges.map((c) => c.sourceRef)).toEqual(expected);
            // A file mixing line-break styles is read from a copy with `\n` breaks (also inside values).
            const unix = (s: string) => s.replace(/\r\n?/g, "\n");
            expect(charges.map((c) => unix(c.chargeDescription ?? ""))).toEqual(
              records.map((r) => unix(r.desc)),
            );
          } finally {
            local.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
