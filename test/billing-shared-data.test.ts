import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Analytics,
  type Charge,
  loadChargeFile,
  openAnalytics,
  readChargeBatches,
} from "../src/billing/index.js";
import { Dec } from "../src/money/index.js";

/** Third-party bills kept beside the repository (CI has a copy of shared/ at ../shared). */
const DATA = resolve(import.meta.dirname, "../../shared/data");
const CORRECTIONS = join(DATA, "focus_spec_corrections");
const COMMITMENTS = join(DATA, "focus_spec_commitments");

async function readAll(analytics: Analytics): Promise<Charge[]> {
  const out: Charge[] = [];
  for await (const batch of readChargeBatches(analytics, { batchSize: 7 })) out.push(...batch);
  return out;
}

function sumBy(charges: readonly Charge[], key: (c: Charge) => string | null): Map<string | null, string> {
  const sums = new Map<string | null, InstanceType<typeof Dec>>();
  for (const c of charges) sums.set(key(c), (sums.get(key(c)) ?? new Dec(0)).plus(c.billedCost));
  return new Map([...sums].map(([k, v]) => [k, v.toString()]));
}

let analytics: Analytics;
beforeEach(async () => {
  analytics = await openAnalytics();
});
afterEach(() => analytics.close());

describe("FOCUS spec correction examples (closed billing period)", () => {
  it("loads all 23 rows of the 9 files", async () => {
    const files = readdirSync(CORRECTIONS).filter((f) => f.endsWith(".csv"));
    expect(files).toHaveLength(9);
    let loaded = 0;
    for (const f of files) {
      const r = await loadChargeFile(analytics, {
        path: join(CORRECTIONS, f),
        displayName: f,
        defaultCurrency: "USD",
      });
      expect(r.format).toBe("focus");
      loaded += r.loaded;
    }
    expect(loaded).toBe(23);
    const charges = await readAll(analytics);
    expect(charges).toHaveLength(23);
    // `(null)` is no value; `Correction` is kept.
    const s4 = charges.filter((c) => c.sourceRef.startsWith("closed_s4_bulk_cost_only_original.csv:"));
    expect(s4.map((c) => c.chargeClass)).toEqual(Array(6).fill(null));
    const s4Ledger = charges.find((c) => c.sourceRef === "closed_s4_bulk_cost_only_ledger.csv:2");
    expect(s4Ledger).toMatchObject({
      chargeClass: "Correction",
      chargeCategory: "Adjustment",
      billedCost: "0.002",
    });
    expect(s4Ledger?.skuId).toBeNull();
    expect(s4Ledger?.extensions).toEqual({
      x_ExportDateTime: "2025-07-05T00:00:00Z",
      x_IncurredDateTime: "2025-05-01T00:00:00Z",
    });
  });

  it.each([
    ["delta", "closed_s1_partial_reallocation_delta.csv"],
    ["ledger", "closed_s1_partial_reallocation_ledger.csv"],
  ])(
    "scenario 1 (%s style): 300.00 moves from R-111 to R-222, the total stays 1500",
    async (_style, correction) => {
      for (const f of ["closed_s1_partial_reallocation_original.csv", correction]) {
        await loadChargeFile(analytics, {
          path: join(CORRECTIONS, f),
          displayName: f,
          defaultCurrency: "USD",
        });
      }
      const charges = await readAll(analytics);
      const byResource = sumBy(charges, (c) => c.resourceId);
      expect(byResource.get("R-111")).toBe("1200");
      expect(byResource.get("R-222")).toBe("300");
      expect(sumBy(charges, () => "all").get("all")).toBe("1500");
      const original = charges.find((c) => c.sourceRef === "closed_s1_partial_reallocation_original.csv:2");
      expect(original).toMatchObject({
        chargeClass: null,
        billedCost: "1500",
        listCost: "2000",
        pricingQuantity: "1000",
        contractedUnitPrice: "1.5",
        chargePeriodStart: "2025-05-01T00:00:00Z",
        chargePeriodEnd: "2025-05-01T01:00:00Z",
        billingPeriodStart: "2025-05-01T00:00:00Z",
        invoiceId: "INV-20250501-20250601",
        billingCurrency: "USD",
        billingAccountId: "unknown",
      });
      expect(charges.filter((c) => c.chargeClass === "Correction").length).toBe(
        correction.includes("delta") ? 2 : 3,
      );
    },
  );
});

describe("FOCUS spec commitment examples", () => {
  it.each([
    ["commitment_discount_purchase_scenario_1.csv", 1],
    ["commitment_discount_usage_scenario_1.csv", 1],
    ["commitment_discount_usage_scenario_4.csv", 2],
    ["zero_percent_utilization_without_commitment_discount_flexibility.csv", 3],
  ])("%s loads %i rows", async (file, rows) => {
    const r = await loadChargeFile(analytics, {
      path: join(COMMITMENTS, file),
      displayName: file,
      defaultCurrency: "USD",
    });
    expect(r).toEqual({ format: "focus", loaded: rows, invalid: [] });
  });

  it("numbers lines past the blank lines between rows and reads `null` as no value", async () => {
    const file = "zero_percent_utilization_without_commitment_discount_flexibility.csv";
    await loadChargeFile(analytics, {
      path: join(COMMITMENTS, file),
      displayName: "z.csv",
      defaultCurrency: "USD",
    });
    const charges = await readAll(analytics);
    expect(charges.map((c) => c.sourceRef)).toEqual(["z.csv:2", "z.csv:4", "z.csv:6"]);
    const [purchase, unused, onDemand] = charges;
    expect(purchase).toMatchObject({
      chargeCategory: "Purchase",
      chargeFrequency: "Recurring",
      commitmentDiscountId: "<my-commitment-discount-id>",
      commitmentDiscountStatus: null,
      consumedQuantity: null,
      billedCost: "1.5",
      effectiveCost: "0",
      // `SkuPriceid` in the spec's file: FOCUS names match case-insensitively.
      skuPriceId: "VM_LARGE_COMMITTED_PURCHASE_NO_UPFRONT",
    });
    expect(purchase?.extensions).toEqual({ x_CommitmentDiscountUnitPrice: "1.50" });
    expect(unused).toMatchObject({
      commitmentDiscountStatus: "Unused",
      effectiveCost: "1.5",
      pricingCategory: "Committed",
    });
    expect(onDemand).toMatchObject({
      commitmentDiscountId: null,
      billedCost: "2",
      chargeFrequency: "Usage-Based",
    });
  });
});

describe("Azure EA cost details", () => {
  it("loads the actual-cost export: 11 rows, BOM, MM/DD/YYYY days", async () => {
    const r = await loadChargeFile(analytics, {
      path: join(DATA, "azure_ea_actualcost_small.csv"),
      displayName: "a.csv",
    });
    expect(r).toEqual({ format: "azure-ea", loaded: 11, invalid: [] });
    const [first, second] = await readAll(analytics);
    expect(first).toMatchObject({
      sourceRef: "a.csv:2",
      billingAccountId: "8611537",
      subAccountId: "1caaa5a3-2b66-438e-8ab4-bce37d518c5d",
      providerName: "Microsoft",
      billedCost: "3.25",
      chargePeriodStart: "2023-09-21T00:00:00Z",
      chargePeriodEnd: "2023-09-22T00:00:00Z",
      billingPeriodStart: "2023-09-01T00:00:00Z",
      billingPeriodEnd: "2023-10-01T00:00:00Z",
      chargeCategory: "Purchase",
      chargeClass: null,
      chargeFrequency: "Recurring",
      serviceName: "Virtual Machines",
      regionId: "uksouth",
      regionName: "UK South",
      commitmentDiscountType: "Reservation",
      billingCurrency: "USD",
    });
    expect(first?.extensions).toMatchObject({ ChargeType: "Purchase", x_ServiceCode: "Microsoft.Capacity" });
    expect(second).toMatchObject({ billedCost: "0.00004", pricingQuantity: "0.0004", regionId: "eastus2" });
    expect(second?.tags).toMatchObject({ CostCenter: "1234", env: "prod", application: "databricks" });
  });

  it("loads the amortized-cost export: 28 rows", async () => {
    const r = await loadChargeFile(analytics, {
      path: join(DATA, "azure_ea_amortizedcost_small.csv"),
      displayName: "m.csv",
    });
    expect(r.loaded).toBe(28);
    const charges = await readAll(analytics);
    expect(charges[1]).toMatchObject({
      sourceRef: "m.csv:3",
      billedCost: "0.006000000468",
      chargePeriodStart: "2023-09-03T00:00:00Z",
      pricingCategory: "Committed",
      commitmentDiscountType: "Savings Plan",
      commitmentDiscountStatus: "Used",
    });
  });

  it("reads ChargeType Refund as a correction", async () => {
    // The shared exports hold no refund: derive one from the first row of the actual-cost file.
    const { readFileSync, writeFileSync, mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const lines = readFileSync(join(DATA, "azure_ea_actualcost_small.csv"), "utf8").split(/\r?\n/);
    const refund = (lines[1] as string)
      .replace(",3.25,3.25,3.25,", ",3.25,-3.25,3.25,")
      .replace(",Purchase,", ",Refund,");
    const path = join(mkdtempSync(join(tmpdir(), "rd-azure-")), "refund.csv");
    writeFileSync(path, `${lines[0]}\n${refund}\n`);
    await loadChargeFile(analytics, { path, displayName: "refund.csv" });
    const [row] = await readAll(analytics);
    expect(row).toMatchObject({ chargeClass: "Correction", chargeCategory: "Purchase", billedCost: "-3.25" });
  });
});

describe("GCP billing export", () => {
  it("loads 25 lines plus one Credit row per credit (8), each right after its charge", async () => {
    const r = await loadChargeFile(analytics, {
      path: join(DATA, "gcp_billing_export_202011_promo_credits.csv"),
      displayName: "gcp.csv",
    });
    expect(r).toEqual({ format: "gcp-export", loaded: 33, invalid: [] });
    const charges = await readAll(analytics);
    expect(charges).toHaveLength(33);
    expect(new Set(charges.map((c) => c.sourceRef)).size).toBe(25);
    const credits = charges.filter((c) => c.chargeCategory === "Credit");
    expect(credits).toHaveLength(8);
    const [charge, credit] = charges;
    expect(charge).toMatchObject({
      sourceRef: "gcp.csv:2",
      chargeCategory: "Usage",
      billingAccountId: "000000-B0BBA4-940A77",
      subAccountId: "billing-example-00000",
      serviceName: "Security Command Center",
      skuId: "D5A4-0C3E-4DA4",
      billedCost: "0.000005",
      chargePeriodStart: "2020-11-09T23:00:00Z",
      chargePeriodEnd: "2020-11-10T00:00:00Z",
      billingPeriodStart: "2020-11-01T00:00:00Z",
      billingPeriodEnd: "2020-12-01T00:00:00Z",
      consumedQuantity: "24909",
      // 2.3198314011096954e-05 has 22 decimal places: rounded to the table's 18.
      pricingQuantity: "0.000023198314011097",
      pricingUnit: "gibibyte",
    });
    expect(credit).toMatchObject({
      sourceRef: "gcp.csv:2",
      chargeCategory: "Credit",
      billedCost: "-0.000005",
      chargeDescription: "FreeTrial:Credit-000000-B0BBA4-940A77",
      skuId: "D5A4-0C3E-4DA4",
      chargePeriodStart: "2020-11-09T23:00:00Z",
      billingCurrency: "USD",
    });
    expect(credit?.extensions).toMatchObject({ x_CreditType: "PROMOTION", x_ServiceCode: "FBF2-FC68-171A" });
    const lastCredit = credits.at(-1);
    expect(lastCredit).toMatchObject({ sourceRef: "gcp.csv:26", billedCost: "-0.000001" });
    const labelled = charges.find((c) => c.sourceRef === "gcp.csv:5");
    expect(labelled?.tags).toEqual({ "goog-resource-type": "bigquery_resource" });
  });
});

describe("AWS CUR (legacy layout)", () => {
  it("loads 19 rows; rows one field short of the header read the last column as absent", async () => {
    const r = await loadChargeFile(analytics, {
      path: join(DATA, "aws_cur_legacy_synthetic.csv"),
      displayName: "cur.csv",
    });
    expect(r).toEqual({ format: "aws-cur", loaded: 19, invalid: [] });
    const charges = await readAll(analytics);
    expect(charges[0]).toMatchObject({
      sourceRef: "cur.csv:2",
      billedCost: "0.00165303109242778",
      pricingQuantity: "0.01001837025713806",
      contractedUnitPrice: "0.165",
      chargePeriodStart: "2018-06-18T01:00:00Z",
      chargePeriodEnd: "2018-06-18T02:00:00Z",
      billingPeriodStart: "2018-06-01T00:00:00Z",
      billingPeriodEnd: "2018-07-01T00:00:00Z",
      billingAccountId: "6838635603105",
      subAccountId: "6838635603105",
      providerName: "AWS",
      serviceName: "Amazon Elastic Compute Cloud",
      resourceId: "i-16847552",
      regionName: "US East (N. Virginia)",
      chargeCategory: "Usage",
      chargeFrequency: "Usage-Based",
      pricingCategory: "Standard",
      pricingUnit: "GB",
      billingCurrency: "USD",
    });
    expect(charges[0]?.extensions).toMatchObject({
      x_ServiceCode: "AmazonEC2",
      "lineItem/LineItemType": "Usage",
    });
    // 0.0061215770588837586 has 19 decimal places: rounded half up to 18.
    expect(charges[4]?.billedCost).toBe("0.006121577058883759");
  });
});
