import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "../shared/errors.js";
import { buildRequest } from "./request-builder.js";
import type { DraftLineItem, DraftUsage, RequestDraft } from "./request-draft.js";

// ---------------------------------------------------------------------------------------------------------
// Drafts, written by hand

const ECS_INSTANCE = "i-bp1f2o3xk5q8w9e0abcd";

function ecsLine(chargeId: string, line: number): DraftLineItem {
  return {
    chargeId,
    sourceRef: `alibaba-bill-2026-05.csv:${line}`,
    providerName: "Alibaba Cloud",
    serviceName: "Elastic Compute Service",
    resourceId: ECS_INSTANCE,
    resourceName: "web-prod-01",
    regionId: "cn-hangzhou",
    invoiceId: "INV-202605-0001",
    skuId: "ecs.g7.large",
    chargeDescription: "ecs.g7.large pay-as-you-go",
    chargeCategory: "Usage",
    chargePeriodStart: "2026-05-03T00:00:00+08:00",
    chargePeriodEnd: "2026-05-04T00:00:00+08:00",
    pricingQuantity: "24",
    pricingUnit: "Hours",
    consumedQuantity: "24",
    billedCost: "120.00",
    currency: "CNY",
  };
}

/** An Alibaba ECS instance billed twice for 3 May; the request is for the extra copy, from an audit finding. */
function ecsDuplicate(): RequestDraft {
  return {
    reason: "duplicate_charge",
    desiredOutcome: "refund_original_method",
    amounts: { chg_ecs_2: null },
    summary: `ECS instance ${ECS_INSTANCE} was billed twice for 3 May`,
    description: `The bill for 2026-05-03 has two identical lines for ${ECS_INSTANCE}.`,
    impactStatement: "  We paid CNY 120.00 twice for the same day of one instance.\n",
    customer: {
      organisationName: "Hangzhou Lanshan Trading Co., Ltd.",
      accountName: "lanshan-prod",
      accountExternalId: "1234567890123456",
      timeZone: "Asia/Shanghai",
    },
    filedBy: { name: "Li Wei", channel: "console", onBehalfOf: null },
    lineItems: [ecsLine("chg_ecs_2", 13)],
    usage: [],
    incidents: [],
    evidence: [{ kind: "file", label: "invoice-INV-202605-0001.pdf" }],
    finding: {
      id: "f-3c1e9a0b5d7f2468",
      kind: "duplicate_charge",
      explanation:
        `On 2026-05-03 (UTC+08:00), resource ${ECS_INSTANCE} was billed 2 times for the same usage.\n` +
        "Only one of them is owed; the 1 extra copy cost 120.00 CNY.",
      figures: { copies: "2" },
    },
  };
}

function ec2Line(chargeId: string, resourceId: string, line: number): DraftLineItem {
  return {
    chargeId,
    sourceRef: `focus-2026-05.csv:${line}`,
    providerName: "AWS",
    serviceName: "Amazon Elastic Compute Cloud",
    resourceId,
    resourceName: null,
    regionId: "us-east-1",
    invoiceId: "INV-AWS-2026-05",
    skuId: "BoxUsage:m5.large",
    chargeDescription: "m5.large On-Demand",
    chargeCategory: "Usage",
    chargePeriodStart: "2026-05-10T00:00:00Z",
    chargePeriodEnd: "2026-05-11T00:00:00Z",
    pricingQuantity: "24",
    pricingUnit: "Hrs",
    consumedQuantity: "24",
    billedCost: "2.304",
    currency: "USD",
  };
}

const usage = (resourceId: string, start: string, end: string, sourceRef: string): DraftUsage => ({
  resourceId,
  start,
  end,
  quantity: null,
  unit: null,
  sourceRef,
});

/** Two AWS EC2 instances billed 24 hours on 10 May (UTC) that ran 7 h 10 min and 3 h; customer in New York. */
function ec2BeyondUsage(): RequestDraft {
  return {
    reason: "billing_error",
    desiredOutcome: "refund_original_method",
    amounts: { chg_ec2_1: "1.536", chg_ec2_2: "2.016" },
    summary: "Two EC2 instances were billed for 24 hours on 10 May but ran far less",
    description:
      "Our usage logs show i-0a1b2c3d4e5f60718 ran 8 hours and i-0f9e8d7c6b5a43210 ran 3 hours on 2026-05-10 (UTC).",
    impactStatement: "Overbilled USD 3.55 on our development account.",
    customer: {
      organisationName: "Northwind Analytics Inc.",
      accountName: "northwind-dev",
      accountExternalId: "123456789012",
      timeZone: "America/New_York",
    },
    filedBy: { name: "Dana Whitfield", channel: "api", onBehalfOf: null },
    lineItems: [
      ec2Line("chg_ec2_1", "i-0a1b2c3d4e5f60718", 42),
      ec2Line("chg_ec2_2", "i-0f9e8d7c6b5a43210", 43),
    ],
    usage: [
      // Overlapping records: the union 02:00–09:10 is 7 h 10 min, billed as 8 whole hours.
      usage("i-0a1b2c3d4e5f60718", "2026-05-10T02:00:00Z", "2026-05-10T07:30:00Z", "usage.jsonl:12"),
      usage("i-0a1b2c3d4e5f60718", "2026-05-10T07:00:00Z", "2026-05-10T09:10:00Z", "usage.jsonl:13"),
      // Starts before the charge period: only 00:00–03:00 counts.
      usage("i-0f9e8d7c6b5a43210", "2026-05-09T22:00:00Z", "2026-05-10T03:00:00Z", "usage.jsonl:20"),
    ],
    incidents: [],
    evidence: [],
    finding: null,
  };
}

/** An EC2 outage in Frankfurt in April, logged by a support agent on the phone; customer in Berlin. */
function slaBreach(): RequestDraft {
  return {
    reason: "sla_breach",
    desiredOutcome: "account_credit",
    amounts: { chg_sla_1: "73.00" },
    summary: "EC2 in eu-central-1 was down for 5.5 hours on 12 April",
    description:
      "Incident INC-2026-0412 took i-0c0ffee1234567890 offline from 08:15 to 13:45 UTC on 2026-04-12.",
    impactStatement: "Our checkout was unavailable for five and a half hours.",
    customer: {
      organisationName: "Kettle & Crumb GmbH",
      accountName: "kc-shop",
      accountExternalId: null,
      timeZone: "Europe/Berlin",
    },
    filedBy: { name: "Sam Osei", channel: "phone", onBehalfOf: "Jana Vogel" },
    lineItems: [
      {
        chargeId: "chg_sla_1",
        sourceRef: "focus-2026-04.csv:7",
        providerName: "AWS",
        serviceName: "Amazon Elastic Compute Cloud",
        resourceId: "i-0c0ffee1234567890",
        resourceName: "checkout-1",
        regionId: "eu-central-1",
        invoiceId: "INV-AWS-2026-04",
        skuId: "BoxUsage:c6i.xlarge",
        chargeDescription: "c6i.xlarge On-Demand",
        chargeCategory: "Usage",
        chargePeriodStart: "2026-04-01T00:00:00Z",
        chargePeriodEnd: "2026-05-01T00:00:00Z",
        pricingQuantity: "720",
        pricingUnit: "Hours",
        consumedQuantity: "720",
        billedCost: "730.00",
        currency: "USD",
      },
    ],
    usage: [],
    incidents: [
      {
        incidentId: "INC-2026-0412",
        serviceName: "Amazon Elastic Compute Cloud",
        regionId: "eu-central-1",
        start: "2026-04-12T08:15:00Z",
        end: "2026-04-12T13:45:00Z",
        statusPageUrl: "https://health.aws.amazon.com/health/status#INC-2026-0412",
      },
    ],
    evidence: [{ kind: "transcript", label: "Phone call 2026-04-13 10:05 CEST" }],
    finding: null,
  };
}

function catchAppError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError");
}

// ---------------------------------------------------------------------------------------------------------

describe("buildRequest", () => {
  describe("an Alibaba ECS duplicate charge in CNY, customer in Asia/Shanghai", () => {
    const built = buildRequest(ecsDuplicate());

    it("names the instance, the problem and the billing day in the subject", () => {
      expect(built.subject).toBe(
        `Refund request for ECS instance ${ECS_INSTANCE} — duplicate charge on 2026-05-03`,
      );
    });

    it("writes one paragraph with who, what, when, where, why and what is asked", () => {
      const summary = built.executiveSummary;
      expect(summary).not.toMatch(/[\n\r\u2028\u2029]/);
      // who
      expect(summary).toContain(
        "Hangzhou Lanshan Trading Co., Ltd. (account lanshan-prod, ID 1234567890123456)",
      );
      // what
      expect(summary).toContain(
        `ECS instance ${ECS_INSTANCE} (“web-prod-01”, Elastic Compute Service), billed CNY 120.00 ` +
          "(charge chg_ecs_2, alibaba-bill-2026-05.csv:13, invoice INV-202605-0001)",
      );
      // when, with the zone spelled out, and where
      expect(summary).toContain(
        "The charge covers the period from 2026-05-03 00:00 to 2026-05-04 00:00 Asia/Shanghai time (UTC+08:00), " +
          "i.e. 2026-05-02 16:00 to 2026-05-03 16:00 UTC, in region cn-hangzhou.",
      );
      // why: the reason in words and the finding's explanation (its line break folded)
      expect(summary).toContain("The reason is a duplicate charge.");
      expect(summary).toContain(
        `Audit finding f-3c1e9a0b5d7f2468 (duplicate_charge): On 2026-05-03 (UTC+08:00), resource ${ECS_INSTANCE} ` +
          "was billed 2 times for the same usage. Only one of them is owed;",
      );
      // what is asked, and by whom
      expect(summary).toContain(
        "The customer asks for a refund of CNY 120.00 to the original payment method.",
      );
      expect(summary).toMatch(/Filed by Li Wei through the console\.$/);
    });

    it("puts the charge period on the timeline in Shanghai time and in UTC", () => {
      expect(built.timeline).toEqual([
        {
          at: "2026-05-03T00:00:00+08:00",
          timeZone: "Asia/Shanghai",
          utc: "2026-05-02T16:00:00Z",
          event: `Charge period begins: ECS instance ${ECS_INSTANCE} (charge chg_ecs_2, billed CNY 120.00)`,
        },
        {
          at: "2026-05-04T00:00:00+08:00",
          timeZone: "Asia/Shanghai",
          utc: "2026-05-03T16:00:00Z",
          event: `Charge period ends: ECS instance ${ECS_INSTANCE} (charge chg_ecs_2, billed CNY 120.00)`,
        },
      ]);
    });

    it("has no billed-versus-actual table without usage", () => {
      expect(built.billedVersusActual).toBeNull();
    });

    it("lists the billing record, the finding and the attachment", () => {
      expect(built.evidenceList).toEqual([
        `Billing record alibaba-bill-2026-05.csv:13: ECS instance ${ECS_INSTANCE}, CNY 120.00, invoice INV-202605-0001`,
        "Audit finding f-3c1e9a0b5d7f2468 (duplicate_charge)",
        "Attached file: invoice-INV-202605-0001.pdf",
      ]);
    });

    it("asks for the whole billed cost when the amount is null", () => {
      expect(built.requestedResolution).toBe("Refund of CNY 120.00 to the original payment method");
      expect(built.totals).toEqual([{ currency: "CNY", amount: "120.00" }]);
    });

    it("keeps the impact statement, trimmed", () => {
      expect(built.impactStatement).toBe("We paid CNY 120.00 twice for the same day of one instance.");
    });

    it("counts the other line items in the subject", () => {
      const draft = ecsDuplicate();
      draft.lineItems = [ecsLine("chg_ecs_1", 12), ecsLine("chg_ecs_2", 13), ecsLine("chg_ecs_3", 14)];
      expect(buildRequest(draft).subject).toBe(
        `Refund request for ECS instance ${ECS_INSTANCE} and 2 more line items — duplicate charge on 2026-05-03`,
      );
      draft.lineItems = draft.lineItems.slice(0, 2);
      expect(buildRequest(draft).subject).toBe(
        `Refund request for ECS instance ${ECS_INSTANCE} and 1 more line item — duplicate charge on 2026-05-03`,
      );
    });
  });

  describe("an AWS EC2 charge billed beyond usage, usage in UTC, customer in America/New_York", () => {
    const built = buildRequest(ec2BeyondUsage());

    it("names the first instance and counts the second", () => {
      expect(built.subject).toBe(
        "Refund request for EC2 instance i-0a1b2c3d4e5f60718 and 1 more line item — billing error on 2026-05-10",
      );
    });

    it("quotes billed costs exactly and the period in New York time and UTC", () => {
      const summary = built.executiveSummary;
      expect(summary).not.toMatch(/[\n\r]/);
      expect(summary).toContain(
        "Northwind Analytics Inc. (account northwind-dev, ID 123456789012) disputes 2 line items",
      );
      expect(summary).toContain("billed USD 4.608 in total");
      expect(summary).toContain(
        "EC2 instance i-0a1b2c3d4e5f60718 (Amazon Elastic Compute Cloud), billed USD 2.304",
      );
      expect(summary).toContain(
        "The charges cover the period from 2026-05-09 20:00 to 2026-05-10 20:00 America/New_York time (UTC-04:00), " +
          "i.e. 2026-05-10 00:00 to 2026-05-11 00:00 UTC, in region us-east-1.",
      );
      expect(summary).toContain("The reason is a billing error.");
      expect(summary).toContain("The customer asks for a refund of USD 3.55 to the original payment method.");
      expect(summary).toContain("Filed by Dana Whitfield through the API.");
    });

    it("sorts charge periods and usage intervals on one timeline, each with its offset", () => {
      expect(built.timeline.map((e) => [e.at, e.utc, e.event])).toEqual([
        [
          "2026-05-09T18:00:00-04:00",
          "2026-05-09T22:00:00Z",
          "Usage of i-0f9e8d7c6b5a43210 begins (usage.jsonl:20)",
        ],
        [
          "2026-05-09T20:00:00-04:00",
          "2026-05-10T00:00:00Z",
          "Charge period begins: EC2 instance i-0a1b2c3d4e5f60718 (charge chg_ec2_1, billed USD 2.304)",
        ],
        [
          "2026-05-09T20:00:00-04:00",
          "2026-05-10T00:00:00Z",
          "Charge period begins: EC2 instance i-0f9e8d7c6b5a43210 (charge chg_ec2_2, billed USD 2.304)",
        ],
        [
          "2026-05-09T22:00:00-04:00",
          "2026-05-10T02:00:00Z",
          "Usage of i-0a1b2c3d4e5f60718 begins (usage.jsonl:12)",
        ],
        [
          "2026-05-09T23:00:00-04:00",
          "2026-05-10T03:00:00Z",
          "Usage of i-0f9e8d7c6b5a43210 ends (usage.jsonl:20)",
        ],
        [
          "2026-05-10T03:00:00-04:00",
          "2026-05-10T07:00:00Z",
          "Usage of i-0a1b2c3d4e5f60718 begins (usage.jsonl:13)",
        ],
        [
          "2026-05-10T03:30:00-04:00",
          "2026-05-10T07:30:00Z",
          "Usage of i-0a1b2c3d4e5f60718 ends (usage.jsonl:12)",
        ],
        [
          "2026-05-10T05:10:00-04:00",
          "2026-05-10T09:10:00Z",
          "Usage of i-0a1b2c3d4e5f60718 ends (usage.jsonl:13)",
        ],
        [
          "2026-05-10T20:00:00-04:00",
          "2026-05-11T00:00:00Z",
          "Charge period ends: EC2 instance i-0a1b2c3d4e5f60718 (charge chg_ec2_1, billed USD 2.304)",
        ],
        [
          "2026-05-10T20:00:00-04:00",
          "2026-05-11T00:00:00Z",
          "Charge period ends: EC2 instance i-0f9e8d7c6b5a43210 (charge chg_ec2_2, billed USD 2.304)",
        ],
      ]);
      expect(new Set(built.timeline.map((e) => e.timeZone))).toEqual(new Set(["America/New_York"]));
    });

    it("compares billed and actual hours exactly, rounding run time up to whole hours", () => {
      expect(built.billedVersusActual?.rows).toEqual([
        {
          chargeId: "chg_ec2_1",
          sourceRef: "focus-2026-05.csv:42",
          resourceId: "i-0a1b2c3d4e5f60718",
          billedQuantity: "24",
          actualQuantity: "8",
          unit: "Hrs",
          billedCost: "2.304",
          differenceQuantity: "16",
        },
        {
          chargeId: "chg_ec2_2",
          sourceRef: "focus-2026-05.csv:43",
          resourceId: "i-0f9e8d7c6b5a43210",
          billedQuantity: "24",
          actualQuantity: "3",
          unit: "Hrs",
          billedCost: "2.304",
          differenceQuantity: "21",
        },
      ]);
      expect(built.billedVersusActual?.note).toContain("rounded up to the next whole hour");
    });

    it("lists billing records and usage records, with UTC times", () => {
      expect(built.evidenceList).toEqual([
        "Billing record focus-2026-05.csv:42: EC2 instance i-0a1b2c3d4e5f60718, USD 2.304, invoice INV-AWS-2026-05",
        "Billing record focus-2026-05.csv:43: EC2 instance i-0f9e8d7c6b5a43210, USD 2.304, invoice INV-AWS-2026-05",
        "Usage record usage.jsonl:12: i-0a1b2c3d4e5f60718 from 2026-05-10T02:00:00Z to 2026-05-10T07:30:00Z",
        "Usage record usage.jsonl:13: i-0a1b2c3d4e5f60718 from 2026-05-10T07:00:00Z to 2026-05-10T09:10:00Z",
        "Usage record usage.jsonl:20: i-0f9e8d7c6b5a43210 from 2026-05-09T22:00:00Z to 2026-05-10T03:00:00Z",
      ]);
    });

    it("sums the requested amounts exactly and rounds the total once (1.536 + 2.016 = 3.552 → 3.55)", () => {
      expect(built.totals).toEqual([{ currency: "USD", amount: "3.55" }]);
      expect(built.requestedResolution).toBe("Refund of USD 3.55 to the original payment method");
    });
  });

  describe("an SLA breach with an incident, logged by phone, customer in Europe/Berlin", () => {
    const built = buildRequest(slaBreach());

    it("names a whole billing month as a month", () => {
      expect(built.subject).toBe(
        "Refund request for EC2 instance i-0c0ffee1234567890 — SLA breach in 2026-04",
      );
    });

    it("says who logged it and for whom", () => {
      expect(built.executiveSummary).toContain(
        "Kettle & Crumb GmbH (account kc-shop) disputes one line item",
      );
      expect(built.executiveSummary).toContain(
        "The reason is a breach of the service level agreement (SLA).",
      );
      expect(built.executiveSummary).toContain(
        "from 2026-04-01 02:00 to 2026-05-01 02:00 Europe/Berlin time (UTC+02:00), i.e. 2026-04-01 00:00 to " +
          "2026-05-01 00:00 UTC, in region eu-central-1.",
      );
      expect(built.executiveSummary).toMatch(
        /Logged by Sam Osei from a phone call on behalf of Jana Vogel\.$/,
      );
    });

    it("puts the outage inside the charge period on the timeline", () => {
      expect(built.timeline).toEqual([
        {
          at: "2026-04-01T02:00:00+02:00",
          timeZone: "Europe/Berlin",
          utc: "2026-04-01T00:00:00Z",
          event:
            "Charge period begins: EC2 instance i-0c0ffee1234567890 (charge chg_sla_1, billed USD 730.00)",
        },
        {
          at: "2026-04-12T10:15:00+02:00",
          timeZone: "Europe/Berlin",
          utc: "2026-04-12T08:15:00Z",
          event:
            "Outage begins: incident INC-2026-0412 (Amazon Elastic Compute Cloud in eu-central-1), " +
            "status page https://health.aws.amazon.com/health/status#INC-2026-0412",
        },
        {
          at: "2026-04-12T15:45:00+02:00",
          timeZone: "Europe/Berlin",
          utc: "2026-04-12T13:45:00Z",
          event: "Outage ends: incident INC-2026-0412 (Amazon Elastic Compute Cloud in eu-central-1)",
        },
        {
          at: "2026-05-01T02:00:00+02:00",
          timeZone: "Europe/Berlin",
          utc: "2026-05-01T00:00:00Z",
          event: "Charge period ends: EC2 instance i-0c0ffee1234567890 (charge chg_sla_1, billed USD 730.00)",
        },
      ]);
    });

    it("lists the incident with its status page, and the call transcript", () => {
      expect(built.evidenceList).toEqual([
        "Billing record focus-2026-04.csv:7: EC2 instance i-0c0ffee1234567890, USD 730.00, invoice INV-AWS-2026-04",
        "Incident INC-2026-0412: Amazon Elastic Compute Cloud in eu-central-1 from 2026-04-12T08:15:00Z to " +
          "2026-04-12T13:45:00Z (status page https://health.aws.amazon.com/health/status#INC-2026-0412)",
        "Transcript: Phone call 2026-04-13 10:05 CEST",
      ]);
    });

    it("asks for an account credit of the requested amount", () => {
      expect(built.requestedResolution).toBe("Account credit of USD 73.00");
      expect(built.totals).toEqual([{ currency: "USD", amount: "73.00" }]);
      expect(built.billedVersusActual).toBeNull();
    });
  });

  describe("time zones", () => {
    it("gives each end of a period its own offset across a daylight-saving change", () => {
      const draft = ec2BeyondUsage();
      draft.usage = [];
      draft.lineItems = [
        {
          ...ec2Line("chg_dst", "i-0a1b2c3d4e5f60718", 5),
          // Written as the biller would, each end in its own offset.
          chargePeriodStart: "2026-03-08T00:00:00-05:00",
          chargePeriodEnd: "2026-03-09T00:00:00-0400",
        },
      ];
      draft.amounts = {};
      const built = buildRequest(draft);
      expect(built.executiveSummary).toContain(
        "from 2026-03-08 00:00 (UTC-05:00) to 2026-03-09 00:00 (UTC-04:00) America/New_York time, " +
          "i.e. 2026-03-08 05:00 to 2026-03-09 04:00 UTC",
      );
      expect(built.timeline.map((e) => e.at)).toEqual([
        "2026-03-08T00:00:00-05:00",
        "2026-03-09T00:00:00-04:00",
      ]);
      expect(built.subject).toMatch(/ on 2026-03-08$/);
    });

    it("writes UTC timestamps with Z and leaves out the UTC repetition for a UTC customer", () => {
      const draft = ec2BeyondUsage();
      draft.customer.timeZone = "UTC";
      const built = buildRequest(draft);
      expect(built.timeline[1]).toMatchObject({
        at: "2026-05-10T00:00:00Z",
        utc: "2026-05-10T00:00:00Z",
        timeZone: "UTC",
      });
      expect(built.executiveSummary).toContain(
        "from 2026-05-10 00:00 to 2026-05-11 00:00 UTC time (UTC+00:00), in region",
      );
      expect(built.executiveSummary).not.toContain("i.e.");
    });

    it("names a multi-day period by its first and last billing day", () => {
      const draft = ecsDuplicate();
      draft.lineItems = [
        {
          ...ecsLine("chg_a", 2),
          chargePeriodStart: "2026-05-01T00:00:00+08:00",
          chargePeriodEnd: "2026-05-04T00:00:00+08:00",
        },
      ];
      expect(buildRequest(draft).subject).toMatch(/ from 2026-05-01 to 2026-05-03$/);
    });
  });

  describe("billed versus actual", () => {
    const gbLine = (): DraftLineItem => ({
      ...ec2Line("chg_s3", "analytics-raw-logs", 77),
      serviceName: "Amazon Simple Storage Service",
      pricingQuantity: "150.5",
      pricingUnit: "GB",
      billedCost: "3.4615",
      chargePeriodStart: "2026-05-01T00:00:00Z",
      chargePeriodEnd: "2026-06-01T00:00:00Z",
    });

    it("adds up metered records in the charge's unit that start in the period", () => {
      const draft = ec2BeyondUsage();
      draft.lineItems = [gbLine()];
      draft.amounts = {};
      draft.usage = [
        {
          ...usage("analytics-raw-logs", "2026-05-02T00:00:00Z", "2026-05-03T00:00:00Z", "u.csv:2"),
          quantity: "40.25",
          unit: "gb",
        },
        {
          ...usage("analytics-raw-logs", "2026-05-20T00:00:00Z", "2026-05-21T00:00:00Z", "u.csv:3"),
          quantity: "60.0",
          unit: "GB",
        },
        // Starts before the period, another unit, no quantity: none of them count.
        {
          ...usage("analytics-raw-logs", "2026-04-30T00:00:00Z", "2026-05-02T00:00:00Z", "u.csv:4"),
          quantity: "999",
          unit: "GB",
        },
        {
          ...usage("analytics-raw-logs", "2026-05-05T00:00:00Z", "2026-05-06T00:00:00Z", "u.csv:5"),
          quantity: "7",
          unit: "Requests",
        },
        usage("analytics-raw-logs", "2026-05-07T00:00:00Z", "2026-05-08T00:00:00Z", "u.csv:6"),
      ];
      const built = buildRequest(draft);
      expect(built.subject).toBe(
        "Refund request for S3 bucket analytics-raw-logs — billing error in 2026-05",
      );
      expect(built.billedVersusActual?.rows).toEqual([
        {
          chargeId: "chg_s3",
          sourceRef: "focus-2026-05.csv:77",
          resourceId: "analytics-raw-logs",
          billedQuantity: "150.5",
          actualQuantity: "100.25",
          unit: "GB",
          billedCost: "3.4615",
          differenceQuantity: "50.25",
        },
      ]);
      expect(built.billedVersusActual?.note).toContain("start within the charge period");
      expect(built.billedVersusActual?.note).not.toContain("whole hour");
    });

    it("leaves actual blank when the usage is in no comparable unit, and says why", () => {
      const draft = ec2BeyondUsage();
      draft.lineItems = [gbLine()];
      draft.usage = [usage("analytics-raw-logs", "2026-05-02T00:00:00Z", "2026-05-03T00:00:00Z", "u.csv:2")];
      const built = buildRequest(draft);
      expect(built.billedVersusActual?.rows[0]).toMatchObject({
        actualQuantity: null,
        differenceQuantity: null,
      });
      expect(built.billedVersusActual?.note).toContain("A blank actual quantity means");
    });

    it("counts zero hours when no usage falls in the charge period", () => {
      const draft = ec2BeyondUsage();
      draft.usage = [
        usage("i-0a1b2c3d4e5f60718", "2026-05-12T00:00:00Z", "2026-05-12T05:00:00Z", "usage.jsonl:99"),
      ];
      const rows = buildRequest(draft).billedVersusActual?.rows;
      expect(rows).toHaveLength(1);
      expect(rows?.[0]).toMatchObject({
        chargeId: "chg_ec2_1",
        actualQuantity: "0",
        differenceQuantity: "24",
      });
    });

    it("rounds a few seconds of run time up to a whole hour", () => {
      const draft = ec2BeyondUsage();
      draft.usage = [
        usage("i-0a1b2c3d4e5f60718", "2026-05-10T10:00:00Z", "2026-05-10T12:00:01Z", "usage.jsonl:1"),
      ];
      expect(buildRequest(draft).billedVersusActual?.rows[0]).toMatchObject({
        actualQuantity: "3",
        differenceQuantity: "21",
      });
    });

    it("is null when the usage is for other resources", () => {
      const draft = ec2BeyondUsage();
      draft.usage = [
        usage("i-0somethingelse1234", "2026-05-10T10:00:00Z", "2026-05-10T12:00:00Z", "usage.jsonl:1"),
      ];
      expect(buildRequest(draft).billedVersusActual).toBeNull();
    });
  });

  describe("amounts and outcomes", () => {
    it("totals per currency, sorted by code, rounded to each currency's minor unit", () => {
      const draft = ec2BeyondUsage();
      draft.lineItems = [
        ec2Line("chg_1", "i-0a1b2c3d4e5f60718", 1),
        { ...ec2Line("chg_2", "i-0a1b2c3d4e5f60718", 2), currency: "JPY", billedCost: "1500" },
        { ...ec2Line("chg_3", "i-0a1b2c3d4e5f60718", 3), currency: "CNY", billedCost: "10.5" },
      ];
      draft.amounts = { chg_1: null, chg_2: "1234.5" };
      const built = buildRequest(draft);
      expect(built.totals).toEqual([
        { currency: "CNY", amount: "10.50" },
        { currency: "JPY", amount: "1235" },
        { currency: "USD", amount: "2.30" },
      ]);
      expect(built.requestedResolution).toBe(
        "Refund of CNY 10.50, JPY 1235 and USD 2.30 to the original payment method",
      );
    });

    it("leaves an amount that is not a decimal out of the totals (the lint reports it)", () => {
      const draft = ecsDuplicate();
      draft.amounts = { chg_ecs_2: "about 100" };
      const built = buildRequest(draft);
      expect(built.totals).toEqual([]);
      expect(built.requestedResolution).toBe(
        "Refund of an amount still to be confirmed to the original payment method",
      );
    });

    it("reads only the draft's own amounts, never Object.prototype", () => {
      const draft = ecsDuplicate();
      draft.lineItems = [ecsLine("constructor", 5)];
      draft.amounts = {};
      expect(buildRequest(draft).totals).toEqual([{ currency: "CNY", amount: "120.00" }]);
    });

    it.each([
      [
        "partial_refund",
        "Partial refund of CNY 120.00 to the original payment method",
        "a partial refund of",
      ],
      ["account_credit", "Account credit of CNY 120.00", "an account credit of"],
      ["service_adjustment", "Service adjustment worth CNY 120.00", "a service adjustment worth"],
    ] as const)("words %s as %j", (outcome, resolution, asked) => {
      const draft = ecsDuplicate();
      draft.desiredOutcome = outcome;
      const built = buildRequest(draft);
      expect(built.requestedResolution).toBe(resolution);
      expect(built.executiveSummary).toContain(`The customer asks for ${asked} CNY 120.00`);
    });
  });

  describe("labels", () => {
    it("falls back to the service name, and to the charge id without a resource", () => {
      const draft = ec2BeyondUsage();
      draft.usage = [];
      draft.lineItems = [{ ...ec2Line("chg_cf", "E2QWRUHEXAMPLE", 9), serviceName: "Amazon CloudFront" }];
      expect(buildRequest(draft).subject).toMatch(
        /^Refund request for Amazon CloudFront resource E2QWRUHEXAMPLE — /,
      );
      draft.lineItems = [{ ...ec2Line("chg_tax", "x", 9), serviceName: "Tax", resourceId: null }];
      expect(buildRequest(draft).subject).toMatch(/^Refund request for Tax charge chg_tax — /);
    });

    it("names the finding's kind rather than the broader reason", () => {
      const draft = ec2BeyondUsage();
      draft.finding = {
        id: "f-0011223344556677",
        kind: "billed_beyond_usage",
        explanation: "Ran 8 of 24 hours",
        figures: {},
      };
      const built = buildRequest(draft);
      expect(built.subject).toMatch(/— billed beyond usage on 2026-05-10$/);
      expect(built.executiveSummary).toContain(
        "Audit finding f-0011223344556677 (billed_beyond_usage): Ran 8 of 24 hours.",
      );
    });

    it("says so when no line item is selected yet", () => {
      const draft = ecsDuplicate();
      draft.lineItems = [];
      const built = buildRequest(draft);
      expect(built.subject).toBe("Refund request — duplicate charge");
      expect(built.executiveSummary).toContain("no line item is selected yet");
      expect(built.timeline).toEqual([]);
      expect(built.totals).toEqual([]);
    });
  });

  describe("malformed billing data", () => {
    it("reports every bad field at once as validation_failed", () => {
      const draft = ec2BeyondUsage();
      draft.customer.timeZone = "Mars/Olympus_Mons";
      draft.lineItems[0] = {
        ...draft.lineItems[0]!,
        billedCost: "2,304",
        chargePeriodStart: "2026-05-10T00:00:00",
      };
      draft.lineItems[1] = { ...draft.lineItems[1]!, currency: "usd" };
      draft.usage[0] = { ...draft.usage[0]!, quantity: "NaN" };
      const error = catchAppError(() => buildRequest(draft));
      expect(error.code).toBe("validation_failed");
      expect(error.fieldErrors.map((e) => [e.field, e.code])).toEqual([
        ["customer.timeZone", "invalid_time_zone"],
        ["lineItems[0].billedCost", "invalid_amount"],
        ["lineItems[0].chargePeriodStart", "invalid_timestamp"],
        ["lineItems[1].currency", "unknown_currency"],
        ["usage[0].quantity", "invalid_decimal"],
      ]);
    });
  });

  describe("output", () => {
    it("is plain JSON and the same for the same draft", () => {
      for (const draft of [ecsDuplicate(), ec2BeyondUsage(), slaBreach()]) {
        const built = buildRequest(draft);
        expect(JSON.parse(JSON.stringify(built))).toEqual(built);
        expect(buildRequest(draft)).toEqual(built);
      }
    });

    it("never throws on arbitrary text and valid decimal amounts, and keeps the summary one paragraph", () => {
      const decimal = fc
        .tuple(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.integer({ min: 0, max: 12 }))
        .map(([units, scale]) => {
          const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, "0");
          const whole = digits.slice(0, digits.length - scale);
          return `${units < 0n ? "-" : ""}${whole}${scale > 0 ? `.${digits.slice(digits.length - scale)}` : ""}`;
        });
      const text = fc.oneof(
        fc.string(),
        fc.string({ unit: "binary" }),
        fc.constantFrom("", " \n\t ", "\u2028"),
      );
      fc.assert(
        fc.property(
          fc.constantFrom(ecsDuplicate, ec2BeyondUsage, slaBreach),
          fc.record({
            summary: text,
            description: text,
            impact: text,
            org: text,
            name: text,
            label: text,
            explanation: text,
          }),
          fc.array(fc.option(decimal), { minLength: 2, maxLength: 2 }),
          (make, t, amounts) => {
            const draft = make();
            draft.summary = t.summary;
            draft.description = t.description;
            draft.impactStatement = t.impact;
            draft.customer.organisationName = t.org;
            draft.filedBy.name = t.name;
            draft.filedBy.onBehalfOf = t.name;
            draft.evidence = [{ kind: "email", label: t.label }];
            draft.finding = { id: "f-1", kind: "duplicate_charge", explanation: t.explanation, figures: {} };
            draft.amounts = Object.fromEntries(
              draft.lineItems.map((l, i) => [l.chargeId, amounts[i] ?? null]),
            );
            const built = buildRequest(draft);
            expect(built.executiveSummary).not.toMatch(/[\n\r\u2028\u2029]/);
            expect(JSON.parse(JSON.stringify(built))).toEqual(built);
          },
        ),
      );
    });
  });
});
