/**
 * `refund-desk generate` / generateDataset: determinism, the FOCUS layout, the evidence files,
 * the clean-data invariants, and the command line.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASET_FILES, generateDataset } from "../src/generator/generate-dataset.js";
import { Money, parseDecimal } from "../src/money/index.js";
import { runCli } from "./support/cli.js";

const root = mkdtempSync(join(tmpdir(), "refund-desk-generate-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(
    DATASET_FILES.map((f) => [
      f,
      createHash("sha256")
        .update(readFileSync(join(dir, f)))
        .digest("hex"),
    ]),
  );
}

function csvRows(dir: string): Record<string, string>[] {
  return parse(readFileSync(join(dir, "charges.csv")), { columns: true }) as Record<string, string>[];
}

function jsonl(dir: string, file: string): Record<string, unknown>[] {
  return readFileSync(join(dir, file), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const COLUMNS = [
  "BillingAccountId",
  "BillingAccountName",
  "SubAccountId",
  "SubAccountName",
  "ProviderName",
  "PublisherName",
  "InvoiceIssuerName",
  "InvoiceId",
  "BillingPeriodStart",
  "BillingPeriodEnd",
  "ChargePeriodStart",
  "ChargePeriodEnd",
  "ChargeCategory",
  "ChargeClass",
  "ChargeFrequency",
  "ChargeDescription",
  "ServiceName",
  "ServiceCategory",
  "RegionId",
  "RegionName",
  "ResourceId",
  "ResourceName",
  "ResourceType",
  "SkuId",
  "SkuPriceId",
  "PricingCategory",
  "ConsumedQuantity",
  "ConsumedUnit",
  "PricingQuantity",
  "PricingUnit",
  "ListUnitPrice",
  "ContractedUnitPrice",
  "BilledCost",
  "EffectiveCost",
  "ListCost",
  "ContractedCost",
  "BillingCurrency",
  "CommitmentDiscountId",
  "CommitmentDiscountStatus",
  "CommitmentDiscountType",
  "CommitmentDiscountCategory",
  "CommitmentDiscountQuantity",
  "CommitmentDiscountUnit",
  "Tags",
  "x_PromotionId",
];

/** FOCUS 1.2 columns that allow no nulls (for the rows they apply to). */
const ALWAYS_REQUIRED = [
  "BillingAccountId",
  "BillingAccountName",
  "SubAccountId",
  "SubAccountName",
  "ProviderName",
  "PublisherName",
  "InvoiceIssuerName",
  "InvoiceId",
  "BillingPeriodStart",
  "BillingPeriodEnd",
  "ChargePeriodStart",
  "ChargePeriodEnd",
  "ChargeCategory",
  "ChargeFrequency",
  "ChargeDescription",
  "ServiceName",
  "ServiceCategory",
  "BilledCost",
  "EffectiveCost",
  "ListCost",
  "ContractedCost",
  "BillingCurrency",
];
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const DECIMAL_COLUMNS = [
  "ConsumedQuantity",
  "PricingQuantity",
  "ListUnitPrice",
  "ContractedUnitPrice",
  "BilledCost",
  "EffectiveCost",
  "ListCost",
  "ContractedCost",
  "CommitmentDiscountQuantity",
];

describe("generateDataset", () => {
  let a: string;
  let b: string;
  let other: string;
  let clean: string;
  beforeAll(async () => {
    a = join(root, "a");
    b = join(root, "b");
    other = join(root, "other");
    clean = join(root, "clean");
    await generateDataset({ outDir: a, seed: 42, rows: 6000 });
    await generateDataset({ outDir: b, seed: 42, rows: 6000 });
    await generateDataset({ outDir: other, seed: 43, rows: 6000 });
    await generateDataset({ outDir: clean, seed: 44, rows: 8000, clean: true });
  }, 60_000);

  describe("determinism", () => {
    it("writes byte-identical files for the same arguments", () => {
      expect(hashes(b)).toEqual(hashes(a));
    });

    it("writes different files for a different seed", () => {
      const x = hashes(a);
      const y = hashes(other);
      for (const f of ["charges.csv", "usage.jsonl", "subscriptions.jsonl", "payments.jsonl", "truth.json"]) {
        expect(y[f], f).not.toBe(x[f]);
      }
    });
  });

  describe("charges.csv", () => {
    it("has the FOCUS header and exactly --rows data rows of 45 fields", () => {
      const text = readFileSync(join(a, "charges.csv"), "utf8");
      expect(text.slice(0, text.indexOf("\n"))).toBe(COLUMNS.join(","));
      expect(text.endsWith("\n")).toBe(true);
      expect(text.split("\n").length - 2).toBe(6000);
      const rows = parse(text, { relax_column_count: false }) as string[][];
      expect(rows).toHaveLength(6001);
      expect(rows.every((r) => r.length === 45)).toBe(true);
    });

    it("meets exact row counts for tiny and odd sizes", async () => {
      for (const rows of [1, 7, 999, 1000, 1001]) {
        const dir = join(root, `size-${rows}`);
        const result = await generateDataset({ outDir: dir, seed: rows, rows, accounts: 3, months: 2 });
        expect(result.rows).toBe(rows);
        expect(csvRows(dir)).toHaveLength(rows);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("fills the columns FOCUS requires, with plain decimals and UTC timestamps", () => {
      const problems: string[] = [];
      const check = (ok: boolean, what: string, line: number) => {
        if (!ok && problems.length < 20) problems.push(`line ${line}: ${what}`);
      };
      for (const dir of [a, clean]) {
        csvRows(dir).forEach((r, i) => {
          const line = i + 2;
          for (const c of ALWAYS_REQUIRED) check(r[c] !== "", `${c} empty`, line);
          for (const c of [
            "BillingPeriodStart",
            "BillingPeriodEnd",
            "ChargePeriodStart",
            "ChargePeriodEnd",
          ]) {
            check(TIMESTAMP.test(r[c]!), `${c} ${r[c]}`, line);
          }
          for (const c of DECIMAL_COLUMNS) check(r[c] === "" || DECIMAL.test(r[c]!), `${c} ${r[c]}`, line);
          check(/^(Usage|Purchase|Tax|Credit|Adjustment)$/.test(r.ChargeCategory!), "ChargeCategory", line);
          check(/^(|Correction)$/.test(r.ChargeClass!), "ChargeClass", line);
          check(/^(One-Time|Recurring|Usage-Based)$/.test(r.ChargeFrequency!), "ChargeFrequency", line);
          check(r.ProviderName === "AWS" && r.BillingCurrency === "USD", "provider or currency", line);
          if (r.ChargeCategory === "Usage" || r.ChargeCategory === "Purchase") {
            for (const c of ["PricingQuantity", "PricingUnit", "SkuId", "SkuPriceId", "PricingCategory"]) {
              check(r[c] !== "", `${c} empty`, line);
            }
          }
          const unused = r.CommitmentDiscountStatus === "Unused";
          // FOCUS: ConsumedQuantity only on Usage rows, and null on unused commitment rows.
          check(
            (r.ConsumedQuantity !== "") === (r.ChargeCategory === "Usage" && !unused),
            "ConsumedQuantity",
            line,
          );
          check((r.ConsumedUnit !== "") === (r.ConsumedQuantity !== ""), "ConsumedUnit", line);
          check(
            (r.CommitmentDiscountStatus !== "") ===
              (r.CommitmentDiscountId !== "" && r.ChargeCategory === "Usage"),
            "CommitmentDiscountStatus",
            line,
          );
          check(Date.parse(r.ChargePeriodStart!) < Date.parse(r.ChargePeriodEnd!), "charge period", line);
          check(r.Tags === "" || typeof JSON.parse(r.Tags!) === "object", "Tags", line);
        });
      }
      expect(problems).toEqual([]);
    });

    it("mixes services, charge kinds, units, regions and accounts", () => {
      const rows = csvRows(a);
      const values = (c: string) => new Set(rows.map((r) => r[c]));
      expect(values("ChargeCategory")).toEqual(new Set(["Usage", "Purchase", "Tax", "Credit"]));
      expect(values("ChargeClass")).toEqual(new Set(["", "Correction"]));
      for (const s of [
        "Amazon Elastic Compute Cloud",
        "Amazon Simple Storage Service",
        "Amazon CloudFront",
        "Tax",
      ]) {
        expect(values("ServiceName").has(s), s).toBe(true);
      }
      for (const u of ["Hours", "GB-Mo", "10K Requests", "Months"])
        expect(values("PricingUnit").has(u), u).toBe(true);
      expect(values("PricingCategory").has("Committed")).toBe(true);
      expect(values("CommitmentDiscountStatus")).toEqual(new Set(["", "Used", "Unused"]));
      expect(values("RegionId").size).toBeGreaterThanOrEqual(5);
      expect(values("SubAccountId").size).toBeGreaterThan(20);
      expect(values("BillingAccountId").size).toBe(1);
      for (const id of values("SubAccountId")) expect(id).toMatch(/^\d{12}$/);
      // Hourly and daily compute rows.
      const spans = new Set(
        rows
          .filter((r) => r.ServiceName === "Amazon Elastic Compute Cloud" && r.ChargeCategory === "Usage")
          .map((r) => Date.parse(r.ChargePeriodEnd!) - Date.parse(r.ChargePeriodStart!)),
      );
      expect(spans).toEqual(new Set([3_600_000, 86_400_000]));
    });

    it("bills clean usage at exactly the contracted price, never above list", () => {
      for (const r of csvRows(clean)) {
        const billed = parseDecimal(r.BilledCost!, "BilledCost");
        if (r.ListCost !== "" && billed.greaterThanOrEqualTo(0)) {
          expect(parseDecimal(r.ListCost!, "ListCost").greaterThanOrEqualTo(billed)).toBe(true);
        }
        if (r.ContractedUnitPrice === "" || r.PricingQuantity === "" || r.PricingCategory === "Committed")
          continue;
        const expected = parseDecimal(r.ContractedUnitPrice!, "p").times(
          parseDecimal(r.PricingQuantity!, "q"),
        );
        expect(billed.equals(expected), `${r.ResourceId} ${r.ChargePeriodStart}`).toBe(true);
        expect(r.BilledCost!.replace(/^-?\d+\.?/, "").length).toBeLessThanOrEqual(7);
      }
    });

    it("lists corrections after the charge they correct, in a later billing period", () => {
      const rows = csvRows(a);
      const corrections = rows
        .map((r, i) => ({ r, line: i + 2 }))
        .filter(({ r }) => r.ChargeClass === "Correction");
      expect(corrections.length).toBeGreaterThan(0);
      for (const { r, line } of corrections) {
        expect(parseDecimal(r.BilledCost!, "c").isNegative()).toBe(true);
        const original = rows.findIndex(
          (o) =>
            o.ChargeClass === "" &&
            o.SubAccountId === r.SubAccountId &&
            o.ResourceId === r.ResourceId &&
            o.SkuId === r.SkuId &&
            o.ChargePeriodStart === r.ChargePeriodStart,
        );
        expect(original).toBeGreaterThanOrEqual(0);
        expect(original + 2).toBeLessThan(line);
        expect(Date.parse(r.BillingPeriodStart!)).toBeGreaterThan(
          Date.parse(rows[original]!.BillingPeriodStart!),
        );
      }
    });
  });

  describe("evidence files", () => {
    it("use the DESIGN.md fields, UTC timestamps and string amounts", () => {
      const shapes: Record<string, string[]> = {
        "usage.jsonl": ["resourceId", "start", "end", "quantity", "unit"],
        "subscriptions.jsonl": [
          "subscriptionId",
          "accountId",
          "resourceId",
          "serviceName",
          "term",
          "startedAt",
          "renewsAt",
          "autoRenew",
          "cancelledAt",
        ],
        "incidents.jsonl": [
          "incidentId",
          "serviceName",
          "regionId",
          "resourceIds",
          "start",
          "end",
          "statusPageUrl",
        ],
        "promotions.jsonl": [
          "promotionId",
          "code",
          "accountId",
          "serviceNames",
          "regionIds",
          "discountPercent",
          "creditAmount",
          "currency",
          "validFrom",
          "validTo",
        ],
        "payments.jsonl": [
          "paymentId",
          "accountId",
          "invoiceId",
          "method",
          "instrumentFingerprint",
          "amount",
          "currency",
          "paidAt",
        ],
      };
      const times = [
        "start",
        "end",
        "startedAt",
        "renewsAt",
        "cancelledAt",
        "validFrom",
        "validTo",
        "paidAt",
      ];
      for (const [file, keys] of Object.entries(shapes)) {
        const records = jsonl(a, file);
        expect(records.length, file).toBeGreaterThan(0);
        for (const rec of records) {
          expect(Object.keys(rec)).toEqual(keys);
          for (const t of times) if (t in rec && rec[t] !== null) expect(rec[t]).toMatch(TIMESTAMP);
          for (const m of ["amount", "creditAmount", "discountPercent", "quantity"]) {
            if (m in rec && rec[m] !== null) expect(rec[m]).toMatch(DECIMAL);
          }
        }
      }
      for (const p of jsonl(a, "promotions.jsonl"))
        expect((p.discountPercent === null) !== (p.creditAmount === null)).toBe(true);
      for (const i of jsonl(a, "incidents.jsonl"))
        expect(Date.parse(i.start as string)).toBeLessThan(Date.parse(i.end as string));
    });

    it("pay every invoice with a positive total, exactly, by card, bank transfer or voucher", () => {
      const totals = new Map<string, Money>();
      for (const r of csvRows(a)) {
        const key = `${r.SubAccountId}|${r.InvoiceId}`;
        totals.set(key, (totals.get(key) ?? Money.zero("USD")).plus(Money.of(r.BilledCost!, "USD")));
      }
      const paid = new Map<string, Money>();
      const methods = new Set<string>();
      const cards = new Map<string, Set<string>>();
      for (const p of jsonl(a, "payments.jsonl")) {
        const key = `${p.accountId as string}|${p.invoiceId as string}`;
        paid.set(key, (paid.get(key) ?? Money.zero("USD")).plus(Money.of(p.amount as string, "USD")));
        methods.add(p.method as string);
        if (p.method === "card") {
          const set = cards.get(p.instrumentFingerprint as string) ?? new Set<string>();
          set.add(p.accountId as string);
          cards.set(p.instrumentFingerprint as string, set);
        }
      }
      for (const [key, total] of totals) {
        const rounded = total.roundToMinor();
        if (rounded.isPositive()) expect(paid.get(key)?.amount, key).toBe(rounded.amount);
        else expect(paid.has(key)).toBe(false);
      }
      expect(methods).toEqual(new Set(["card", "bank_transfer", "voucher"]));
      expect([...cards.values()].some((accounts) => accounts.size > 1)).toBe(true);
    });

    it("include cancelled subscriptions, usage crossing period edges, and promotions that expired", () => {
      expect(jsonl(clean, "subscriptions.jsonl").some((s) => s.cancelledAt !== null)).toBe(true);
      expect(jsonl(clean, "subscriptions.jsonl").some((s) => s.resourceId === null)).toBe(true);
      const usage = jsonl(a, "usage.jsonl");
      expect(usage.some((u) => !(u.start as string).endsWith(":00:00Z"))).toBe(true);
      const start = Date.parse("2026-01-01T00:00:00Z");
      expect(jsonl(clean, "promotions.jsonl").some((p) => Date.parse(p.validTo as string) <= start)).toBe(
        true,
      );
    });
  });

  it("rejects bad options with field errors", async () => {
    await expect(
      generateDataset({ outDir: join(root, "bad"), seed: -1, rows: 0, months: 99, currency: "usd" }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      fieldErrors: expect.arrayContaining([
        expect.objectContaining({ field: "seed" }),
        expect.objectContaining({ field: "rows" }),
        expect.objectContaining({ field: "months" }),
        expect.objectContaining({ field: "currency" }),
      ]),
    });
    expect(existsSync(join(root, "bad"))).toBe(false);
  });
});

describe("refund-desk generate", () => {
  it("writes the dataset and reports where", async () => {
    const dir = join(root, "cli");
    const res = await runCli(
      ["generate", "--out", dir, "--seed", "5", "--rows", "1500", "--months", "2", "--accounts", "6"],
      {},
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /^Wrote 1500 charges and \d+ planted findings \(7 kinds\) to .*--as-of 2026-03-01\.\n$/,
    );
    for (const f of DATASET_FILES) expect(existsSync(join(dir, f)), f).toBe(true);
    const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as {
      generator: { rows: number; asOf: string };
    };
    expect(truth.generator).toMatchObject({ rows: 1500, asOf: "2026-03-01" });
  });

  it("exits 2 with a message for bad input", async () => {
    const res = await runCli(
      ["generate", "--out", join(root, "cli-bad"), "--seed", "x1", "--rows", "10"],
      {},
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("seed");
  });
});
