import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readEvidenceFile } from "../src/billing/evidence/index.js";

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/evidence/${name}`, import.meta.url));

async function read<K extends Parameters<typeof readEvidenceFile>[1]>(name: string, kind: K) {
  const result = await readEvidenceFile(fixture(name), kind, { displayName: name });
  expect(result.invalid).toEqual([]);
  expect(result.skipped).toBe(0);
  return result;
}

describe("readEvidenceFile: usage", () => {
  it("reads JSON Lines: UTC timestamps, exact decimals, blank lines still counted, unknown fields ignored", async () => {
    const { records, source } = await read("usage.jsonl", "usage");
    expect(source).toBe("jsonl");
    expect(records).toEqual([
      {
        sourceRef: "usage.jsonl:1",
        resourceId: "i-0abc",
        start: "2024-05-01T00:00:00Z",
        end: "2024-05-01T10:30:00Z",
        quantity: null,
        unit: null,
      },
      {
        sourceRef: "usage.jsonl:2",
        resourceId: "i-0abc",
        // 14:00 at +02:00 is 12:00 UTC; the milliseconds are kept because they are not zero.
        start: "2024-05-01T12:00:00Z",
        end: "2024-05-01T12:30:00.250Z",
        quantity: "0.5",
        unit: "Hours",
      },
      {
        // Line 3 is blank: the third record is on line 4.
        sourceRef: "usage.jsonl:4",
        resourceId: "bucket-1",
        start: "2024-05-02T00:00:00Z",
        end: "2024-05-03T00:00:00Z",
        // 1.25E+2 written out in plain digits.
        quantity: "125",
        unit: "GB",
      },
    ]);
    expect(Object.keys(records[1]!)).not.toContain("extraField");
  });

  it("reads CSV: header is line 1, quoted fields, CRLF, blank lines, a field spanning two lines", async () => {
    const { records, source } = await read("usage.csv", "usage");
    expect(source).toBe("csv");
    expect(records).toEqual([
      {
        sourceRef: "usage.csv:2",
        resourceId: "i-0abc",
        start: "2024-05-01T00:00:00Z",
        end: "2024-05-01T10:30:00Z",
        quantity: null,
        unit: null,
      },
      {
        sourceRef: "usage.csv:3",
        resourceId: 'vm "db", primary',
        start: "2024-05-02T04:00:00Z",
        end: "2024-05-02T06:00:00Z",
        quantity: "2.000",
        unit: "Hours",
      },
      {
        // Line 4 is blank; this record starts on line 5 and its quoted unit ends on line 6.
        sourceRef: "usage.csv:5",
        resourceId: "bucket-1",
        start: "2024-05-02T00:00:00Z",
        end: "2024-05-03T00:00:00Z",
        quantity: "125",
        unit: "GB\nmonth",
      },
    ]);
  });
});

describe("readEvidenceFile: subscriptions", () => {
  const expected = [
    {
      sourceRef: "subscriptions.X:2",
      subscriptionId: "sub-1",
      accountId: "acc-1",
      resourceId: "r-1",
      serviceName: "Compute Engine",
      term: "P1M",
      startedAt: "2024-01-01T00:00:00Z",
      renewsAt: "2024-02-01T00:00:00Z",
      autoRenew: true,
      cancelledAt: null,
    },
    {
      sourceRef: "subscriptions.X:3",
      subscriptionId: "sub-2",
      accountId: "acc-1",
      resourceId: null,
      serviceName: "Cloud SQL",
      term: "yearly",
      // 09:00 at +09:00 is midnight UTC.
      startedAt: "2024-01-15T00:00:00Z",
      renewsAt: null,
      autoRenew: false,
      cancelledAt: "2024-03-01T00:00:00Z",
    },
  ];

  it("reads JSON Lines (booleans as JSON or as words)", async () => {
    const { records } = await read("subscriptions.jsonl", "subscriptions");
    expect(records).toEqual(
      expected.map((r) => ({
        ...r,
        sourceRef: r.sourceRef.replace("X:2", "jsonl:1").replace("X:3", "jsonl:2"),
      })),
    );
  });

  it("reads CSV (TRUE, 0, yes)", async () => {
    const { records } = await read("subscriptions.csv", "subscriptions");
    expect(records.slice(0, 2)).toEqual(
      expected.map((r) => ({ ...r, sourceRef: r.sourceRef.replace("X", "csv") })),
    );
    expect(records[2]).toMatchObject({
      sourceRef: "subscriptions.csv:4",
      autoRenew: true,
      startedAt: "2024-01-15T09:00:00Z",
    });
  });
});

describe("readEvidenceFile: incidents", () => {
  it("reads JSON Lines with and without resourceIds", async () => {
    const { records } = await read("incidents.jsonl", "incidents");
    expect(records).toEqual([
      {
        sourceRef: "incidents.jsonl:1",
        incidentId: "inc-1",
        serviceName: "Compute Engine",
        regionId: "us-central1",
        resourceIds: ["vm-1", "vm-2"],
        start: "2024-02-28T23:00:00Z",
        end: "2024-03-01T01:00:00Z",
        statusPageUrl: "https://status.example.com/inc-1",
      },
      {
        sourceRef: "incidents.jsonl:2",
        incidentId: "inc-2",
        serviceName: "Compute Engine",
        regionId: "us-central1",
        resourceIds: [],
        start: "2024-02-29T00:00:00Z",
        end: "2024-02-29T01:00:00Z",
        statusPageUrl: null,
      },
    ]);
  });

  it("reads CSV lists separated by ';' or written as a JSON array", async () => {
    const { records } = await read("incidents.csv", "incidents");
    expect(records.map((r) => [r.sourceRef, r.resourceIds, r.statusPageUrl])).toEqual([
      ["incidents.csv:2", ["vm-1", "vm-2"], "https://status.example.com/inc-1"],
      ["incidents.csv:3", [], null],
      ["incidents.csv:4", ["bucket-a", "bucket-b"], null],
    ]);
  });
});

describe("readEvidenceFile: promotions", () => {
  it("reads JSON Lines: a percentage promotion and a credit promotion", async () => {
    const { records } = await read("promotions.jsonl", "promotions");
    expect(records).toEqual([
      {
        sourceRef: "promotions.jsonl:1",
        promotionId: "promo-1",
        code: "SPRING24",
        accountId: "acc-1",
        serviceNames: ["Compute Engine"],
        regionIds: [],
        discountPercent: "15",
        creditAmount: null,
        currency: null,
        validFrom: "2024-03-01T00:00:00Z",
        validTo: "2024-06-01T00:00:00Z",
      },
      {
        sourceRef: "promotions.jsonl:2",
        promotionId: "promo-2",
        code: null,
        accountId: "acc-1",
        serviceNames: [],
        regionIds: [],
        discountPercent: null,
        creditAmount: "300.00",
        currency: "USD",
        validFrom: "2024-01-01T00:00:00Z",
        validTo: "2025-01-01T00:00:00Z",
      },
    ]);
  });

  it("reads CSV (100 % is allowed; offsets applied)", async () => {
    const { records } = await read("promotions.csv", "promotions");
    expect(records).toEqual([
      {
        sourceRef: "promotions.csv:2",
        promotionId: "promo-1",
        code: "SPRING24",
        accountId: "acc-1",
        serviceNames: ["Compute Engine", "Cloud SQL"],
        regionIds: ["us-central1"],
        discountPercent: "100",
        creditAmount: null,
        currency: null,
        validFrom: "2024-03-01T00:00:00Z",
        validTo: "2024-06-01T00:00:00Z",
      },
      {
        sourceRef: "promotions.csv:3",
        promotionId: "promo-2",
        code: null,
        accountId: "acc-1",
        serviceNames: [],
        regionIds: [],
        discountPercent: null,
        creditAmount: "300.00",
        currency: "EUR",
        validFrom: "2023-12-31T23:00:00Z",
        validTo: "2024-12-31T23:00:00Z",
      },
    ]);
  });
});

describe("readEvidenceFile: payments", () => {
  const expected = [
    {
      sourceRef: "payments.X:2",
      paymentId: "pay-1",
      accountId: "acc-1",
      invoiceId: "INV-001",
      method: "card",
      instrumentFingerprint: "fp_abc",
      amount: "120.50",
      currency: "USD",
      paidAt: "2024-04-02T09:00:00Z",
    },
    {
      sourceRef: "payments.X:3",
      paymentId: "pay-2",
      accountId: "acc-2",
      invoiceId: null,
      method: "bank_transfer",
      instrumentFingerprint: null,
      amount: "15000",
      currency: "JPY",
      paidAt: "2024-04-03T00:00:00Z",
    },
  ];

  it("reads JSON Lines", async () => {
    const { records } = await read("payments.jsonl", "payments");
    expect(records).toEqual(
      expected.map((r) => ({
        ...r,
        sourceRef: r.sourceRef.replace("X:2", "jsonl:1").replace("X:3", "jsonl:2"),
      })),
    );
  });

  it("reads CSV", async () => {
    const { records } = await read("payments.csv", "payments");
    expect(records).toEqual(expected.map((r) => ({ ...r, sourceRef: r.sourceRef.replace("X", "csv") })));
  });
});

describe("readEvidenceFile: names and compression", () => {
  it("uses the path as given when there is no display name, and reads .gz files", async () => {
    const { gzipSync } = await import("node:zlib");
    const { mkdtemp, readFile, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = await mkdtemp(join(tmpdir(), "evidence-"));
    const path = join(dir, "payments.csv.gz");
    await writeFile(path, gzipSync(await readFile(fixture("payments.csv"))));
    const result = await readEvidenceFile(path, "payments");
    expect(result.source).toBe("csv");
    expect(result.records.map((r) => r.sourceRef)).toEqual([`${path}:2`, `${path}:3`]);
    // Type from the display name when the stored path has no extension (an uploaded file).
    const bare = join(dir, "upload-123");
    await writeFile(bare, await readFile(fixture("usage.jsonl")));
    const named = await readEvidenceFile(bare, "usage", { displayName: "usage.ndjson" });
    expect(named.source).toBe("jsonl");
    expect(named.records).toHaveLength(3);
  });
});
