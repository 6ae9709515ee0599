import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DraftLineItem, type RequestDraft, TEXT_FIELDS } from "./request-draft.js";
import { type LintCode, type LintIssue, lintRequest } from "./request-lint.js";

// ---------------------------------------------------------------------------------------------------------
// Drafts, written by hand

function ecsLine(chargeId: string, overrides: Partial<DraftLineItem> = {}): DraftLineItem {
  return {
    chargeId,
    sourceRef: "alibaba-bill-2026-05.csv:13",
    providerName: "Alibaba Cloud",
    serviceName: "Elastic Compute Service",
    resourceId: "i-bp1f2o3xk5q8w9e0abcd",
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
    ...overrides,
  };
}

/** An Alibaba ECS duplicate charge, customer in Shanghai: a draft with nothing to say about it. */
function clean(): RequestDraft {
  return {
    reason: "duplicate_charge",
    desiredOutcome: "refund_original_method",
    amounts: { chg_ecs_2: null },
    summary: "ECS instance i-bp1f2o3xk5q8w9e0abcd was billed twice for 2026-05-03",
    description:
      "Invoice INV-202605-0001 has two identical lines for i-bp1f2o3xk5q8w9e0abcd on 2026-05-03, each CNY 120.00.",
    impactStatement: "We paid CNY 120.00 twice.",
    customer: {
      organisationName: "Hangzhou Lanshan Trading Co., Ltd.",
      accountName: "lanshan-prod",
      accountExternalId: null,
      timeZone: "Asia/Shanghai",
    },
    filedBy: { name: "Li Wei", channel: "console", onBehalfOf: null },
    lineItems: [ecsLine("chg_ecs_1"), ecsLine("chg_ecs_2", { sourceRef: "alibaba-bill-2026-05.csv:14" })],
    usage: [],
    incidents: [],
    evidence: [],
    finding: null,
  };
}

/** An AWS EC2 charge, customer in New York. */
function ec2(chargeId: string, overrides: Partial<DraftLineItem> = {}): DraftLineItem {
  return ecsLine(chargeId, {
    sourceRef: "focus-2026-05.csv:42",
    providerName: "AWS",
    serviceName: "Amazon Elastic Compute Cloud",
    resourceId: "i-0a1b2c3d4e5f60718",
    regionId: "us-east-1",
    invoiceId: "INV-AWS-2026-05",
    chargePeriodStart: "2026-05-10T00:00:00Z",
    chargePeriodEnd: "2026-05-11T00:00:00Z",
    billedCost: "2.304",
    currency: "USD",
    ...overrides,
  });
}

function withText(field: (typeof TEXT_FIELDS)[number], text: string, draft = clean()): RequestDraft {
  draft[field] = text;
  return draft;
}

const only = (issues: LintIssue[], code: LintCode): LintIssue[] => issues.filter((i) => i.code === code);
const excerpts = (draft: RequestDraft, code: LintCode): Array<string | null> =>
  only(lintRequest(draft), code).map((i) => i.excerpt);

/** The text an issue's offsets point into. */
function fieldText(draft: RequestDraft, field: string): string | null {
  if ((TEXT_FIELDS as readonly string[]).includes(field)) return draft[field as (typeof TEXT_FIELDS)[number]];
  if (field.startsWith("amounts.")) return draft.amounts[field.slice("amounts.".length)] ?? null;
  return null;
}

// ---------------------------------------------------------------------------------------------------------

describe("lintRequest", () => {
  it("has nothing to say about a complete, specific draft", () => {
    expect(lintRequest(clean())).toEqual([]);
  });

  describe("vague_language", () => {
    it.each([
      ["Maybe it was billed twice", "Maybe"],
      ["I'm not sure why", "not sure"],
      ["I think the instance stopped", "I think"],
      ["It was probably a mistake", "probably"],
      ["Perhaps the promotion expired", "Perhaps"],
      ["I guess it ran twice", "I guess"],
      ["It was kind of expensive", "kind of"],
      ["sort of a duplicate", "sort of"],
      ["It somehow kept running", "somehow"],
      ["It might have restarted", "might have"],
      ["I believe we cancelled", "I believe"],
      ["It possibly overlapped", "possibly"],
      ["We were unsure", "unsure"],
      ["something like 40 hours", "something like"],
      ["billed about 40 USD", "about"],
      ["billed about USD 40", "about"],
      ["billed approximately $41", "approximately"],
      ["approx. 3 hours", "approx."],
      ["around 14 hours", "around"],
      ["roughly 12.5 GB", "roughly"],
      ["我觉得被重复扣费了", "我觉得"],
      ["可能是系统错误", "可能"],
      ["大概扣了两次", "大概"],
      ["好像没有关机", "好像"],
      ["我不确定原因", "不确定"],
      ["大约100元", "大约"],
    ])("flags %j", (text, excerpt) => {
      const issues = only(lintRequest(withText("description", text)), "vague_language");
      expect(issues).toHaveLength(1);
      const [issue] = issues;
      expect(issue).toMatchObject({ severity: "warning", field: "description", excerpt });
      expect(text.slice(issue!.start!, issue!.end!)).toBe(excerpt);
      expect(issue!.message).toContain(`“${excerpt}”`);
    });

    it.each([
      "A question about the bill",
      "What kind of charge is this?",
      "The same sort of problem as last month",
      "Maybelline is our brand; the probablyness test",
      "This is not possible: 不可能用了这么多",
      "We shut it down at a known time",
      "about: see invoice",
    ])("does not flag %j", (text) => {
      expect(excerpts(withText("description", text), "vague_language")).toEqual([]);
    });

    it("reports each occurrence in each free-text field, with offsets", () => {
      const draft = clean();
      draft.summary = "Maybe billed twice, maybe three times";
      draft.impactStatement = "I think we lost about 200 CNY";
      const issues = only(lintRequest(draft), "vague_language");
      expect(issues.map((i) => [i.field, i.excerpt, i.start, i.end])).toEqual([
        ["impactStatement", "I think", 0, 7],
        ["impactStatement", "about", 16, 21],
        ["summary", "Maybe", 0, 5],
        ["summary", "maybe", 20, 25],
      ]);
    });

    it("does not scan other fields", () => {
      const draft = clean();
      draft.evidence = [{ kind: "file", label: "maybe.pdf" }];
      draft.customer.organisationName = "Perhaps Ltd.";
      expect(excerpts(draft, "vague_language")).toEqual([]);
    });
  });

  describe("time_without_zone", () => {
    it.each([
      ["It stopped at 14:30 on 3 May", "14:30", "14:30 Asia/Shanghai"],
      [
        "Billed from 2026-05-03 09:00 onwards",
        "2026-05-03 09:00",
        "2026-05-03 09:00 Asia/Shanghai (UTC+08:00)",
      ],
      ["Started 2026-05-03T09:00:00 per the log", "2026-05-03T09:00:00", "2026-05-03T09:00:00+08:00"],
      ["We shut it down at 9am", "9am", "9am Asia/Shanghai"],
      ["and again at 3 pm", "3 pm", "3 pm Asia/Shanghai"],
      ["between 09:00-10:00 it was down", "09:00-10:00", "09:00-10:00 Asia/Shanghai"],
      ["from 9am to 5pm", "9am to 5pm", "9am to 5pm Asia/Shanghai"],
      ["at 14:30 local time", "14:30", "14:30 Asia/Shanghai"],
      ["下午3点关机了", "下午3点", "下午3点 Asia/Shanghai"],
    ])("flags %j and suggests the customer's zone", (text, excerpt, suggestion) => {
      const issues = only(lintRequest(withText("description", text)), "time_without_zone");
      expect(issues).toHaveLength(1);
      const [issue] = issues;
      expect(issue).toMatchObject({ severity: "warning", field: "description", excerpt, suggestion });
      expect(text.slice(issue!.start!, issue!.end!)).toBe(excerpt);
      expect(issue!.message).toContain(suggestion);
      // Taking the suggestion silences the rule.
      const fixed = text.slice(0, issue!.start!) + suggestion + text.slice(issue!.end!);
      expect(excerpts(withText("description", fixed), "time_without_zone")).toEqual([]);
    });

    it("suggests the offset in force on that date (New York in summer)", () => {
      const draft = withText("description", "It ran until 2026-07-01T18:00:00");
      draft.customer.timeZone = "America/New_York";
      expect(only(lintRequest(draft), "time_without_zone")[0]?.suggestion).toBe("2026-07-01T18:00:00-04:00");
    });

    it("gives no replacement when the customer's zone is unknown", () => {
      const draft = withText("description", "at 14:30");
      draft.customer.timeZone = "Not/AZone";
      const [issue] = only(lintRequest(draft), "time_without_zone");
      expect(issue?.suggestion).toBeNull();
      expect(issue?.message).toContain("Add the zone");
    });

    it.each([
      "at 14:30 UTC",
      "at 14:30 utc on the 3rd",
      "14:30 GMT",
      "14:30 GMT+8",
      "(14:30 UTC+08:00)",
      "2026-05-03T09:00:00Z",
      "2026-05-03T09:00:00+08:00",
      "2026-05-03T09:00:00+0800",
      "2026-05-03T09:00-05:00",
      "14:30 +08:00",
      "14:30 +0800",
      "14:30 CST",
      "3pm PST",
      "9am EST",
      "9am est",
      "14:30 Asia/Shanghai",
      "14:30 (America/New_York)",
      "14:30 in Europe/Berlin",
      "14:30 Beijing time",
      "14:30 Eastern Standard Time",
      "09:00-10:00 UTC",
      "9am to 5pm PT",
      "UTC 14:30",
      "北京时间14:30",
      "北京时间2026年5月3日下午3点",
      "下午3点北京时间",
      "on 2026-05-03",
      "on 3 May 2026",
      "see alibaba-bill.csv:12:30 and usage.jsonl:12",
      "ratio 16:9",
      "a 24h period",
    ])("does not flag %j", (text) => {
      expect(excerpts(withText("description", text), "time_without_zone")).toEqual([]);
    });
  });

  describe("missing_identifier", () => {
    function anonymous(text: string): RequestDraft {
      const draft = clean();
      draft.lineItems = [ecsLine("chg_ecs_2", { resourceId: null, invoiceId: "INV-202605-0001" })];
      draft.summary = "Billed twice";
      draft.description = text;
      draft.impactStatement = "We paid twice.";
      return draft;
    }

    it("is an error when neither the line items nor the text name the instance, order or invoice", () => {
      const issues = only(
        lintRequest(anonymous("We were charged twice for our server.")),
        "missing_identifier",
      );
      expect(issues).toEqual([
        expect.objectContaining({
          severity: "error",
          field: "description",
          excerpt: null,
          start: null,
          end: null,
        }),
      ]);
      expect(issues[0]!.message).toContain("Name the instance, order or invoice");
      expect(issues[0]!.suggestion).toBe("Mention invoice INV-202605-0001.");
    });

    it.each([
      "Instance i-bp1f2o3xk5q8w9e0abcd was billed twice",
      "Instance i-0a1b2c3d4e5f60718 was billed twice",
      "Disk d-bp1a2b3c4d5e6f7g8h9i was billed twice",
      "See invoice INV-202605-0001",
      "Order number 2026050312345678",
      "order #A1B2C3D4E5",
      "订单号：202605031234567",
      "发票号 FP20260503001",
      "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc",
    ])("is satisfied by %j", (text) => {
      expect(excerpts(anonymous(text), "missing_identifier")).toEqual([]);
    });

    it("is satisfied by a line item with a resource id", () => {
      expect(excerpts(withText("description", "We were charged twice."), "missing_identifier")).toEqual([]);
    });

    it.each(["Invoice for 2026-05 is wrong", "the order of events", "an e-mail about billing"])(
      "is not satisfied by %j",
      (text) => {
        expect(excerpts(anonymous(text), "missing_identifier")).toEqual([null]);
      },
    );
  });

  describe("claim_without_evidence", () => {
    function claim(reason: RequestDraft["reason"]): RequestDraft {
      const draft = clean();
      draft.reason = reason;
      draft.lineItems = [ecsLine("chg_ecs_2")];
      return draft;
    }

    it.each([
      ["sla_breach", "status-page link"],
      ["billing_error", "usage logs"],
      ["charged_after_cancellation", "cancellation confirmation"],
      ["promotion_not_applied", "promotion code or terms"],
      ["duplicate_charge", "both charges"],
    ] as const)("warns when %s has no evidence, saying what would help", (reason, help) => {
      const issues = only(lintRequest(claim(reason)), "claim_without_evidence");
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ severity: "warning", field: "evidence", excerpt: null });
      expect(issues[0]!.message).toContain(help);
      expect(issues[0]!.suggestion).toContain(help);
    });

    it.each([
      [
        "an attachment",
        (d: RequestDraft) => d.evidence.push({ kind: "email", label: "Cancellation e-mail" }),
      ],
      [
        "a finding",
        (d: RequestDraft) => {
          d.finding = {
            id: "f-1",
            kind: "charged_after_cancellation",
            explanation: "Cancelled before.",
            figures: {},
          };
        },
      ],
    ] as const)("is satisfied by %s", (_, add) => {
      const draft = claim("charged_after_cancellation");
      add(draft);
      expect(excerpts(draft, "claim_without_evidence")).toEqual([]);
    });

    it("takes an incident as proof of an SLA breach, usage as proof of a billing error, two charges of a duplicate", () => {
      const sla = claim("sla_breach");
      sla.incidents = [
        {
          incidentId: "INC-1",
          serviceName: "Elastic Compute Service",
          regionId: "cn-hangzhou",
          start: "2026-05-03T01:00:00Z",
          end: "2026-05-03T02:00:00Z",
          statusPageUrl: null,
        },
      ];
      const billing = claim("billing_error");
      billing.usage = [
        {
          resourceId: "i-bp1f2o3xk5q8w9e0abcd",
          start: "2026-05-03T01:00:00Z",
          end: "2026-05-03T02:00:00Z",
          quantity: null,
          unit: null,
          sourceRef: "usage.jsonl:1",
        },
      ];
      for (const draft of [sla, billing, clean()])
        expect(excerpts(draft, "claim_without_evidence")).toEqual([]);
      // Usage says nothing about an outage.
      sla.incidents = [];
      sla.usage = billing.usage;
      expect(excerpts(sla, "claim_without_evidence")).toEqual([null]);
    });

    it.each(["accidental_purchase", "unused_prepaid", "other"] as const)(
      "does not ask for proof of %s",
      (reason) => {
        expect(excerpts(claim(reason), "claim_without_evidence")).toEqual([]);
      },
    );

    it.each([
      ["as shown in the attached screenshot, it ran twice", "as shown in the attached screenshot"],
      ["Please see attachment.", "see attachment"],
      ["I have attached the invoice.", "I have attached"],
      ["Our attached invoice shows it", "Our attached invoice"],
      ["扣费记录见附件", "见附件"],
    ])("flags %j when nothing is attached", (text, excerpt) => {
      const draft = withText("description", text);
      const issues = only(lintRequest(draft), "claim_without_evidence");
      expect(issues).toEqual([
        expect.objectContaining({ field: "description", excerpt, severity: "warning" }),
      ]);
      expect(text.slice(issues[0]!.start!, issues[0]!.end!)).toBe(excerpt);
    });

    it("does not flag an attachment mention when something is attached, nor a disk attached to an instance", () => {
      const draft = withText("description", "as shown in the attached screenshot");
      draft.evidence = [{ kind: "file", label: "screenshot.png" }];
      expect(excerpts(draft, "claim_without_evidence")).toEqual([]);
      expect(
        excerpts(
          withText("description", "The cloud disk attached to i-bp1f2o3xk5q8w9e0abcd"),
          "claim_without_evidence",
        ),
      ).toEqual([]);
    });
  });

  describe("unrelated_line_items", () => {
    function items(reason: RequestDraft["reason"], lineItems: DraftLineItem[]): RequestDraft {
      const draft = clean();
      draft.reason = reason;
      draft.lineItems = lineItems;
      draft.evidence = [{ kind: "file", label: "bill.pdf" }];
      return draft;
    }
    const split = (draft: RequestDraft): string[][] | null | undefined =>
      only(lintRequest(draft), "unrelated_line_items")[0]?.split;

    it("proposes one request per resource when resources and services differ", () => {
      const draft = items("billing_error", [
        ec2("chg_a"),
        ec2("chg_b", { serviceName: "Amazon Simple Storage Service", resourceId: "analytics-raw-logs" }),
        ec2("chg_c"),
      ]);
      const [issue] = only(lintRequest(draft), "unrelated_line_items");
      expect(issue).toMatchObject({ severity: "warning", field: "lineItems", excerpt: null, start: null });
      expect(issue?.split).toEqual([["chg_a", "chg_c"], ["chg_b"]]);
      expect(issue?.suggestion).toBe("Split into 2 requests: chg_a, chg_c | chg_b.");
    });

    it("separates invoice months except for duplicate charges", () => {
      const april = { chargePeriodStart: "2026-04-10T00:00:00Z", chargePeriodEnd: "2026-04-11T00:00:00Z" };
      expect(split(items("billing_error", [ec2("chg_may"), ec2("chg_apr", april)]))).toEqual([
        ["chg_may"],
        ["chg_apr"],
      ]);
      expect(split(items("duplicate_charge", [ec2("chg_may"), ec2("chg_apr", april)]))).toBeUndefined();
    });

    it("reads the invoice month as the biller wrote it, in its own offset", () => {
      // 2026-05-01T00:00+08:00 is still April in UTC, but it is the May bill.
      const draft = items("billing_error", [
        ecsLine("chg_1", { chargePeriodStart: "2026-05-01T00:00:00+08:00" }),
        ecsLine("chg_2", { chargePeriodStart: "2026-05-20T00:00:00+08:00" }),
      ]);
      expect(split(draft)).toBeUndefined();
    });

    it("keeps duplicates of one resource, and different resources of one service, together", () => {
      expect(split(clean())).toBeUndefined();
      expect(
        split(items("billing_error", [ec2("chg_a"), ec2("chg_b", { resourceId: "i-0f9e8d7c6b5a43210" })])),
      ).toBeUndefined();
    });

    it("groups items without a resource by service", () => {
      const draft = items("billing_error", [
        ec2("chg_tax_1", { serviceName: "Tax", resourceId: null }),
        ec2("chg_ec2"),
        ec2("chg_tax_2", { serviceName: "Tax", resourceId: null }),
        ec2("chg_none", { serviceName: null, resourceId: null }),
      ]);
      expect(split(draft)).toEqual([["chg_tax_1", "chg_tax_2"], ["chg_ec2"], ["chg_none"]]);
    });

    it("says nothing about a single line item", () => {
      expect(split(items("billing_error", [ec2("chg_a")]))).toBeUndefined();
    });
  });

  describe("amount_exceeds_billed", () => {
    function asking(amount: string | null, billedCost = "120.00"): RequestDraft {
      const draft = clean();
      draft.lineItems = [ecsLine("chg_ecs_1", { billedCost }), ecsLine("chg_ecs_2", { billedCost })];
      draft.amounts = { chg_ecs_2: amount };
      return draft;
    }

    it.each([
      ["120.01", "billed CNY 120.00"],
      ["1e3", "billed CNY 120.00"],
      ["0", "more than zero"],
      ["-5", "more than zero"],
      ["abc", "is not an amount"],
      ["1,000.00", "is not an amount"],
      ["", "is not an amount"],
      [" 10", "is not an amount"],
    ])("is an error for %j", (amount, words) => {
      const issues = only(lintRequest(asking(amount)), "amount_exceeds_billed");
      expect(issues).toEqual([
        expect.objectContaining({
          severity: "error",
          field: "amounts.chg_ecs_2",
          excerpt: amount,
          start: 0,
          end: amount.length,
          suggestion: "120.00",
        }),
      ]);
      expect(issues[0]!.message).toContain(words);
    });

    it.each([null, "120.00", "120", "0.01", "60.5"])("accepts %j", (amount) => {
      expect(excerpts(asking(amount), "amount_exceeds_billed")).toEqual([]);
    });

    it("compares exactly, at any scale", () => {
      const [issue] = only(lintRequest(asking("0.00000081", "0.0000008")), "amount_exceeds_billed");
      expect(issue?.message).toContain(
        "You asked for CNY 0.00000081, but this line item was billed CNY 0.0000008.",
      );
      expect(excerpts(asking("0.0000008", "0.00000080"), "amount_exceeds_billed")).toEqual([]);
    });

    it("ignores amounts for charges that are not in the request", () => {
      const draft = clean();
      draft.amounts = { chg_other: "9999" };
      expect(excerpts(draft, "amount_exceeds_billed")).toEqual([]);
    });
  });

  describe("empty_field", () => {
    it("is an error for an empty summary or description and a warning for an empty impact statement", () => {
      const draft = clean();
      draft.summary = "";
      draft.description = " \n\t ";
      draft.impactStatement = "";
      expect(only(lintRequest(draft), "empty_field").map((i) => [i.field, i.severity])).toEqual([
        ["description", "error"],
        ["impactStatement", "warning"],
        ["summary", "error"],
      ]);
    });

    it("is an error when no line item is chosen", () => {
      const draft = clean();
      draft.lineItems = [];
      expect(only(lintRequest(draft), "empty_field").map((i) => [i.field, i.severity])).toEqual([
        ["lineItems", "error"],
      ]);
    });

    it("does not fire for short text", () => {
      expect(excerpts(withText("impactStatement", "x"), "empty_field")).toEqual([]);
    });
  });

  it("sorts issues by field, then by position", () => {
    const draft = clean();
    draft.reason = "billing_error";
    draft.lineItems = [ecsLine("chg_ecs_2")];
    draft.summary = "Maybe at 9am";
    draft.description = "I think it ran until 14:30, maybe";
    draft.impactStatement = "";
    draft.amounts = { chg_ecs_2: "500" };
    expect(lintRequest(draft).map((i) => [i.field, i.code, i.start])).toEqual([
      ["amounts.chg_ecs_2", "amount_exceeds_billed", 0],
      ["description", "vague_language", 0],
      ["description", "time_without_zone", 21],
      ["description", "vague_language", 28],
      ["evidence", "claim_without_evidence", null],
      ["impactStatement", "empty_field", null],
      ["summary", "vague_language", 0],
      ["summary", "time_without_zone", 9],
    ]);
  });

  describe("on arbitrary input", () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }), fc.integer({ min: 0, max: 12 }))
      .map(([units, scale]) => {
        const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, "0");
        const whole = digits.slice(0, digits.length - scale);
        return `${units < 0n ? "-" : ""}${whole}${scale > 0 ? `.${digits.slice(digits.length - scale)}` : ""}`;
      });
    // Pieces that trip the rules, so the property exercises real matches and not only noise.
    const piece = fc.constantFrom(
      "maybe ",
      "I think",
      "about 40",
      "可能",
      "不可能",
      "14:30",
      " UTC",
      "2026-05-03T09:00:00",
      "+08:00",
      "9am",
      " to ",
      "5 pm",
      "下午3点",
      "attached",
      "见附件",
      "i-bp1abc1234",
      "order 123456",
      "\n",
      " ",
      "😀",
      "\uD800",
    );
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc
        .array(fc.oneof(piece, fc.string({ maxLength: 3 })), { maxLength: 30 })
        .map((parts) => parts.join("")),
    );

    it("never throws, and every offset points at its excerpt", () => {
      fc.assert(
        fc.property(
          fc.record({ summary: text, description: text, impact: text }),
          fc.array(fc.option(fc.oneof(decimal, text)), { minLength: 2, maxLength: 2 }),
          fc.constantFrom("Asia/Shanghai", "America/New_York", "UTC", "Not/AZone"),
          (t, amounts, timeZone) => {
            const draft = clean();
            draft.summary = t.summary;
            draft.description = t.description;
            draft.impactStatement = t.impact;
            draft.customer.timeZone = timeZone;
            draft.amounts = { chg_ecs_1: amounts[0] ?? null, chg_ecs_2: amounts[1] ?? null };
            const issues = lintRequest(draft);
            for (const issue of issues) {
              if (issue.start === null) {
                expect(issue.end).toBeNull();
                continue;
              }
              expect(fieldText(draft, issue.field)?.slice(issue.start, issue.end ?? undefined)).toBe(
                issue.excerpt,
              );
            }
            expect(JSON.parse(JSON.stringify(issues))).toEqual(issues);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
