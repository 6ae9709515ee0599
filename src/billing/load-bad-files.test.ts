import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../shared/errors.js";
import { type Analytics, openAnalytics } from "./analytics.js";
import { loadChargeFile } from "./load-charges.js";

const dir = mkdtempSync(join(tmpdir(), "rd-bad-"));
let fileCounter = 0;
function write(content: string | Buffer, name = `f${++fileCounter}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const HEADER =
  "ChargePeriodStart,ChargePeriodEnd,BilledCost,BillingCurrency,ChargeCategory,ChargeDescription";
const GOOD = "2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1.5,USD,Usage,fine";

let analytics: Analytics;
beforeEach(async () => {
  analytics = await openAnalytics({ threads: 2 });
});
afterEach(() => analytics.close());

async function chargeCount(a: Analytics = analytics): Promise<number> {
  const exists = await a.connection.runAndReadAll(
    "SELECT count(*) FROM information_schema.tables WHERE table_name = 'charges'",
  );
  if (Number(exists.getRows()[0]?.[0]) === 0) return 0;
  const reader = await a.connection.runAndReadAll("SELECT count(*) FROM charges");
  return Number(reader.getRows()[0]?.[0]);
}

/** Loads `content` as `bad.csv`, expecting the error; returns it. */
async function failure(content: string | Buffer, options: { name?: string } = {}): Promise<AppError> {
  const path = write(content, options.name);
  try {
    await loadChargeFile(analytics, { path, displayName: "bad.csv" });
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.code).toBe("validation_failed");
    expect(e.status).toBe(400);
    expect(await chargeCount()).toBe(0);
    return e;
  }
  throw new Error("the file loaded");
}

describe("bad files get a clear error and load nothing", () => {
  it("a truncated file (unterminated quote)", async () => {
    const e = await failure(
      `${HEADER}\n${GOOD}\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,2,USD,Usage,"cut off he`,
    );
    expect(e.message).toBe(
      'bad.csv:3: column ChargeDescription: expected a closing quote ("), found "\\"cut off he"',
    );
    expect(e.extensions).toEqual({
      file: "bad.csv",
      line: 3,
      column: "ChargeDescription",
      expected: 'a closing quote (")',
      found: '"\\"cut off he"',
    });
  });

  it("a wrong type: the first bad row, its leftmost bad column", async () => {
    const e = await failure(
      [
        HEADER,
        GOOD,
        '"x\ny",2025-05-01T01:00:00Z,1.5,USD,Usage,multi-line first field', // lines 3-4
        "2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,12;50,usd,Usage,two bad", // line 5
        "not a date,2025-05-01T01:00:00Z,abc,USD,Usage,later", // line 6
      ].join("\n"),
    );
    expect(e.message).toBe(
      'bad.csv:3: column ChargePeriodStart: expected a date-time such as 2025-05-01T00:00:00Z, found "x\\ny"',
    );
    expect(e.extensions).toMatchObject({ line: 3, column: "ChargePeriodStart", found: '"x\\ny"' });
  });

  it.each([
    ["2026-02-30T00:00:00Z", "ChargePeriodStart"],
    ["2025-13-01T00:00:00Z", "ChargePeriodStart"],
    ["2025-05-01T25:00:00Z", "ChargePeriodStart"],
    ["infinity", "ChargePeriodStart"],
    ["2025-05-01T00:00:00 +02:00", "ChargePeriodStart"],
  ])("an impossible date-time %s", async (value, column) => {
    const e = await failure(`${HEADER}\n${value},2025-05-01T01:00:00Z,1,USD,Usage,x\n`);
    expect(e.message).toBe(
      `bad.csv:2: column ${column}: expected a date-time such as 2025-05-01T00:00:00Z, found ${JSON.stringify(value)}`,
    );
  });

  it.each(["12,50", "1_000", "NaN", "Infinity", "0x10", "1e999", "1.2.3", "--1", "$5"])(
    "a bad decimal %s",
    async (value) => {
      const e = await failure(
        `${HEADER}\n${GOOD}\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,"${value}",USD,Usage,x\n`,
      );
      expect(e.extensions).toEqual({
        file: "bad.csv",
        line: 3,
        column: "BilledCost",
        expected: "a decimal number",
        found: JSON.stringify(value),
      });
    },
  );

  it("a bad enum value, a lower-case currency, a missing required value", async () => {
    const base = "2025-05-01T00:00:00Z,2025-05-01T01:00:00Z";
    expect((await failure(`${HEADER}\n${base},1,USD,Usages,x\n`)).message).toBe(
      'bad.csv:2: column ChargeCategory: expected one of Usage, Purchase, Tax, Credit, Adjustment, found "Usages"',
    );
    expect((await failure(`${HEADER}\n${base},1,usd,Usage,x\n`)).message).toBe(
      'bad.csv:2: column BillingCurrency: expected a three-letter currency code in capitals such as USD, found "usd"',
    );
    expect((await failure(`${HEADER}\n${base},NULL,USD,Usage,x\n`)).message).toBe(
      "bad.csv:2: column BilledCost: expected a decimal number, found an empty value",
    );
    expect(
      (await failure(`${HEADER},ChargeFrequency\n${base},1,USD,Usage,x,Sometimes\n`)).extensions,
    ).toMatchObject({
      column: "ChargeFrequency",
      expected: "one of One-Time, Recurring, Usage-Based",
    });
    expect((await failure(`${HEADER},Tags\n${base},1,USD,Usage,x,"[1,2]"\n`)).extensions).toMatchObject({
      column: "Tags",
      expected: "a JSON object",
      found: '"[1,2]"',
    });
  });

  it("a 10 MB field", async () => {
    const e = await failure(
      `${HEADER}\n${GOOD}\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1,USD,Usage,${"x".repeat(10 << 20)}\n`,
    );
    expect(e.message).toMatch(
      /^bad\.csv:3: expected a line of at most 2000000 bytes, found a line of \d+ bytes$/,
    );
    expect(e.extensions).toMatchObject({ file: "bad.csv", line: 3 });
  });

  it("invalid UTF-8 bytes, in a typed column and in a text column", async () => {
    const typed = Buffer.concat([
      Buffer.from(`${HEADER}\n${GOOD}\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(",USD,Usage,x\n"),
    ]);
    expect((await failure(typed)).extensions).toEqual({
      file: "bad.csv",
      line: 3,
      column: "BilledCost",
      expected: "UTF-8 text",
      found: "bytes that are not valid UTF-8",
    });
    const text = Buffer.concat([
      Buffer.from(`${HEADER}\n${GOOD}\n${GOOD}\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1,USD,Usage,caf`),
      Buffer.from([0xe9]),
      Buffer.from("\n"),
    ]);
    expect((await failure(text)).message).toBe(
      "bad.csv:4: column ChargeDescription: expected UTF-8 text, found bytes that are not valid UTF-8",
    );
  });

  it("rows with too few or too many fields", async () => {
    expect(
      (
        await failure(
          `${HEADER}\n${GOOD}\n${GOOD}\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,1,USD\n${GOOD}\n`,
        )
      ).message,
    ).toBe("bad.csv:4: column ChargeCategory: expected 6 fields, as in the header, found 4 fields");
    expect((await failure(`${HEADER}\n${GOOD}\n\n${GOOD},extra\n`)).message).toBe(
      "bad.csv:4: expected 6 fields, as in the header, found 7 fields",
    );
  });

  it("duplicate headers, exact or differing only in case", async () => {
    expect((await failure(`${HEADER},BilledCost\n`)).extensions).toEqual({
      file: "bad.csv",
      line: 1,
      column: "BilledCost",
      expected: "unique column names",
      found: '"BilledCost" twice (columns 3 and 7)',
    });
    expect((await failure(`${HEADER},billedcost\n`)).message).toBe(
      'bad.csv:1: column billedcost: expected unique column names, found "billedcost" and "BilledCost" (columns 3 and 7), both BilledCost',
    );
  });

  it("missing required columns", async () => {
    expect(
      (await failure("ChargePeriodStart,BilledCost,BillingCurrency\n2025-05-01T00:00:00Z,1,USD\n"))
        .extensions,
    ).toEqual({
      file: "bad.csv",
      line: 1,
      column: "ChargePeriodEnd",
      expected: "a ChargePeriodEnd column (a FOCUS file needs ChargePeriodEnd)",
      found: "no such column",
    });
    expect((await failure("BillingCycle,SubscriptionType,PretaxAmount,Currency\n")).extensions).toMatchObject(
      {
        column: "UsageStartTime",
      },
    );
  });

  it("an empty file, a blank first line, an unknown layout, a header with a bad quote", async () => {
    expect((await failure("")).message).toBe(
      "bad.csv:1: expected a header line naming the columns, found an empty file",
    );
    expect((await failure("\n\n")).message).toBe(
      "bad.csv:1: expected a header line naming the columns, found an empty line",
    );
    expect((await failure("a,b,c\n1,2,3\n")).extensions).toMatchObject({ line: 1, found: '"a,b,c"' });
    expect((await failure('ChargePeriodStart,"BilledCost\n')).extensions).toMatchObject({
      line: 1,
      expected: 'a closing quote (") in the header',
    });
  });

  it("a damaged gzip stream, a missing file, a directory", async () => {
    const gz = gzipSync(Buffer.from(`${HEADER}\n${GOOD}\n`.repeat(50)));
    expect((await failure(gz.subarray(0, gz.length / 2), { name: "half.csv.gz" })).extensions).toMatchObject({
      file: "bad.csv",
    });
    await expect(loadChargeFile(analytics, { path: join(dir, "missing.csv") })).rejects.toMatchObject({
      code: "validation_failed",
      extensions: { expected: "a readable file", found: "no such file" },
    });
    await expect(loadChargeFile(analytics, { path: dir, displayName: "d" })).rejects.toMatchObject({
      code: "validation_failed",
      message: "d: expected a file, found a directory or device",
    });
  });

  it("a header only is not an error: 0 rows", async () => {
    const path = write(`${HEADER}\n`);
    expect(await loadChargeFile(analytics, { path })).toEqual({ format: "focus", loaded: 0, invalid: [] });
    expect(await chargeCount()).toBe(0);
  });

  it("quotes a bad value safely: control characters escaped, at most 80 characters", async () => {
    const value = `\u001b[31m${"9".repeat(200)}`;
    const e = await failure(`${HEADER}\n2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,"${value}",USD,Usage,x\n`);
    const found = String(e.extensions.found);
    expect(found).toBe(`"\\u001b[31m${"9".repeat(75)}…"`);
    expect(e.message).not.toContain("\u001b");
  });

  it("a bad Parquet value cites its row; a file that is not Parquet says so", async () => {
    const path = join(dir, "bad.parquet");
    await analytics.connection.run(
      `COPY (SELECT * FROM (VALUES ('2025-05-01T00:00:00Z', '2025-05-01T01:00:00Z', '1', 'USD'), ('2025-05-01T00:00:00Z', '2025-05-01T01:00:00Z', 'one', 'USD')) t(ChargePeriodStart, ChargePeriodEnd, BilledCost, BillingCurrency)) TO '${path}' (FORMAT parquet)`,
    );
    await expect(loadChargeFile(analytics, { path, displayName: "bad.parquet" })).rejects.toMatchObject({
      message: 'bad.parquet:1: column BilledCost: expected a decimal number, found "one"',
      extensions: { file: "bad.parquet", row: 1, column: "BilledCost" },
    });
    const broken = write(Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(64, 7)]), "broken.parquet");
    await expect(
      loadChargeFile(analytics, { path: broken, displayName: "broken.parquet" }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      extensions: { file: "broken.parquet", expected: "a readable Parquet file" },
    });
  });
});

describe("collect mode", () => {
  it("loads the good rows and reports each bad one", async () => {
    const path = write(
      [
        HEADER,
        GOOD, // 2
        "2025-05-01T00:00:00Z,2025-05-01T01:00:00Z,oops,USD,Usage,bad cost", // 3
        GOOD, // 4
        "2026-02-30T00:00:00Z,2025-05-01T01:00:00Z,1,EURO,Usage,bad date and currency", // 5
        GOOD, // 6
      ].join("\n"),
    );
    const result = await loadChargeFile(analytics, { path, displayName: "c.csv", onInvalid: "collect" });
    expect(result.loaded).toBe(3);
    expect(result.invalid).toEqual([
      { file: "c.csv", line: 3, column: "BilledCost", expected: "a decimal number", found: '"oops"' },
      {
        file: "c.csv",
        line: 5,
        column: "ChargePeriodStart",
        expected: "a date-time such as 2025-05-01T00:00:00Z",
        found: '"2026-02-30T00:00:00Z"',
      },
    ]);
    const refs = await analytics.connection.runAndReadAll(
      "SELECT x_SourceRef FROM charges ORDER BY x_SourceLine",
    );
    expect(refs.getRows().map((r) => r[0])).toEqual(["c.csv:2", "c.csv:4", "c.csv:6"]);
  });

  it("still refuses a structurally broken file", async () => {
    const path = write(`${HEADER}\n${GOOD}\n${GOOD},extra\n`);
    await expect(loadChargeFile(analytics, { path, onInvalid: "collect" })).rejects.toMatchObject({
      code: "validation_failed",
    });
  });
});

describe("properties", () => {
  const badValues = {
    BilledCost: fc.constantFrom("12,50", "abc", "1_0", "NaN", "1e400", "5 USD", "∞"),
    ChargePeriodStart: fc.constantFrom(
      "2026-02-30T00:00:00Z",
      "2025-02-29",
      "yesterday",
      "2025-05-01T00:00:60Z",
      "20250501",
    ),
    BillingCurrency: fc.constantFrom("usd", "US", "DOLLAR", "U$D"),
    ChargeCategory: fc.constantFrom("Use", "Refund", "charges"),
  } as const;
  const columnIndex = { ChargePeriodStart: 0, BilledCost: 2, BillingCurrency: 3, ChargeCategory: 4 } as const;

  it("one bad value anywhere: the error names its line, column and value", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom(...(Object.keys(badValues) as Array<keyof typeof badValues>)),
        fc.constantFrom("\n", "\r\n"),
        fc.gen(),
        async (before, after, column, eol, gen) => {
          const value = gen(() => badValues[column]);
          const fields = GOOD.split(",");
          fields[columnIndex[column]] = value.includes(",") ? `"${value}"` : value;
          const content = [
            HEADER,
            ...Array(before).fill(GOOD),
            fields.join(","),
            ...Array(after).fill(GOOD),
          ].join(eol);
          const path = write(content);
          const local = await openAnalytics({ threads: 1 });
          try {
            await expect(loadChargeFile(local, { path, displayName: "p.csv" })).rejects.toMatchObject({
              code: "validation_failed",
              extensions: { file: "p.csv", line: before + 2, column, found: JSON.stringify(value) },
            });
            expect(await chargeCount(local)).toBe(0);
          } finally {
            local.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("never crashes on arbitrary bytes: it loads, or says validation_failed", async () => {
    const noise = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes));
    const csvish = fc
      .array(
        fc.constantFrom(
          ",",
          '"',
          "\n",
          "\r",
          "1",
          "2025-05-01T00:00:00Z",
          "USD",
          "NULL",
          "\u00e9",
          "\uFEFF",
          "x",
        ),
        {
          maxLength: 80,
        },
      )
      .map((parts) => Buffer.from(`${HEADER}\n${parts.join("")}`));
    await fc.assert(
      fc.asyncProperty(fc.oneof(noise, csvish), fc.boolean(), async (bytes, gzip) => {
        const path = write(gzip ? gzipSync(bytes) : bytes);
        const local = await openAnalytics({ threads: 1 });
        try {
          const result = await loadChargeFile(local, {
            path,
            displayName: "fuzz.csv",
            defaultCurrency: "USD",
          });
          expect(result.loaded).toBeGreaterThanOrEqual(0);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe("validation_failed");
          expect((error as AppError).message).toMatch(/^fuzz\.csv(:\d+)?: /);
        } finally {
          local.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
