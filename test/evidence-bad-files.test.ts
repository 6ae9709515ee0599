import { createWriteStream } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { createGzip, gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { readEvidenceFile } from "../src/billing/evidence/index.js";
import type { EvidenceKind } from "../src/billing/evidence.js";
import { AppError, exitCodeFor } from "../src/shared/errors.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "evidence-bad-"));
});

/** Writes `content` to a file named `name` and reads it in fail mode; returns the thrown error. */
async function failure(name: string, content: string | Uint8Array, kind: EvidenceKind): Promise<AppError> {
  const path = join(dir, name);
  await writeFile(path, content);
  const error = await readEvidenceFile(path, kind, { displayName: name }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe("validation_failed");
  expect(exitCodeFor(appError)).toBe(2);
  return appError;
}

const usage = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    resourceId: "r-1",
    start: "2024-05-01T00:00:00Z",
    end: "2024-05-01T01:00:00Z",
    ...fields,
  });
const OK_USAGE = usage({});

describe("bad values: message `<file>:<line>: <field>: expected …, found …` and extensions", () => {
  it("a missing required field", async () => {
    const e = await failure(
      "u1.jsonl",
      `${OK_USAGE}\n{"start":"2024-05-01T00:00:00Z","end":"2024-05-01T01:00:00Z"}\n`,
      "usage",
    );
    expect(e.message).toBe("u1.jsonl:2: resourceId: expected a non-empty string, found nothing");
    expect(e.extensions).toEqual({
      file: "u1.jsonl",
      line: 2,
      column: "resourceId",
      expected: "a non-empty string",
      found: "nothing",
    });
  });

  it("a wrong JSON type", async () => {
    const e = await failure("u2.jsonl", `${usage({ resourceId: 42 })}\n`, "usage");
    expect(e.message).toBe("u2.jsonl:1: resourceId: expected a string, found 42");
  });

  it("a JSON number for an amount, quantity or percentage", async () => {
    const e = await failure("u3.jsonl", `${usage({ quantity: 1.5 })}\n`, "usage");
    expect(e.message).toBe('u3.jsonl:1: quantity: expected a decimal string such as "12.50", found 1.5');
    const p = await failure(
      "p1.jsonl",
      `${JSON.stringify({ paymentId: "p", accountId: "a", method: "card", amount: 0.1, currency: "USD", paidAt: "2024-01-01T00:00:00Z" })}\n`,
      "payments",
    );
    expect(p.extensions).toMatchObject({ line: 1, column: "amount", found: "0.1" });
  });

  it("a bad decimal, a negative quantity, a decimal too fine for DECIMAL(38,18)", async () => {
    expect(
      (
        await failure(
          "d1.csv",
          'resourceId,start,end,quantity\nr,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z,"12,50"\n',
          "usage",
        )
      ).message,
    ).toBe('d1.csv:2: quantity: expected a decimal such as 12.50, found "12,50"');
    expect((await failure("d2.jsonl", `${usage({ quantity: "-1" })}\n`, "usage")).message).toBe(
      'd2.jsonl:1: quantity: expected a decimal of zero or more, found "-1"',
    );
    expect(
      (await failure("d3.jsonl", `${usage({ quantity: "0.0000000000000000001" })}\n`, "usage")).extensions,
    ).toMatchObject({
      column: "quantity",
      expected: "a decimal with at most 20 digits before the point and 18 after it",
    });
    expect((await failure("d4.jsonl", `${usage({ quantity: "1e99" })}\n`, "usage")).extensions).toMatchObject(
      {
        column: "quantity",
        expected: expect.stringContaining("a decimal within the accepted limits (exponent must be between"),
      },
    );
  });

  it("a bad currency", async () => {
    const e = await failure(
      "c1.csv",
      "paymentId,accountId,method,amount,currency,paidAt\np,a,card,1.00,usd,2024-01-01T00:00:00Z\n",
      "payments",
    );
    expect(e.message).toBe(
      'c1.csv:2: currency: expected an upper-case ISO 4217 currency code such as USD, found "usd"',
    );
  });

  it("timestamps: no offset, an impossible date, sub-millisecond digits, end not after start", async () => {
    const noOffset = await failure("t1.jsonl", `${usage({ start: "2024-05-01T00:00:00" })}\n`, "usage");
    expect(noOffset.message).toBe(
      'expected a timestamp with an offset or Z (the time zone is missing), such as 2024-05-01T12:00:00Z, found "2024-05-01T00:00:00"'.replace(
        /^/,
        "t1.jsonl:1: start: ",
      ),
    );
    const feb29 = await failure("t2.jsonl", `${usage({ start: "2023-02-29T00:00:00Z" })}\n`, "usage");
    expect(feb29.message).toBe(
      't2.jsonl:1: start: expected a real date (2023-02 has 28 days), found "2023-02-29T00:00:00Z"',
    );
    const hour24 = await failure("t3.jsonl", `${usage({ start: "2024-05-01T24:00:00Z" })}\n`, "usage");
    expect(hour24.extensions).toMatchObject({
      column: "start",
      expected: "a real time of day (00:00:00 to 23:59:59)",
    });
    const micro = await failure("t4.jsonl", `${usage({ start: "2024-05-01T00:00:00.000001Z" })}\n`, "usage");
    expect(micro.extensions).toMatchObject({ expected: "a timestamp with at most millisecond precision" });
    const backwards = await failure("t5.jsonl", `${usage({ end: "2024-05-01T02:00:00+03:00" })}\n`, "usage");
    expect(backwards.message).toBe(
      't5.jsonl:1: end: expected a time after start (2024-05-01T00:00:00Z), found "2024-05-01T02:00:00+03:00"',
    );
    const equal = await failure("t6.jsonl", `${usage({ end: "2024-05-01T00:00:00Z" })}\n`, "usage");
    expect(equal.extensions).toMatchObject({
      column: "end",
      expected: "a time after start (2024-05-01T00:00:00Z)",
    });
  });

  it("promotions: both or neither of discountPercent and creditAmount, a percentage out of range, a credit without currency", async () => {
    const promo = (fields: Record<string, unknown>): string =>
      `${JSON.stringify({ promotionId: "x", accountId: "a", validFrom: "2024-01-01T00:00:00Z", validTo: "2024-02-01T00:00:00Z", ...fields })}\n`;
    expect(
      (
        await failure(
          "pr1.jsonl",
          promo({ discountPercent: "10", creditAmount: "5", currency: "USD" }),
          "promotions",
        )
      ).message,
    ).toBe(
      "pr1.jsonl:1: discountPercent: expected exactly one of discountPercent and creditAmount, found both",
    );
    expect((await failure("pr2.jsonl", promo({}), "promotions")).extensions).toMatchObject({
      found: "neither",
    });
    expect((await failure("pr3.jsonl", promo({ discountPercent: "0" }), "promotions")).message).toBe(
      'pr3.jsonl:1: discountPercent: expected a percentage greater than 0 and at most 100, found "0"',
    );
    expect(
      (await failure("pr4.jsonl", promo({ discountPercent: "100.01" }), "promotions")).extensions,
    ).toMatchObject({
      column: "discountPercent",
      found: '"100.01"',
    });
    expect((await failure("pr5.jsonl", promo({ creditAmount: "5" }), "promotions")).message).toBe(
      "pr5.jsonl:1: currency: expected an upper-case ISO 4217 currency code such as USD, found nothing",
    );
  });

  it("a boolean that is not one, a list that is not one, a URL that is not http(s)", async () => {
    const sub =
      "subscriptionId,accountId,serviceName,term,startedAt,autoRenew\ns,a,S,P1M,2024-01-01T00:00:00Z,maybe\n";
    expect((await failure("b1.csv", sub, "subscriptions")).message).toBe(
      'b1.csv:2: autoRenew: expected true or false (also 1/0, yes/no), found "maybe"',
    );
    const inc = (fields: Record<string, unknown>): string =>
      `${JSON.stringify({ incidentId: "i", serviceName: "S", regionId: "r", start: "2024-01-01T00:00:00Z", end: "2024-01-01T01:00:00Z", ...fields })}\n`;
    expect((await failure("l1.jsonl", inc({ resourceIds: "a;b" }), "incidents")).message).toBe(
      'l1.jsonl:1: resourceIds: expected an array of strings such as ["a","b"], found "a;b"',
    );
    expect(
      (
        await failure(
          "l2.csv",
          'incidentId,serviceName,regionId,resourceIds,start,end\ni,S,r,"[1,2]",2024-01-01T00:00:00Z,2024-01-01T01:00:00Z\n',
          "incidents",
        )
      ).extensions,
    ).toMatchObject({
      column: "resourceIds",
      found: '"[1,2]"',
    });
    expect(
      (await failure("url.jsonl", inc({ statusPageUrl: "javascript:alert(1)" }), "incidents")).extensions,
    ).toMatchObject({
      column: "statusPageUrl",
      expected: "an http or https URL",
    });
  });

  it("quotes the value with control characters escaped and cuts it at 80 characters", async () => {
    const e = await failure("q.jsonl", `${usage({ start: "\u0007bell\nnew\u202Eline" })}\n`, "usage");
    expect(e.extensions.found).toBe('"\\u0007bell\\nnew\\u202eline"');
    const long = `2024-${"9".repeat(200)}`;
    const cut = await failure("q2.jsonl", `${usage({ start: long })}\n`, "usage");
    expect(cut.extensions.found).toBe(`"${long.slice(0, 80)}…" (205 characters)`);
  });
});

describe("bad lines and bad files", () => {
  it("invalid UTF-8 names the line and the byte", async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${OK_USAGE}\n{"resourceId":"r`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`","start":"2024-05-01T00:00:00Z","end":"2024-05-01T01:00:00Z"}\n`),
    ]);
    const e = await failure("utf8.jsonl", bytes, "usage");
    expect(e.message).toBe("utf8.jsonl:2: expected UTF-8 text, found the byte 0xFF at byte 17 of the line");
    expect(e.extensions).toEqual({
      file: "utf8.jsonl",
      line: 2,
      expected: "UTF-8 text",
      found: "the byte 0xFF at byte 17 of the line",
    });
    // Also in CSV, and a UTF-8 BOM is not a problem.
    const csv = Buffer.concat([
      Buffer.from("\uFEFFresourceId,start,end\nr,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\nr"),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(",2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\n"),
    ]);
    expect((await failure("utf8.csv", csv, "usage")).message).toBe(
      "utf8.csv:3: expected UTF-8 text, found the byte 0xC3 at byte 2 of the line",
    );
  });

  it("a truncated last JSON line, a line that is not JSON, a line that is not an object", async () => {
    const cut = await failure("cut.jsonl", `${OK_USAGE}\n${OK_USAGE.slice(0, 30)}`, "usage");
    expect(cut.message).toBe(
      `cut.jsonl:2: expected a complete JSON object (the last line is cut off: is the file truncated?), found "${OK_USAGE.slice(0, 30).replaceAll('"', '\\"')}"`,
    );
    const notJson = await failure("nj.jsonl", `${OK_USAGE}\nresourceId=r-1\n${OK_USAGE}\n`, "usage");
    expect(notJson.message).toBe('nj.jsonl:2: expected a JSON object (one per line), found "resourceId=r-1"');
    const array = await failure("arr.jsonl", "[1,2]\n", "usage");
    expect(array.message).toBe("arr.jsonl:1: expected a JSON object (one per line), found an array");
  });

  it("a 10 MB field: a clear error, reading goes on after it in collect mode", async () => {
    const huge = "x".repeat(10 * 1024 * 1024);
    const hugeLine = usage({ resourceId: huge });
    const jsonl = `${OK_USAGE}\n${hugeLine}\n${OK_USAGE}\n`;
    const e = await failure("huge.jsonl", jsonl, "usage");
    expect(e.message).toBe(
      `huge.jsonl:2: expected a line of at most 1048576 bytes, found a line of ${hugeLine.length} bytes`,
    );
    const path = join(dir, "huge.csv");
    await writeFile(
      path,
      `resourceId,start,end\n${huge},2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\nr,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\n`,
    );
    const collected = await readEvidenceFile(path, "usage", {
      displayName: "huge.csv",
      onInvalid: "collect",
    });
    expect(collected.records.map((r) => r.sourceRef)).toEqual(["huge.csv:3"]);
    expect(collected.invalid).toEqual([
      {
        file: "huge.csv",
        line: 2,
        expected: "a line of at most 1048576 bytes",
        found: `a line of ${huge.length + 42} bytes`,
      },
    ]);
    // A quoted field of 2 MB spread over many short lines is one record that is too long.
    const multi = `resourceId,start,end\n"${"y".repeat(100).concat("\n").repeat(21_000)}",2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\nr,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\n`;
    await writeFile(join(dir, "multi.csv"), multi);
    const m = await readEvidenceFile(join(dir, "multi.csv"), "usage", {
      displayName: "multi.csv",
      onInvalid: "collect",
    });
    expect(m.invalid).toEqual([
      {
        file: "multi.csv",
        line: 2,
        expected: "a record of at most 1048576 characters",
        found: "a longer record",
      },
    ]);
    // The record runs from line 2 to line 2 + 21 000 (its closing quote); the next one follows.
    expect(m.records.map((r) => r.sourceRef)).toEqual([`multi.csv:${2 + 21_000 + 1}`]);
  });

  it("CSV header: duplicate columns, a missing required column, an empty file", async () => {
    const dup = await failure(
      "dup.csv",
      "resourceId,start,end,start\nr,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z,x\n",
      "usage",
    );
    expect(dup.message).toBe(
      'dup.csv:1: start: expected each column name once in the header, found "start" in columns 2 and 4',
    );
    const missing = await failure(
      "miss.csv",
      "resourceId,start,stop\nr,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\n",
      "usage",
    );
    expect(missing.message).toBe(
      "miss.csv:1: end: expected a column named end, found no such column in the header",
    );
    expect(missing.extensions).toEqual({
      file: "miss.csv",
      line: 1,
      column: "end",
      expected: "a column named end",
      found: "no such column in the header",
    });
    const promo = await failure("promo.csv", "promotionId,accountId,validFrom,validTo\n", "promotions");
    expect(promo.extensions).toMatchObject({
      line: 1,
      column: "discountPercent",
      found: "neither in the header",
    });
    const empty = await failure("empty.csv", "", "usage");
    expect(empty.message).toBe(
      "empty.csv:1: expected a header line naming the columns (resourceId, start, end, …), found an empty file",
    );
  });

  it("CSV records: wrong number of fields, text after a closing quote, an unterminated quote", async () => {
    const head = "resourceId,start,end\n";
    const row = "r,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\n";
    expect((await failure("n.csv", `${head}${row}r,2024-05-01T00:00:00Z\n`, "usage")).message).toBe(
      "n.csv:3: expected 3 fields, as in the header, found 2 fields",
    );
    expect(
      (await failure("qq.csv", `${head}"r"x,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\n`, "usage")).message,
    ).toBe(
      'qq.csv:2: expected a comma or the end of the line after a closing quote, found "\\"x,2024-05-0" at character 3',
    );
    expect(
      (
        await failure(
          "open.csv",
          `${head}${row}"r,2024-05-01T00:00:00Z,2024-05-01T01:00:00Z\n${row}`,
          "usage",
        )
      ).message,
    ).toBe("open.csv:3: expected a closing quote for the field opened on line 3, found the end of the file");
  });

  it("files that cannot be read at all", async () => {
    await expect(
      readEvidenceFile(join(dir, "nope.jsonl"), "usage", { displayName: "nope.jsonl" }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      message: "nope.jsonl: the file does not exist",
    });
    expect((await failure("usage.txt", "x", "usage")).message).toMatch(/^usage\.txt: unsupported file type/);
    expect((await failure("notgz.jsonl.gz", OK_USAGE, "usage")).message).toBe(
      "notgz.jsonl.gz: is not a valid gzip file, or it is truncated",
    );
    const truncatedGz = gzipSync(Buffer.from(`${OK_USAGE}\n`.repeat(100))).subarray(0, 60);
    expect((await failure("cut.jsonl.gz", truncatedGz, "usage")).message).toBe(
      "cut.jsonl.gz: is not a valid gzip file, or it is truncated",
    );
  });
});

describe('onInvalid: "collect"', () => {
  it("keeps the good records and lists every problem of every bad line", async () => {
    const path = join(dir, "mixed.jsonl");
    await writeFile(
      path,
      [
        OK_USAGE,
        usage({ resourceId: "", start: "yesterday" }),
        "",
        "{oops",
        usage({ resourceId: "r-2" }),
        usage({ quantity: 3 }),
      ].join("\n"),
    );
    const result = await readEvidenceFile(path, "usage", {
      displayName: "mixed.jsonl",
      onInvalid: "collect",
    });
    expect(result.records.map((r) => [r.sourceRef, r.resourceId])).toEqual([
      ["mixed.jsonl:1", "r-1"],
      ["mixed.jsonl:5", "r-2"],
    ]);
    expect(result.invalid.map((p) => [p.line, p.column ?? null, p.found])).toEqual([
      [2, "resourceId", "nothing"],
      [2, "start", '"yesterday"'],
      [4, null, '"{oops"'],
      [6, "quantity", "3"],
    ]);
    // The same file in fail mode stops at line 2.
    await expect(readEvidenceFile(path, "usage", { displayName: "mixed.jsonl" })).rejects.toMatchObject({
      extensions: { line: 2, column: "resourceId" },
    });
  });
});

describe("a million lines", () => {
  it("reads a 1,000,000-line gzip-compressed usage file, with the line numbers of a bad line in the middle", async () => {
    const path = join(dir, "million.csv.gz");
    const gzip = createGzip();
    const out = gzip.pipe(createWriteStream(path));
    const write = async (s: string): Promise<void> => {
      if (!gzip.write(s)) await new Promise((resolve) => gzip.once("drain", resolve));
    };
    await write("resourceId,start,end,quantity,unit\n");
    // Written 10 000 lines at a time: a write per line would make gzip the slow part of the test.
    for (let block = 0; block < 100; block++) {
      const lines: string[] = [];
      for (let i = block * 10_000; i < (block + 1) * 10_000; i++) {
        const quantity = i === 500_000 ? "lots" : "1.5";
        lines.push(`vm-${i % 1000},2024-05-01T00:00:00Z,2024-05-01T01:30:00Z,${quantity},Hours\n`);
      }
      await write(lines.join(""));
    }
    gzip.end();
    await finished(out);
    const result = await readEvidenceFile(path, "usage", {
      displayName: "million.csv.gz",
      onInvalid: "collect",
    });
    expect(result.records).toHaveLength(999_999);
    expect(result.records[0]?.sourceRef).toBe("million.csv.gz:2");
    expect(result.records.at(-1)).toEqual({
      sourceRef: "million.csv.gz:1000001",
      resourceId: "vm-999",
      start: "2024-05-01T00:00:00Z",
      end: "2024-05-01T01:30:00Z",
      quantity: "1.5",
      unit: "Hours",
    });
    expect(result.invalid).toEqual([
      {
        file: "million.csv.gz",
        line: 500_002,
        column: "quantity",
        expected: "a decimal such as 12.50",
        found: '"lots"',
      },
    ]);
  }, 120_000);
});
