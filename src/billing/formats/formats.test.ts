import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Analytics, openAnalytics } from "../analytics.js";
import type { Charge } from "../charge.js";
import { detectBillFormat } from "../detect-format.js";
import { loadChargeFile } from "../load-charges.js";
import { readChargeBatches } from "../read-charge-rows.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures");
const DATA = resolve(import.meta.dirname, "../../../../shared/data");
const dir = mkdtempSync(join(tmpdir(), "rd-formats-"));
let fileCounter = 0;
function write(content: string): string {
  const path = join(dir, `f${++fileCounter}.csv`);
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

describe("detectBillFormat", () => {
  it("tells the layouts apart by their columns", async () => {
    const { readFileSync } = await import("node:fs");
    const header = (path: string) =>
      (
        readFileSync(path, "utf8")
          .replace(/^\uFEFF/, "")
          .split(/\r?\n/)[0] as string
      ).split(",");
    expect(detectBillFormat(header(join(DATA, "azure_ea_actualcost_small.csv")))).toBe("azure-ea");
    expect(detectBillFormat(header(join(DATA, "aws_cur_legacy_synthetic.csv")))).toBe("aws-cur");
    expect(detectBillFormat(header(join(DATA, "gcp_billing_export_202011_promo_credits.csv")))).toBe(
      "gcp-export",
    );
    expect(detectBillFormat(header(join(FIXTURES, "alibaba_bill_details_2025-05.csv")))).toBe("alibaba");
    expect(
      detectBillFormat(header(join(DATA, "focus_spec_corrections/closed_s1_partial_reallocation_delta.csv"))),
    ).toBe("focus");
    expect(detectBillFormat(["billedcost"])).toBe("focus");
    expect(detectBillFormat(["ServiceProviderName", "x_Other"])).toBe("focus");
    // Azure shares BillingAccountId, ResourceId, Tags… with FOCUS: those alone are not FOCUS.
    expect(detectBillFormat(["BillingAccountId", "ResourceId", "Tags", "BillingCurrency"])).toBeNull();
    expect(detectBillFormat(["a", "b"])).toBeNull();
    expect(detectBillFormat([])).toBeNull();
  });
});

describe("Alibaba Cloud bill details", () => {
  it("maps the fixture: refunds are corrections, coupons an extension, times UTC+8", async () => {
    const result = await loadChargeFile(analytics, {
      path: join(FIXTURES, "alibaba_bill_details_2025-05.csv"),
      displayName: "ali.csv",
    });
    expect(result).toEqual({ format: "alibaba", loaded: 7, invalid: [] });
    const charges = await readAll(analytics);
    const [ecs, couponEcs, oss, rds, refund, slb, cdn] = charges as Charge[] as [
      Charge,
      Charge,
      Charge,
      Charge,
      Charge,
      Charge,
      Charge,
    ];
    expect(ecs).toMatchObject({
      sourceRef: "ali.csv:2",
      billingAccountId: "5231409876543210",
      subAccountId: "5231409876543210",
      providerName: "Alibaba Cloud",
      serviceName: "Elastic Compute Service",
      resourceId: "i-bp1f2k3j4h5g6d7s8a9q",
      regionId: "cn-hangzhou",
      chargeCategory: "Usage",
      chargeFrequency: "Usage-Based",
      chargeClass: null,
      chargePeriodStart: "2025-04-30T16:00:00Z",
      chargePeriodEnd: "2025-04-30T17:00:00Z",
      billingPeriodStart: "2025-04-30T16:00:00Z",
      billingPeriodEnd: "2025-05-31T16:00:00Z",
      billedCost: "0.624",
      listCost: "0.624",
      billingCurrency: "CNY",
    });
    expect(ecs.extensions).toMatchObject({
      x_ServiceCode: "ecs",
      ProductCode: "ecs",
      x_DeductedByCoupons: "0.000",
    });
    expect(couponEcs.extensions).toMatchObject({ x_DeductedByCoupons: "0.624", PaymentAmount: "0.000" });
    expect(oss).toMatchObject({ subAccountId: "1793015620487712", billedCost: "1.66", listCost: "1.845" });
    expect(rds).toMatchObject({
      chargeCategory: "Purchase",
      chargeFrequency: "Recurring",
      billedCost: "1224",
    });
    expect(refund).toMatchObject({
      chargeClass: "Correction",
      chargeCategory: "Purchase",
      chargeDescription: "Refund",
      billedCost: "-473.8",
      resourceId: rds.resourceId,
      chargePeriodStart: "2025-05-19T16:00:00Z",
    });
    expect(slb.serviceName).toBe("Server Load Balancer, Classic");
    expect(cdn).toMatchObject({ regionId: null, chargePeriodEnd: "2025-05-31T16:00:00Z" });
  });

  it("honours an explicit offset and rejects an unknown SubscriptionType", async () => {
    const header =
      "BillingCycle,AccountID,OwnerID,SubscriptionType,ProductCode,ProductName,Item,InstanceID,Region,UsageStartTime,UsageEndTime,PretaxGrossAmount,InvoiceDiscount,DeductedByCoupons,PretaxAmount,PaymentAmount,Currency";
    const ok = write(
      `${header}\n2025-05,1,1,payasyougo,ecs,ECS,PayAsYouGoBill,i-1,cn-hangzhou,2025-05-01T00:00:00Z,2025-05-01T01:00:00+00:00,1,0,0,1,1,CNY\n`,
    );
    await loadChargeFile(analytics, { path: ok, displayName: "ok.csv" });
    expect((await readAll(analytics))[0]).toMatchObject({
      chargePeriodStart: "2025-05-01T00:00:00Z",
      chargeCategory: "Usage",
    });
    const bad = write(
      `${header}\n2025-05,1,1,Prepaid,ecs,ECS,x,i-1,cn-hangzhou,2025-05-01 00:00:00,2025-05-01 01:00:00,1,0,0,1,1,CNY\n`,
    );
    await expect(loadChargeFile(analytics, { path: bad, displayName: "bad.csv" })).rejects.toMatchObject({
      message: 'bad.csv:2: column SubscriptionType: expected Subscription or PayAsYouGo, found "Prepaid"',
    });
  });
});

describe("AWS CUR line item types", () => {
  it("Refund is a correction; unknown types are refused", async () => {
    const header =
      "identity/LineItemId,identity/TimeInterval,bill/PayerAccountId,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/ProductCode,lineItem/ResourceId,lineItem/UsageAmount,lineItem/CurrencyCode,lineItem/UnblendedRate,lineItem/UnblendedCost,product/ProductName,product/region,resourceTags/user:team";
    const path = write(
      `${header}\n` +
        "a,2025-05-01T00:00:00Z/2025-05-01T01:00:00Z,111,222,Usage,AmazonEC2,i-1,1,USD,0.5,0.5,Amazon Elastic Compute Cloud,us-east-1,web\n" +
        "b,2025-05-01T00:00:00Z/2025-05-01T01:00:00Z,111,222,Refund,AmazonEC2,i-1,,USD,,-0.5,Amazon Elastic Compute Cloud,us-east-1,\n" +
        "c,2025-05-01T00:00:00Z/2025-06-01T00:00:00Z,111,222,RIFee,AmazonEC2,,720,USD,0.1,72,Amazon Elastic Compute Cloud,us-east-1,\n",
    );
    await loadChargeFile(analytics, { path, displayName: "cur.csv" });
    const [usage, refund, fee] = await readAll(analytics);
    expect(usage).toMatchObject({ regionId: "us-east-1", tags: { "user:team": "web" }, chargeClass: null });
    expect(refund).toMatchObject({
      chargeCategory: "Credit",
      chargeClass: "Correction",
      billedCost: "-0.5",
      tags: null,
    });
    expect(fee).toMatchObject({
      chargeCategory: "Purchase",
      chargeFrequency: "Recurring",
      chargePeriodEnd: "2025-06-01T00:00:00Z",
    });
    const bad = write(
      `${header}\nd,2025-05-01T00:00:00Z/2025-05-01T01:00:00Z,111,222,Mystery,AmazonEC2,i-1,1,USD,1,1,EC2,us-east-1,\n`,
    );
    await expect(loadChargeFile(analytics, { path: bad, displayName: "bad.csv" })).rejects.toMatchObject({
      extensions: { line: 2, column: "lineItem/LineItemType", found: '"Mystery"' },
    });
    const interval = write(
      `${header}\nd,2025-05-01T00:00:00Z,111,222,Usage,AmazonEC2,i-1,1,USD,1,1,EC2,us-east-1,\n`,
    );
    await expect(loadChargeFile(analytics, { path: interval, displayName: "i.csv" })).rejects.toMatchObject({
      extensions: { line: 2, column: "identity/TimeInterval" },
    });
  });
});

describe("GCP credits", () => {
  const header =
    "billing_account_id,service.id,service.description,sku.id,usage_start_time,usage_end_time,cost,currency,credits,labels";
  const row = (credits: string, labels = "[]") =>
    `acct,svc,Compute Engine,sku-1,2025-05-01 00:00:00+00:00,2025-05-01 01:00:00+00:00,2.5,USD,"${credits.replaceAll('"', '""')}","${labels.replaceAll('"', '""')}"`;

  it("emits one row per credit, in order, reading Python-repr and JSON lists", async () => {
    const path = write(
      `${header}\n${row(
        "[{'name': \"Bob's promo\", 'amount': -1.25, 'full_name': None, 'id': 'p-1', 'type': 'PROMOTION'}, {'name': 'Sustained use', 'amount': -0.5, 'full_name': 'SUD', 'id': 'sud-1', 'type': 'SUSTAINED_USAGE_DISCOUNT'}]",
        "[{'key': 'team', 'value': 'web'}]",
      )}\n${row('[{"name": "json style", "amount": -2e-2, "full_name": null, "id": "j", "type": "COMMITTED_USAGE_DISCOUNT"}]')}\n`,
    );
    expect((await loadChargeFile(analytics, { path, displayName: "g.csv" })).loaded).toBe(5);
    const charges = await readAll(analytics);
    expect(charges.map((c) => [c.sourceRef, c.chargeCategory, c.billedCost, c.chargeDescription])).toEqual([
      ["g.csv:2", "Usage", "2.5", null],
      ["g.csv:2", "Credit", "-1.25", "Bob's promo"],
      ["g.csv:2", "Credit", "-0.5", "Sustained use"],
      ["g.csv:3", "Usage", "2.5", null],
      ["g.csv:3", "Credit", "-0.02", "json style"],
    ]);
    expect(charges[0]?.tags).toEqual({ team: "web" });
    expect(charges[1]?.extensions).toEqual({
      x_ServiceCode: "svc",
      x_CreditType: "PROMOTION",
      x_CreditId: "p-1",
      x_PromotionId: "p-1",
    });
    expect(charges[2]?.extensions).toMatchObject({
      x_CreditFullName: "SUD",
      x_CreditType: "SUSTAINED_USAGE_DISCOUNT",
    });
  });

  it("in collect mode, leaves out a bad line together with its credits", async () => {
    const path = write(
      `${header}\n${row("[{'name': 'a', 'amount': -1, 'type': 'PROMOTION'}]")}\n${row("[{'name': 'b', 'amount': -1, 'type': 'PROMOTION'}]").replace(",2.5,", ",oops,")}\n${row("[{'name': 'c', 'amount': -2, 'type': 'PROMOTION'}]")}\n`,
    );
    const result = await loadChargeFile(analytics, { path, displayName: "g.csv", onInvalid: "collect" });
    expect(result.loaded).toBe(4);
    expect(result.invalid).toEqual([
      { file: "g.csv", line: 3, column: "cost", expected: "a decimal number", found: '"oops"' },
    ]);
    const charges = await readAll(analytics);
    expect(charges.map((c) => [c.sourceRef, c.billedCost])).toEqual([
      ["g.csv:2", "2.5"],
      ["g.csv:2", "-1"],
      ["g.csv:4", "2.5"],
      ["g.csv:4", "-2"],
    ]);
  });

  it("refuses a credits value it cannot read", async () => {
    const path = write(`${header}\n${row("[]")}\n${row("[{'name': 'x', 'amount': lots}]")}\n`);
    await expect(loadChargeFile(analytics, { path, displayName: "g.csv" })).rejects.toMatchObject({
      extensions: { line: 3, column: "credits" },
    });
  });
});

describe("native files with only their required columns", () => {
  it.each([
    [
      "alibaba",
      "BillingCycle,SubscriptionType,UsageStartTime,UsageEndTime,PretaxAmount\n,PayAsYouGo,2025-05-01 08:00:00,2025-05-01 09:00:00,1.25\n",
    ],
    ["azure-ea", "MeterId,MeterCategory,Cost,Date\nm-1,Storage,1.25,05/01/2025\n"],
    [
      "aws-cur",
      "identity/TimeInterval,lineItem/LineItemType,lineItem/UnblendedCost\n2025-05-01T00:00:00Z/2025-05-01T01:00:00Z,Usage,1.25\n",
    ],
    [
      "gcp-export",
      "usage_start_time,usage_end_time,cost\n2025-05-01 00:00:00+00:00,2025-05-01 01:00:00+00:00,1.25\n",
    ],
  ] as const)("%s", async (format, content) => {
    await expect(
      loadChargeFile(analytics, { path: write(content), displayName: "n.csv" }),
    ).rejects.toMatchObject({
      extensions: { line: 1, found: "neither" },
    });
    const result = await loadChargeFile(analytics, {
      path: write(content),
      displayName: "n.csv",
      defaultCurrency: "EUR",
      defaultBillingAccountId: "acct-0",
    });
    expect(result).toEqual({ format, loaded: 1, invalid: [] });
    const [charge] = await readAll(analytics);
    expect(charge).toMatchObject({
      sourceRef: "n.csv:2",
      billingAccountId: "acct-0",
      billedCost: "1.25",
      billingCurrency: "EUR",
      chargePeriodStart: "2025-05-01T00:00:00Z",
      chargeClass: null,
    });
  });
});
