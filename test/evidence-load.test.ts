import { fileURLToPath } from "node:url";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evidenceTableSql, loadEvidence, readEvidenceFile } from "../src/billing/evidence/index.js";
import type { UsageInterval } from "../src/billing/evidence.js";
import { AppError } from "../src/shared/errors.js";

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/evidence/${name}`, import.meta.url));

let instance: DuckDBInstance;
let connection: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
});
afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

async function columnTypes(table: string): Promise<Record<string, string>> {
  const described = await rows(`DESCRIBE "${table}"`);
  return Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)]));
}

describe("loadEvidence into DuckDB", () => {
  it("creates typed tables and appends every kind", async () => {
    const kinds = ["usage", "subscriptions", "incidents", "promotions", "payments"] as const;
    for (const kind of kinds) {
      const { records } = await readEvidenceFile(fixture(`${kind}.csv`), kind, {
        displayName: `${kind}.csv`,
      });
      expect(await loadEvidence(connection, kind, records)).toBe(records.length);
    }
    expect(await columnTypes("usage")).toEqual({
      resourceId: "VARCHAR",
      start: "TIMESTAMP",
      end: "TIMESTAMP",
      quantity: "DECIMAL(38,18)",
      unit: "VARCHAR",
      x_SourceRef: "VARCHAR",
    });
    expect(await columnTypes("subscriptions")).toMatchObject({ autoRenew: "BOOLEAN", renewsAt: "TIMESTAMP" });
    expect(await columnTypes("incidents")).toMatchObject({
      resourceIds: "VARCHAR[]",
      statusPageUrl: "VARCHAR",
    });
    expect(await columnTypes("promotions")).toMatchObject({
      serviceNames: "VARCHAR[]",
      regionIds: "VARCHAR[]",
      discountPercent: "DECIMAL(38,18)",
      creditAmount: "DECIMAL(38,18)",
    });
    expect(await columnTypes("payments")).toMatchObject({ amount: "DECIMAL(38,18)", paidAt: "TIMESTAMP" });

    expect(
      await rows(
        `SELECT "resourceId", strftime("start", '%Y-%m-%dT%H:%M:%S') AS s, "quantity"::VARCHAR AS q, "unit", "x_SourceRef"
         FROM "usage" ORDER BY "x_SourceRef"`,
      ),
    ).toEqual([
      { resourceId: "i-0abc", s: "2024-05-01T00:00:00", q: null, unit: null, x_SourceRef: "usage.csv:2" },
      {
        resourceId: 'vm "db", primary',
        s: "2024-05-02T04:00:00",
        q: "2.000000000000000000",
        unit: "Hours",
        x_SourceRef: "usage.csv:3",
      },
      {
        resourceId: "bucket-1",
        s: "2024-05-02T00:00:00",
        q: "125.000000000000000000",
        unit: "GB\nmonth",
        x_SourceRef: "usage.csv:5",
      },
    ]);
    expect(
      await rows(
        `SELECT "subscriptionId", "autoRenew", "cancelledAt"::VARCHAR AS c FROM subscriptions ORDER BY 1`,
      ),
    ).toEqual([
      { subscriptionId: "sub-1", autoRenew: true, c: null },
      { subscriptionId: "sub-2", autoRenew: false, c: "2024-03-01 00:00:00" },
      { subscriptionId: "sub-3", autoRenew: true, c: null },
    ]);
    expect(
      await rows(`SELECT "incidentId", "resourceIds", len("resourceIds") AS n FROM incidents ORDER BY 1`),
    ).toEqual([
      { incidentId: "inc-1", resourceIds: ["vm-1", "vm-2"], n: "2" },
      { incidentId: "inc-2", resourceIds: [], n: "0" },
      { incidentId: "inc-3", resourceIds: ["bucket-a", "bucket-b"], n: "2" },
    ]);
    // Exact decimals: sums in SQL stay exact.
    expect(await rows(`SELECT sum("amount")::VARCHAR AS total FROM payments`)).toEqual([
      { total: "15120.500000000000000000" },
    ]);
    expect(
      await rows(
        `SELECT "promotionId", list_contains("serviceNames", 'Cloud SQL') AS sql FROM promotions ORDER BY 1`,
      ),
    ).toEqual([
      { promotionId: "promo-1", sql: true },
      { promotionId: "promo-2", sql: false },
    ]);
  });

  it("appends to an existing table, and loads nothing of a batch with a bad record", async () => {
    const { records } = await readEvidenceFile(fixture("usage.jsonl"), "usage", {
      displayName: "usage.jsonl",
    });
    const before = Number((await rows(`SELECT count(*)::INTEGER AS n FROM "usage"`))[0]?.n);
    await loadEvidence(connection, "usage", records);
    expect(Number((await rows(`SELECT count(*)::INTEGER AS n FROM "usage"`))[0]?.n)).toBe(before + 3);

    // A record built by hand (not read from a file) with a value that does not fit DECIMAL(38,18).
    const bad: UsageInterval = { ...records[0]!, sourceRef: "hand:1", quantity: "0.0000000000000000001" };
    const error = await loadEvidence(connection, "usage", [...records, bad]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("validation_failed");
    expect((error as AppError).message).toBe("hand:1: quantity: expected a decimal that fits DECIMAL(38,18)");
    expect(Number((await rows(`SELECT count(*)::INTEGER AS n FROM "usage"`))[0]?.n)).toBe(before + 3);
  });

  it("has the CREATE TABLE statement the detectors can rely on", () => {
    expect(evidenceTableSql("incidents")).toBe(
      [
        'CREATE TABLE IF NOT EXISTS "incidents" (',
        '  "incidentId" VARCHAR NOT NULL,',
        '  "serviceName" VARCHAR NOT NULL,',
        '  "regionId" VARCHAR NOT NULL,',
        '  "resourceIds" VARCHAR[] NOT NULL,',
        '  "start" TIMESTAMP NOT NULL,',
        '  "end" TIMESTAMP NOT NULL,',
        '  "statusPageUrl" VARCHAR,',
        '  "x_SourceRef" VARCHAR NOT NULL',
        ")",
      ].join("\n"),
    );
  });
});
