/**
 * runAudit on small hand-built bills and evidence, one situation at a time. Every expected amount is
 * worked out by hand in a comment next to it, from docs/audit-rules.md, never by calling the code
 * under test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditReport, Finding } from "../src/audit/finding.js";
import { loadAuditInputs } from "../src/audit/load-inputs.js";
import { runAudit } from "../src/audit/run-audit.js";
import { openAnalytics } from "../src/billing/index.js";
import { DEFAULT_POLICY } from "../src/policy/default-policy.js";
import type { Policy } from "../src/policy/policy.js";

// The SLA figures and windows the arithmetic below relies on, fixed here so that edits to the
// shipped policy data do not silently change these hand-computed amounts.
const POLICY: Policy = {
  ...DEFAULT_POLICY,
  version: "test",
  sla: [
    {
      clauseId: "sla-aws-ec2-region",
      providerName: "AWS",
      serviceName: "Amazon Elastic Compute Cloud",
      serviceCodes: ["AmazonEC2"],
      scope: "test",
      thresholdPercent: "99.99",
      tiers: [
        { below: "99.99", creditPercent: "10" },
        { below: "99.0", creditPercent: "30" },
        { below: "95.0", creditPercent: "100" },
      ],
      maxCreditPercent: "100",
      sourceUrl: "https://aws.amazon.com/compute/sla/",
      confirmed: true,
    },
    {
      clauseId: "sla-aws-s3",
      providerName: "AWS",
      serviceName: "Amazon Simple Storage Service",
      serviceCodes: ["AmazonS3"],
      scope: "test",
      thresholdPercent: "99.9",
      tiers: [
        { below: "99.9", creditPercent: "10" },
        { below: "99.0", creditPercent: "25" },
        { below: "95.0", creditPercent: "100" },
      ],
      maxCreditPercent: "100",
      sourceUrl: "https://aws.amazon.com/s3/sla/",
      confirmed: true,
    },
  ],
  claimWindows: {
    defaultMonthsAfterCharge: 12,
    slaBillingCyclesAfterIncident: 2,
    prepaidDaysAfterTermEnd: 90,
  },
  prepaid: { refundablePercent: "100" },
  tolerances: { minimumAmount: "0.01" },
};

const COLUMNS = [
  "BillingAccountId",
  "SubAccountId",
  "ProviderName",
  "ServiceName",
  "RegionId",
  "ResourceId",
  "SkuId",
  "ChargeCategory",
  "ChargeClass",
  "ChargeFrequency",
  "ChargeDescription",
  "ChargePeriodStart",
  "ChargePeriodEnd",
  "PricingCategory",
  "PricingQuantity",
  "PricingUnit",
  "ListCost",
  "ContractedUnitPrice",
  "BilledCost",
  "EffectiveCost",
  "BillingCurrency",
  "CommitmentDiscountId",
  "CommitmentDiscountStatus",
  "x_PromotionId",
] as const;
type Row = Partial<Record<(typeof COLUMNS)[number], string>>;

const EC2 = { ProviderName: "AWS", ServiceName: "Amazon Elastic Compute Cloud", RegionId: "us-east-1" };
const S3 = { ProviderName: "AWS", ServiceName: "Amazon Simple Storage Service", RegionId: "us-west-2" };
const CLOUDFRONT = { ProviderName: "AWS", ServiceName: "Amazon CloudFront", RegionId: "global" };

/** A claimable usage row of account acct-a in USD, unless the fields say otherwise. */
function row(fields: Row): Row {
  return {
    BillingAccountId: "payer-1",
    SubAccountId: "acct-a",
    ChargeCategory: "Usage",
    ChargeFrequency: "Usage-Based",
    BillingCurrency: "USD",
    ...fields,
  };
}

/** A day of an EC2 instance: 24 hours at 0.096 USD an hour = 2.304 USD. */
function ec2Day(resourceId: string, day: string, fields: Row = {}): Row {
  return row({
    ...EC2,
    ResourceId: resourceId,
    SkuId: "SKU-M5",
    ChargePeriodStart: `${day}T00:00:00Z`,
    ChargePeriodEnd: `${nextDay(day)}T00:00:00Z`,
    PricingQuantity: "24",
    PricingUnit: "Hours",
    BilledCost: "2.304",
    ...fields,
  });
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function csv(rows: readonly Row[]): string {
  const field = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  return `${[COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => field(r[c] ?? "")).join(","))].join("\n")}\n`;
}

const jsonl = (records: readonly object[]) => records.map((r) => `${JSON.stringify(r)}\n`).join("");

interface Fixture {
  charges: Row[];
  usage?: object[];
  subscriptions?: object[];
  incidents?: object[];
  promotions?: object[];
  asOf?: string;
  policy?: Policy;
}

const root = mkdtempSync(join(tmpdir(), "refund-desk-audit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let fixtureCount = 0;

async function audit(fixture: Fixture): Promise<AuditReport> {
  const dir = join(root, `f${++fixtureCount}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "bill.csv"), csv(fixture.charges));
  const evidence: Record<string, { path: string; displayName: string }[]> = {};
  for (const kind of ["usage", "subscriptions", "incidents", "promotions"] as const) {
    const records = fixture[kind];
    if (records === undefined) continue;
    writeFileSync(join(dir, `${kind}.jsonl`), jsonl(records));
    evidence[kind] = [{ path: join(dir, `${kind}.jsonl`), displayName: `${kind}.jsonl` }];
  }
  const analytics = await openAnalytics();
  try {
    await loadAuditInputs(analytics, {
      charges: [{ path: join(dir, "bill.csv"), displayName: "bill.csv" }],
      ...evidence,
    });
    return await runAudit(analytics, {
      policy: fixture.policy ?? POLICY,
      asOf: fixture.asOf ?? "2026-06-15",
    });
  } finally {
    analytics.close();
  }
}

/** Line of the n-th row (0-based) of `charges`: the header is line 1. */
const ref = (n: number) => `bill.csv:${n + 2}`;

function only(report: AuditReport, kind: Finding["kind"]): Finding[] {
  return report.findings.filter((f) => f.kind === kind);
}

function brief(f: Finding) {
  return { kind: f.kind, charges: f.charges, amount: f.amount, currency: f.currency, claimable: f.claimable };
}

describe("runAudit › duplicate_charge", () => {
  it("claims every copy after the first, and nothing for charges that merely look alike", async () => {
    const hour = { ChargePeriodStart: "2026-05-03T10:00:00Z", ChargePeriodEnd: "2026-05-03T11:00:00Z" };
    const requests = row({
      ...S3,
      ResourceId: "bucket-1",
      SkuId: "SKU-REQ",
      ChargePeriodStart: "2026-05-03T00:00:00Z",
      ChargePeriodEnd: "2026-05-04T00:00:00Z",
      PricingQuantity: "2469.134",
      PricingUnit: "10K Requests",
      BilledCost: "1.234567",
    });
    const instance = row({
      ...EC2,
      ResourceId: "i-1",
      SkuId: "SKU-M5",
      ...hour,
      PricingQuantity: "1",
      PricingUnit: "Hours",
      BilledCost: "0.096",
    });
    const report = await audit({
      charges: [
        instance,
        instance,
        requests,
        requests,
        requests,
        // Same as `instance` but another billed cost: not a copy.
        { ...instance, BilledCost: "0.097" },
        // A copy in another sub-account: not a copy.
        { ...instance, SubAccountId: "acct-b" },
      ],
    });
    expect(report.findings.map(brief)).toEqual([
      // 0.096 × (2 − 1) = 0.096 → 0.10
      {
        kind: "duplicate_charge",
        charges: [ref(0), ref(1)],
        amount: "0.10",
        currency: "USD",
        claimable: true,
      },
      // 1.234567 × (3 − 1) = 2.469134 → 2.47
      {
        kind: "duplicate_charge",
        charges: [ref(2), ref(3), ref(4)],
        amount: "2.47",
        currency: "USD",
        claimable: true,
      },
    ]);
    expect(report.summary).toEqual({ charges: 7, findings: 2, refundable: { USD: "2.57" } });
    const [first] = report.findings;
    expect(first!.accountId).toBe("acct-a");
    expect(first!.outcome).toBe("refund_original_method");
    expect(first!.clauses).toEqual(["duplicate-charge"]);
    expect(first!.explanation).toContain("2026-05-03 (UTC)");
    expect(first!.explanation).toContain("10:00 UTC");
  });

  it("reports no duplicate the provider has already reversed, and a reduced one when it reversed part", async () => {
    const day = ec2Day("i-2", "2026-05-03");
    const full = await audit({
      charges: [
        day,
        day,
        ec2Day("i-2", "2026-05-03", {
          ChargeClass: "Correction",
          PricingQuantity: "-24",
          BilledCost: "-2.304",
        }),
      ],
    });
    // 2.304 × 1 − 2.304 = 0: no finding.
    expect(full.findings).toEqual([]);
    expect(full.summary).toEqual({ charges: 3, findings: 0, refundable: {} });

    const part = await audit({
      charges: [
        day,
        day,
        ec2Day("i-2", "2026-05-03", {
          ChargeClass: "Correction",
          PricingQuantity: "-10",
          BilledCost: "-0.96",
        }),
      ],
    });
    // 2.304 − 0.96 = 1.344 → 1.34
    expect(part.findings.map(brief)).toEqual([
      {
        kind: "duplicate_charge",
        charges: [ref(0), ref(1)],
        amount: "1.34",
        currency: "USD",
        claimable: true,
      },
    ]);
    expect(part.findings[0]!.evidence).toContainEqual({ type: "correction", ref: ref(2), amount: "-0.96" });
    expect(part.findings[0]!.details.figures.correctionsApplied).toBe("0.96");
  });

  it("rounds each currency to its own minor unit: JPY to whole yen, USD to cents", async () => {
    const yen = row({
      ...EC2,
      ResourceId: "i-jp",
      SkuId: "SKU-JP",
      ChargePeriodStart: "2026-05-03T00:00:00Z",
      ChargePeriodEnd: "2026-05-04T00:00:00Z",
      BilledCost: "1234.5",
      BillingCurrency: "JPY",
    });
    const usd = ec2Day("i-us", "2026-05-03", { BilledCost: "0.125" });
    const report = await audit({ charges: [yen, usd, yen, usd] });
    expect(report.findings.map(brief)).toEqual([
      // 1234.5 JPY × 1 → 1235 (half away from zero, 0 decimals)
      {
        kind: "duplicate_charge",
        charges: [ref(0), ref(2)],
        amount: "1235",
        currency: "JPY",
        claimable: true,
      },
      // 0.125 USD × 1 → 0.13
      {
        kind: "duplicate_charge",
        charges: [ref(1), ref(3)],
        amount: "0.13",
        currency: "USD",
        claimable: true,
      },
    ]);
    expect(report.summary.refundable).toEqual({ JPY: "1235", USD: "0.13" });
  });

  it("lists a finding past its claim window as not claimable and leaves it out of the summary", async () => {
    const old = ec2Day("i-old", "2024-01-02");
    const report = await audit({ charges: [old, old], asOf: "2026-06-15" });
    // Charge period ends 2024-01-03; 12 months later is 2025-01-03, before 2026-06-15.
    expect(report.findings.map(brief)).toEqual([
      {
        kind: "duplicate_charge",
        charges: [ref(0), ref(1)],
        amount: "2.30",
        currency: "USD",
        claimable: false,
      },
    ]);
    expect(report.findings[0]!.details.claimBy).toBe("2025-01-03");
    expect(report.summary).toEqual({ charges: 2, findings: 1, refundable: {} });
    expect(report.findings[0]!.explanation).toContain("closed on 2025-01-03");
  });
});

describe("runAudit › billed_beyond_usage", () => {
  it("clips usage to the charge period, counts overlaps once and rounds run time up to whole hours", async () => {
    const report = await audit({
      charges: [ec2Day("i-3", "2026-05-03")],
      usage: [
        // Crosses the start of the day: 00:00–03:30 counts (3 h 30 min).
        { resourceId: "i-3", start: "2026-05-02T22:00:00Z", end: "2026-05-03T03:30:00Z" },
        // 05:00–09:12 (4 h 12 min), with an overlapping record inside it that adds nothing.
        { resourceId: "i-3", start: "2026-05-03T05:00:00Z", end: "2026-05-03T09:12:00Z" },
        { resourceId: "i-3", start: "2026-05-03T08:00:00Z", end: "2026-05-03T09:00:00Z" },
        // Crosses the end of the day: 23:10–24:00 counts (50 min).
        { resourceId: "i-3", start: "2026-05-03T23:10:00Z", end: "2026-05-04T02:00:00Z" },
      ],
    });
    // Run time 3:30 + 4:12 + 0:50 = 8 h 32 min → 9 hours; (24 − 9) × 2.304 / 24 = 1.44
    expect(report.findings.map(brief)).toEqual([
      { kind: "billed_beyond_usage", charges: [ref(0)], amount: "1.44", currency: "USD", claimable: true },
    ]);
    const f = report.findings[0]!;
    expect(f.details.figures).toMatchObject({ billedQuantity: "24", actualQuantity: "9" });
    expect(f.evidence.filter((e) => e.type === "usage")).toHaveLength(4);
    expect(f.explanation).toContain("9 hours when rounded up to whole hours");
    expect(f.explanation).toContain("The 15 hours not used cost 1.44 USD.");
  });

  it("claims an hour billed after the instance stopped, and nothing for hours it ran", async () => {
    const hour = (h: number) =>
      row({
        ...EC2,
        ResourceId: "i-4",
        SkuId: "SKU-M5",
        ChargePeriodStart: `2026-05-03T${String(h).padStart(2, "0")}:00:00Z`,
        ChargePeriodEnd: `2026-05-03T${String(h + 1).padStart(2, "0")}:00:00Z`,
        PricingQuantity: "1",
        PricingUnit: "Hours",
        BilledCost: "0.096",
      });
    const report = await audit({
      charges: [hour(8), hour(9), hour(10)],
      // Ran 08:10–09:44: the 09:00 hour is partly used (rounded up to 1), the 10:00 hour not at all.
      usage: [{ resourceId: "i-4", start: "2026-05-03T08:10:00Z", end: "2026-05-03T09:44:00Z" }],
    });
    // 10:00 hour: (1 − 0) × 0.096 / 1 = 0.096 → 0.10
    expect(report.findings.map(brief)).toEqual([
      { kind: "billed_beyond_usage", charges: [ref(2)], amount: "0.10", currency: "USD", claimable: true },
    ]);
  });

  it("compares metered quantities in the pricing unit, for records starting in the period", async () => {
    const transfer = row({
      ...S3,
      ResourceId: "bucket-logs",
      SkuId: "SKU-DT",
      ChargePeriodStart: "2026-05-03T00:00:00Z",
      ChargePeriodEnd: "2026-05-04T00:00:00Z",
      PricingQuantity: "120",
      PricingUnit: "GB",
      BilledCost: "10.80",
    });
    const report = await audit({
      charges: [transfer, { ...transfer, ResourceId: "bucket-uncovered" }],
      usage: [
        {
          resourceId: "bucket-logs",
          start: "2026-05-03T01:00:00Z",
          end: "2026-05-03T02:00:00Z",
          quantity: "30",
          unit: "GB",
        },
        {
          resourceId: "bucket-logs",
          start: "2026-05-03T13:00:00Z",
          end: "2026-05-03T14:00:00Z",
          quantity: "45.5",
          unit: "gb",
        },
        // Another unit, and a record starting the next day: neither counts.
        {
          resourceId: "bucket-logs",
          start: "2026-05-03T15:00:00Z",
          end: "2026-05-03T16:00:00Z",
          quantity: "5",
          unit: "Requests",
        },
        {
          resourceId: "bucket-logs",
          start: "2026-05-04T00:00:00Z",
          end: "2026-05-04T01:00:00Z",
          quantity: "40",
          unit: "GB",
        },
      ],
    });
    // actual = 30 + 45.5 = 75.5 GB; (120 − 75.5) × 10.80 / 120 = 4.005 → 4.01 (half up)
    expect(report.findings.map(brief)).toEqual([
      { kind: "billed_beyond_usage", charges: [ref(0)], amount: "4.01", currency: "USD", claimable: true },
    ]);
    expect(report.findings[0]!.details.figures.actualQuantity).toBe("75.5");
  });
});

describe("runAudit › charged_after_cancellation", () => {
  it("refunds renewals after a cancellation, at the cancellation instant, and with auto-renew off", async () => {
    const workspace = (id: string, start: string, end: string, cost: string) =>
      row({
        ProviderName: "AWS",
        ServiceName: "Amazon WorkSpaces",
        RegionId: "eu-west-1",
        ResourceId: id,
        SkuId: "SKU-WS",
        ChargeCategory: "Purchase",
        ChargeFrequency: "Recurring",
        ChargePeriodStart: start,
        ChargePeriodEnd: end,
        BilledCost: cost,
      });
    const report = await audit({
      charges: [
        workspace("ws-1", "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z", "35.00"),
        workspace("ws-2", "2026-04-15T00:00:00Z", "2026-05-15T00:00:00Z", "25.00"),
        workspace("ws-2", "2026-05-15T00:00:00Z", "2026-06-15T00:00:00Z", "25.00"),
        row({
          ProviderName: "AWS",
          ServiceName: "AWS Support (Business)",
          SkuId: "SKU-SUP",
          ChargeCategory: "Purchase",
          ChargeFrequency: "Recurring",
          ChargePeriodStart: "2026-05-01T00:00:00Z",
          ChargePeriodEnd: "2026-06-01T00:00:00Z",
          BilledCost: "100.00",
        }),
      ],
      subscriptions: [
        {
          subscriptionId: "sub-1",
          accountId: "acct-a",
          resourceId: "ws-1",
          serviceName: "Amazon WorkSpaces",
          term: "P1M",
          startedAt: "2025-11-01T00:00:00Z",
          renewsAt: "2026-05-01T00:00:00Z",
          autoRenew: true,
          cancelledAt: "2026-04-20T10:00:00Z",
        },
        // Cancelled exactly at the renewal instant: the renewal starting then is refundable, the period before is not.
        {
          subscriptionId: "sub-2",
          accountId: "acct-a",
          resourceId: "ws-2",
          serviceName: "Amazon WorkSpaces",
          term: "P1M",
          startedAt: "2026-01-15T00:00:00Z",
          renewsAt: "2026-05-15T00:00:00Z",
          autoRenew: true,
          cancelledAt: "2026-05-15T00:00:00Z",
        },
        // No resource: matched by account and service; auto-renew off.
        {
          subscriptionId: "sub-3",
          accountId: "acct-a",
          resourceId: null,
          serviceName: "AWS Support (Business)",
          term: "P1M",
          startedAt: "2025-05-01T00:00:00Z",
          renewsAt: "2026-05-01T00:00:00Z",
          autoRenew: false,
          cancelledAt: null,
        },
      ],
    });
    // The whole billed cost of each: 35.00, 25.00, 100.00
    expect(report.findings.map(brief)).toEqual([
      {
        kind: "charged_after_cancellation",
        charges: [ref(0)],
        amount: "35.00",
        currency: "USD",
        claimable: true,
      },
      {
        kind: "charged_after_cancellation",
        charges: [ref(2)],
        amount: "25.00",
        currency: "USD",
        claimable: true,
      },
      {
        kind: "charged_after_cancellation",
        charges: [ref(3)],
        amount: "100.00",
        currency: "USD",
        claimable: true,
      },
    ]);
    expect(report.findings[1]!.evidence).toContainEqual({
      type: "subscription",
      ref: "subscriptions.jsonl:2",
      subscriptionId: "sub-2",
    });
    expect(report.findings[1]!.explanation).toContain("cancelled on 2026-05-15 (UTC) at 00:00 UTC");
    expect(report.findings[2]!.explanation).toContain("not to renew automatically");
  });
});

describe("runAudit › sla_credit", () => {
  it("counts overlapping incidents once over a 31-day month and credits the named resources", async () => {
    const report = await audit({
      charges: [
        ec2Day("i-a", "2026-05-10"),
        ec2Day("i-a", "2026-05-11"),
        ec2Day("i-b", "2026-05-10", { BilledCost: "4.608" }),
        // Not named by any incident; a June charge; another account's named instance.
        ec2Day("i-c", "2026-05-10"),
        ec2Day("i-a", "2026-06-01"),
        ec2Day("i-b", "2026-05-12", { SubAccountId: "acct-b", BilledCost: "1.00" }),
      ],
      incidents: [
        {
          incidentId: "INC-1",
          serviceName: "Amazon Elastic Compute Cloud",
          regionId: "us-east-1",
          resourceIds: ["i-a"],
          start: "2026-05-10T10:00:00Z",
          end: "2026-05-10T15:00:00Z",
          statusPageUrl: "https://health.aws.amazon.com/INC-1",
        },
        {
          incidentId: "INC-2",
          serviceName: "Amazon Elastic Compute Cloud",
          regionId: "us-east-1",
          resourceIds: ["i-b"],
          start: "2026-05-10T12:00:00Z",
          end: "2026-05-10T17:00:00Z",
          statusPageUrl: "https://health.aws.amazon.com/INC-2",
        },
      ],
    });
    // Union 10:00–17:00 = 420 min of 31 × 1440 = 44,640: availability 99.059140 % (< 99.99, not < 99.0) → 10 %.
    // (Counted twice, 600 min would give 98.66 % and 30 %.)
    // acct-a: 10 % × (2.304 + 2.304 + 4.608) = 0.9216 → 0.92; acct-b: 10 % × 1.00 = 0.10
    expect(only(report, "sla_credit").map(brief)).toEqual([
      {
        kind: "sla_credit",
        charges: [ref(0), ref(1), ref(2)],
        amount: "0.92",
        currency: "USD",
        claimable: true,
      },
      { kind: "sla_credit", charges: [ref(5)], amount: "0.10", currency: "USD", claimable: true },
    ]);
    const f = report.findings[0]!;
    expect(f.clauses).toEqual(["sla-credit", "sla-aws-ec2-region"]);
    expect(f.outcome).toBe("account_credit");
    expect(f.evidence).toContainEqual({
      type: "sla",
      clauseId: "sla-aws-ec2-region",
      thresholdPercent: "99.99",
      availabilityPercent: "99.059140",
      creditPercent: "10",
      sourceUrl: "https://aws.amazon.com/compute/sla/",
    });
    expect(f.evidence).toContainEqual(
      expect.objectContaining({
        type: "incident",
        incidentId: "INC-2",
        statusPageUrl: "https://health.aws.amazon.com/INC-2",
      }),
    );
    // Claimable until the end of the second billing cycle after May: 2026-07-31.
    expect(f.details.claimBy).toBe("2026-07-31");
    expect(f.explanation).toContain("7 h");
  });

  it("uses the 29 days of February 2028 and credits every charge of a region-wide outage", async () => {
    const s3 = (resource: string, sku: string, start: string, end: string, cost: string, fields: Row = {}) =>
      row({
        ...S3,
        SubAccountId: "acct-b",
        ResourceId: resource,
        SkuId: sku,
        ChargePeriodStart: start,
        ChargePeriodEnd: end,
        BilledCost: cost,
        ...fields,
      });
    const report = await audit({
      asOf: "2028-04-10",
      charges: [
        s3("bucket-1", "SKU-ST", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z", "23.00"),
        s3("bucket-2", "SKU-REQ", "2028-02-10T00:00:00Z", "2028-02-11T00:00:00Z", "0.40"),
        s3("bucket-1", "SKU-ST", "2028-03-01T00:00:00Z", "2028-04-01T00:00:00Z", "23.00"),
        s3("bucket-3", "SKU-ST", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z", "9.00", {
          RegionId: "eu-west-1",
        }),
      ],
      incidents: [
        {
          incidentId: "S3-1",
          serviceName: "Amazon Simple Storage Service",
          regionId: "us-west-2",
          resourceIds: [],
          start: "2028-02-10T00:00:00Z",
          end: "2028-02-10T06:50:00Z",
          statusPageUrl: null,
        },
      ],
    });
    // 410 min of 29 × 1440 = 41,760: availability 99.018199 % → 10 % (with 28 days it would be 98.98 % → 25 %).
    // 10 % × (23.00 + 0.40) = 2.34
    expect(report.findings.map(brief)).toEqual([
      { kind: "sla_credit", charges: [ref(0), ref(1)], amount: "2.34", currency: "USD", claimable: true },
    ]);
    expect(report.findings[0]!.details.figures.availabilityPercent).toBe("99.018199");
    expect(report.findings[0]!.details.claimBy).toBe("2028-04-30");
  });

  it("lets an SLA credit lapse after the second billing cycle", async () => {
    const report = await audit({
      asOf: "2026-08-01",
      charges: [ec2Day("i-a", "2026-05-10")],
      incidents: [
        {
          incidentId: "INC-9",
          serviceName: "Amazon Elastic Compute Cloud",
          regionId: "us-east-1",
          resourceIds: [],
          start: "2026-05-10T10:00:00Z",
          end: "2026-05-10T11:00:00Z",
          statusPageUrl: null,
        },
      ],
    });
    // 60 min of 44,640 → 99.865591 % → 10 % of 2.304 = 0.2304 → 0.23; claimable while as-of < 2026-08-01.
    expect(report.findings.map(brief)).toEqual([
      { kind: "sla_credit", charges: [ref(0)], amount: "0.23", currency: "USD", claimable: false },
    ]);
    expect(report.summary.refundable).toEqual({});
  });
});

describe("runAudit › promotion_not_applied", () => {
  it("applies a percentage promotion to the charges that start within its validity only", async () => {
    const day = (d: string, list: string, billed: string) =>
      row({
        ...CLOUDFRONT,
        SubAccountId: "acct-c",
        ResourceId: "dist-1",
        SkuId: "SKU-CF",
        ChargePeriodStart: `${d}T00:00:00Z`,
        ChargePeriodEnd: `${nextDay(d)}T00:00:00Z`,
        ListCost: list,
        BilledCost: billed,
      });
    const report = await audit({
      charges: [
        day("2026-05-10", "10.00", "10.00"), // starts before validFrom (12:00): out of scope
        day("2026-05-11", "10.00", "10.00"),
        day("2026-05-12", "12.50", "12.50"),
        { ...day("2026-05-12", "5.00", "4.00"), ResourceId: "dist-2" }, // already discounted: nothing
        day("2026-05-13", "10.00", "10.00"), // starts at validTo: out of scope
      ],
      promotions: [
        {
          promotionId: "promo-20",
          code: "SPRING20",
          accountId: "acct-c",
          serviceNames: ["Amazon CloudFront"],
          regionIds: [],
          discountPercent: "20",
          creditAmount: null,
          currency: null,
          validFrom: "2026-05-10T12:00:00Z",
          validTo: "2026-05-13T00:00:00Z",
        },
      ],
    });
    // 10.00 − 10.00 × 0.8 = 2.00; 12.50 − 12.50 × 0.8 = 2.50
    expect(report.findings.map(brief)).toEqual([
      { kind: "promotion_not_applied", charges: [ref(1)], amount: "2.00", currency: "USD", claimable: true },
      { kind: "promotion_not_applied", charges: [ref(2)], amount: "2.50", currency: "USD", claimable: true },
    ]);
    expect(report.findings[0]!.evidence).toContainEqual({
      type: "promotion",
      ref: "promotions.jsonl:1",
      promotionId: "promo-20",
    });
    expect(report.findings[0]!.details.figures).toMatchObject({ discountPercent: "20", promisedCost: "8" });
  });

  it("claims the unspent part of a credit promotion, up to the eligible charges", async () => {
    const day = (d: string, billed: string) =>
      row({
        ...CLOUDFRONT,
        SubAccountId: "acct-c",
        ResourceId: "dist-1",
        SkuId: "SKU-CF",
        ChargePeriodStart: `${d}T00:00:00Z`,
        ChargePeriodEnd: `${nextDay(d)}T00:00:00Z`,
        BilledCost: billed,
      });
    const credit = (d: string, amount: string, fields: Row) =>
      row({
        ...CLOUDFRONT,
        SubAccountId: "acct-c",
        RegionId: "",
        ChargeCategory: "Credit",
        ChargeFrequency: "One-Time",
        ChargePeriodStart: `${d}T00:00:00Z`,
        ChargePeriodEnd: `${nextDay(d)}T00:00:00Z`,
        BilledCost: amount,
        ...fields,
      });
    const report = await audit({
      charges: [
        day("2026-05-20", "12.00"),
        day("2026-05-21", "18.00"),
        credit("2026-05-21", "-20.00", {
          x_PromotionId: "promo-credit",
          ChargeDescription: "AWS promotional credit",
        }),
        credit("2026-05-22", "-5.00", { ChargeDescription: "AWS promotional credit PROMO-XYZ" }),
        day("2026-05-25", "7.00"), // after validTo
      ],
      promotions: [
        {
          promotionId: "promo-credit",
          code: "PROMO-XYZ",
          accountId: "acct-c",
          serviceNames: ["Amazon CloudFront"],
          regionIds: ["global"],
          discountPercent: null,
          creditAmount: "50.00",
          currency: "USD",
          validFrom: "2026-05-20T00:00:00Z",
          validTo: "2026-05-25T00:00:00Z",
        },
      ],
    });
    // spent 20.00 + 5.00 = 25.00; unspent 50.00 − 25.00 = 25.00; charges 12.00 + 18.00 = 30.00; min = 25.00
    expect(report.findings.map(brief)).toEqual([
      {
        kind: "promotion_not_applied",
        charges: [ref(0), ref(1)],
        amount: "25.00",
        currency: "USD",
        claimable: true,
      },
    ]);
    expect(report.findings[0]!.details.figures).toMatchObject({
      creditSpent: "25",
      creditUnspent: "25",
      chargesTotal: "30",
    });
  });
});

describe("runAudit › rate_above_contract", () => {
  it("claims the excess over the contracted unit price, exactly even for long quantities", async () => {
    const report = await audit({
      charges: [
        ec2Day("i-r1", "2026-05-03", { ContractedUnitPrice: "0.0864" }),
        ec2Day("i-r2", "2026-05-03", { ContractedUnitPrice: "0.0864", BilledCost: "2.0736" }),
        ec2Day("i-r3", "2026-05-03", { ContractedUnitPrice: "0.0864", PricingCategory: "Committed" }),
        row({
          ...S3,
          ResourceId: "bucket-dt",
          SkuId: "SKU-DT",
          ChargePeriodStart: "2026-05-03T00:00:00Z",
          ChargePeriodEnd: "2026-05-04T00:00:00Z",
          PricingQuantity: "10.0000000001",
          PricingUnit: "GB",
          ContractedUnitPrice: "0.09",
          BilledCost: "1.00",
        }),
      ],
    });
    // (2.304 / 24 − 0.0864) × 24 = 2.304 − 2.0736 = 0.2304 → 0.23; 2.0736 is exactly the contract; Committed is left out.
    // 1.00 − 0.09 × 10.0000000001 = 1.00 − 0.900000000009 = 0.099999999991 → 0.10
    expect(report.findings.map(brief)).toEqual([
      { kind: "rate_above_contract", charges: [ref(0)], amount: "0.23", currency: "USD", claimable: true },
      { kind: "rate_above_contract", charges: [ref(3)], amount: "0.10", currency: "USD", claimable: true },
    ]);
    expect(report.findings[0]!.details.figures).toMatchObject({
      unitPriceBilled: "0.096",
      unitPriceContracted: "0.0864",
    });
  });
});

describe("runAudit › unused_prepaid_credit", () => {
  const purchase = row({
    ...EC2,
    ResourceId: "ri-1",
    SkuId: "SKU-RI",
    ChargeCategory: "Purchase",
    ChargeFrequency: "One-Time",
    ChargePeriodStart: "2026-03-01T00:00:00Z",
    ChargePeriodEnd: "2026-04-01T00:00:00Z",
    PricingQuantity: "744",
    PricingUnit: "Hours",
    BilledCost: "74.40",
    EffectiveCost: "0",
    CommitmentDiscountId: "ri-1",
  });
  const unused = (day: string, hours: string, cost: string) =>
    ec2Day("ri-1", day, {
      SkuId: "SKU-RI",
      PricingCategory: "Committed",
      PricingQuantity: hours,
      BilledCost: "0",
      EffectiveCost: cost,
      CommitmentDiscountId: "ri-1",
      CommitmentDiscountStatus: "Unused",
    });
  const charges = [
    purchase,
    unused("2026-03-29", "24", "2.40"),
    unused("2026-03-30", "24", "2.40"),
    unused("2026-03-31", "12", "1.20"),
    unused("2026-04-01", "24", "2.40"), // after the term
  ];

  it("refunds the unused part of an ended commitment, within 90 days of its end", async () => {
    const report = await audit({ charges, asOf: "2026-05-01" });
    // 2.40 + 2.40 + 1.20 = 6.00 × 100 % (≤ 74.40) = 6.00
    expect(report.findings.map(brief)).toEqual([
      {
        kind: "unused_prepaid_credit",
        charges: [ref(0), ref(1), ref(2), ref(3)],
        amount: "6.00",
        currency: "USD",
        claimable: true,
      },
    ]);
    // Term end 2026-04-01 + 90 days = 2026-06-30.
    expect(report.findings[0]!.details.claimBy).toBe("2026-06-30");
    expect(report.findings[0]!.outcome).toBe("account_credit");
  });

  it("applies the policy's refundable share, and nothing before the term ends or after the window", async () => {
    const half = await audit({
      charges,
      asOf: "2026-05-01",
      policy: { ...POLICY, prepaid: { refundablePercent: "50" } },
    });
    // 6.00 × 50 % = 3.00
    expect(half.findings.map((f) => f.amount)).toEqual(["3.00"]);
    expect((await audit({ charges, asOf: "2026-03-31" })).findings).toEqual([]);
    const late = await audit({ charges, asOf: "2026-07-01" });
    expect(late.findings.map((f) => f.claimable)).toEqual([false]);
  });
});

describe("runAudit › several findings on one charge", () => {
  it("never claims more than a charge's billed cost, in the order of the kinds", async () => {
    const report = await audit({
      charges: [ec2Day("i-both", "2026-05-03", { ContractedUnitPrice: "0.0864" })],
      usage: [{ resourceId: "i-both", start: "2026-05-03T06:00:00Z", end: "2026-05-03T06:40:00Z" }],
    });
    // billed_beyond_usage first: 40 min → 1 hour; (24 − 1) × 2.304 / 24 = 2.208.
    // rate_above_contract would be 0.2304, but only 2.304 − 2.208 = 0.096 is left → 0.10.
    expect(report.findings.map(brief)).toEqual([
      { kind: "billed_beyond_usage", charges: [ref(0)], amount: "2.21", currency: "USD", claimable: true },
      { kind: "rate_above_contract", charges: [ref(0)], amount: "0.10", currency: "USD", claimable: true },
    ]);
    expect(report.findings[1]!.details.figures.amountBeforeCap).toBe("0.2304");
    expect(report.findings[1]!.explanation).toContain("limited to what is left");
  });
});

describe("runAudit › findings", () => {
  it("derive their ids from the kind and the sorted references, and keep them across runs", async () => {
    const { createHash } = await import("node:crypto");
    const day = ec2Day("i-id", "2026-05-03");
    const charges = [day, ec2Day("i-x", "2026-05-04"), day];
    const a = await audit({ charges });
    const b = await audit({ charges });
    const expected = `f-${createHash("sha256")
      .update(`duplicate_charge\n${ref(0)}\n${ref(2)}`)
      .digest("hex")
      .slice(0, 16)}`;
    expect(a.findings.map((f) => f.id)).toEqual([expected]);
    expect(b.findings.map((f) => f.id)).toEqual([expected]);
  });

  it("run without any evidence table, and refuse a malformed as-of date", async () => {
    const report = await audit({ charges: [ec2Day("i-z", "2026-05-03")] });
    expect(report.summary).toEqual({ charges: 1, findings: 0, refundable: {} });
    expect(report.meta.policyVersion).toBe("test");
    await expect(audit({ charges: [ec2Day("i-z", "2026-05-03")], asOf: "2026-02-30" })).rejects.toMatchObject(
      {
        code: "validation_failed",
      },
    );
  });
});
