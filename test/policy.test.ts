import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FINDING_KINDS } from "../src/audit/finding.js";
import { clauseText } from "../src/policy/clause-text.js";
import { DEFAULT_POLICY, KIND_CLAUSE_IDS } from "../src/policy/default-policy.js";
import { loadPolicy, parsePolicy, validatePolicy } from "../src/policy/load-policy.js";
import type { Policy } from "../src/policy/policy.js";
import {
  claimDeadline,
  isClaimableOn,
  isNonRefundablePromotion,
  productRuleFor,
  slaCreditPercent,
} from "../src/policy/policy-rules.js";
import { SLA_TABLES, type SlaEntry } from "../src/policy/sla-tables.js";
import { AppError } from "../src/shared/errors.js";

const clone = (): Policy => JSON.parse(JSON.stringify(DEFAULT_POLICY)) as Policy;

function entry(clauseId: string): SlaEntry {
  const found = DEFAULT_POLICY.sla.find((e) => e.clauseId === clauseId);
  if (found === undefined) throw new Error(`no SLA entry ${clauseId}`);
  return found;
}

/** The validation_failed error `fn` throws (fails the test when it throws nothing or something else). */
function validationError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("validation_failed");
    return error as AppError;
  }
  throw new Error("expected validation_failed, nothing was thrown");
}

describe("default policy", () => {
  it("has the version and the defaults the audit rules fix", () => {
    expect(DEFAULT_POLICY.version).toBe("2026-11-01");
    expect(DEFAULT_POLICY.claimWindows).toMatchObject({
      defaultMonthsAfterCharge: 12,
      slaBillingCyclesAfterIncident: 2,
      prepaidDaysAfterTermEnd: 90,
    });
    expect(DEFAULT_POLICY.prepaid.refundablePercent).toBe("100");
    expect(DEFAULT_POLICY.tolerances.minimumAmount).toBe("0.01");
    expect(DEFAULT_POLICY.sla.map((e) => e.clauseId)).toEqual(SLA_TABLES.map((e) => e.clauseId));
  });

  it("validates against its own schema, also after a round trip through JSON", () => {
    expect(validatePolicy(DEFAULT_POLICY, "default")).toBe(DEFAULT_POLICY);
    expect(parsePolicy(JSON.stringify(DEFAULT_POLICY, null, 2), "default.json")).toEqual(DEFAULT_POLICY);
  });

  it("loads without a file", async () => {
    expect(await loadPolicy()).toBe(DEFAULT_POLICY);
  });

  it("defines a clause, with a title and text, for every finding kind", () => {
    expect(Object.values(KIND_CLAUSE_IDS).sort()).toEqual(
      [
        "billed-beyond-usage",
        "charged-after-cancellation",
        "duplicate-charge",
        "promotion-not-applied",
        "rate-above-contract",
        "sla-credit",
        "unused-prepaid-credit",
      ].sort(),
    );
    for (const kind of FINDING_KINDS) {
      const clause = clauseText(DEFAULT_POLICY, KIND_CLAUSE_IDS[kind]);
      expect(clause.title.length).toBeGreaterThan(5);
      expect(clause.text.length).toBeGreaterThan(60);
    }
  });

  it("defines every clause id an SLA entry or a product rule cites", () => {
    const cited = [
      ...DEFAULT_POLICY.sla.map((e) => e.clauseId),
      ...DEFAULT_POLICY.products.flatMap((r) => [
        ...r.clauseIds,
        ...(r.noReasonRefund ? [r.noReasonRefund.clauseId] : []),
      ]),
    ];
    expect(cited.length).toBeGreaterThan(10);
    for (const id of cited) expect(Object.hasOwn(DEFAULT_POLICY.clauses, id), id).toBe(true);
  });

  it("gives each SLA entry an https source, quoted in its clause, and flags unconfirmed figures", () => {
    for (const e of DEFAULT_POLICY.sla) {
      expect(e.sourceUrl).toMatch(/^https:\/\/\S+$/);
      const clause = clauseText(DEFAULT_POLICY, e.clauseId);
      expect(clause.source).toBe(e.sourceUrl);
      expect(clause.text).toContain(`${e.thresholdPercent} %`);
      for (const tier of e.tiers) expect(clause.text).toContain(`${tier.creditPercent} % when`);
      expect(clause.text.includes("unconfirmed")).toBe(!e.confirmed);
    }
    expect(DEFAULT_POLICY.sla.some((e) => !e.confirmed)).toBe(true);
  });

  it("has product rules for Alibaba Cloud subscription and pay-as-you-go, AWS and a catch-all", () => {
    const sub = productRuleFor(DEFAULT_POLICY, "Alibaba Cloud", "Elastic Compute Service", "subscription");
    expect(sub?.id).toBe("alibaba-subscription");
    expect(sub?.noReasonRefund).toEqual({
      windowDays: 5,
      oncePerCalendarYearPerService: true,
      clauseId: "alibaba-five-day-no-reason-refund",
    });
    expect(sub?.refundFormula).toBe("cash_paid_minus_consumed");
    expect(sub?.vouchersRefundableInCash).toBe(false);
    for (const service of ["oss", "Object Storage Service", "ApsaraDB RDS", "rds", "ecs"]) {
      expect(productRuleFor(DEFAULT_POLICY, "Alibaba Cloud", service, "subscription")?.id).toBe(
        "alibaba-subscription",
      );
      expect(productRuleFor(DEFAULT_POLICY, "Alibaba Cloud", service, "pay_as_you_go")?.id).toBe(
        "alibaba-pay-as-you-go",
      );
    }
    const payg = productRuleFor(DEFAULT_POLICY, "Alibaba Cloud", "ecs", "pay_as_you_go");
    expect(payg?.noReasonRefund).toBeNull();
    expect(payg?.vouchersRefundableInCash).toBe(false);

    const aws = productRuleFor(DEFAULT_POLICY, "AWS", "Amazon Elastic Compute Cloud");
    expect(aws?.id).toBe("aws");
    expect(aws?.noReasonRefund).toBeNull();
    expect(aws?.currencyMustMatch).toBe(true);

    expect(productRuleFor(DEFAULT_POLICY, "Alibaba Cloud", "Function Compute", "subscription")?.id).toBe(
      "default",
    );
    expect(productRuleFor(DEFAULT_POLICY, "Microsoft", "Virtual Machines")?.id).toBe("default");
    for (const rule of DEFAULT_POLICY.products) {
      expect(rule.clauseIds.length).toBeGreaterThan(0);
      expect(isNonRefundablePromotion(rule, "FREE-TRIAL-2026")).toBe(true);
      expect(isNonRefundablePromotion(rule, "SPRING-2026")).toBe(false);
    }
  });

  it("finds a clause's text, and throws not_found for unknown ids (prototype keys included)", () => {
    expect(clauseText(DEFAULT_POLICY, "duplicate-charge")).toEqual({
      id: "duplicate-charge",
      title: DEFAULT_POLICY.clauses["duplicate-charge"]!.title,
      text: DEFAULT_POLICY.clauses["duplicate-charge"]!.text,
      source: null,
    });
    for (const id of ["no-such-clause", "constructor", "__proto__", "toString"]) {
      expect(() => clauseText(DEFAULT_POLICY, id)).toThrowError(
        expect.objectContaining({ code: "not_found" }),
      );
    }
  });
});

describe("productRuleFor", () => {
  const policy = {
    products: [
      { ...DEFAULT_POLICY.products[0]!, id: "first", providerName: "X", serviceNames: ["a"] },
      { ...DEFAULT_POLICY.products[0]!, id: "second", providerName: "X", serviceNames: ["*"] },
      { ...DEFAULT_POLICY.products[0]!, id: "third", providerName: "*", serviceNames: ["a"] },
    ],
  };
  it("takes the first match in order, with * as a wildcard, and null when nothing matches", () => {
    expect(productRuleFor(policy, "X", "a")?.id).toBe("first");
    expect(productRuleFor(policy, "X", "b")?.id).toBe("second");
    expect(productRuleFor(policy, "Y", "a")?.id).toBe("third");
    expect(productRuleFor(policy, "Y", "b")).toBeNull();
    expect(productRuleFor(policy, "X", "a", "pay_as_you_go")).toBeNull();
  });
});

describe("slaCreditPercent", () => {
  const ec2 = entry("sla-aws-ec2-region");
  const s3 = entry("sla-aws-s3");

  it.each([
    ["100", null],
    ["99.99", null],
    ["99.990000", null],
    ["99.9900001", null],
    ["99.989999", "10"],
    ["99.989", "10"],
    ["99.0", "10"],
    ["99", "10"],
    ["98.999999", "30"],
    ["98.999", "30"],
    ["95.0", "30"],
    ["94.999999", "100"],
    ["94.999", "100"],
    ["0", "100"],
  ])("EC2 at %s %% → %s", (availability, credit) => {
    expect(slaCreditPercent(ec2, availability)).toBe(credit);
  });

  it.each([
    ["99.9", null],
    ["99.95", null],
    ["99.899999", "10"],
    ["99.0", "10"],
    ["98.999", "25"],
    ["95.0", "25"],
    ["94.999", "100"],
  ])("S3 at %s %% → %s", (availability, credit) => {
    expect(slaCreditPercent(s3, availability)).toBe(credit);
  });

  it("compares exactly, not in floating point", () => {
    // 99.99 - 1e-20 is 99.99 in a double; as a decimal it is below the threshold.
    expect(slaCreditPercent(ec2, "99.98999999999999999999")).toBe("10");
    expect(slaCreditPercent(entry("sla-alibaba-ecs-single-instance"), "99.975")).toBeNull();
    expect(slaCreditPercent(entry("sla-alibaba-ecs-single-instance"), "99.974999")).toBe("10");
    expect(slaCreditPercent(entry("sla-aws-rds-multi-az"), "99.949")).toBe("10");
  });

  it("caps the credit at the entry's maximum and rejects a malformed availability", () => {
    const capped: SlaEntry = { ...ec2, maxCreditPercent: "50" };
    expect(slaCreditPercent(capped, "10")).toBe("50");
    expect(slaCreditPercent(capped, "98")).toBe("30");
    expect(() => slaCreditPercent(ec2, "99,5")).toThrowError(
      expect.objectContaining({ code: "validation_failed" }),
    );
  });
});

describe("claimDeadline", () => {
  const p = DEFAULT_POLICY;

  it("gives 12 months after the charge period's end by default, across month ends and leap years", () => {
    const at = (chargePeriodEnd: string) => claimDeadline(p, "duplicate_charge", { chargePeriodEnd });
    expect(at("2026-02-01T00:00:00Z")).toBe("2027-01-31");
    expect(at("2026-01-01T00:00:00Z")).toBe("2026-12-31");
    // A February 2024 (leap) charge ends on 1 March; the window closes on 1 March 2025.
    expect(at("2024-03-01T00:00:00Z")).toBe("2025-02-28");
    // Ending on 1 March 2023, the window's last day is 29 February 2024.
    expect(at("2023-03-01T00:00:00Z")).toBe("2024-02-29");
    // 29 February plus 12 months is clamped to 28 February.
    expect(at("2024-02-29T12:00:00Z")).toBe("2025-02-28");
    expect(at("2026-01-31T00:00:00Z")).toBe("2027-01-30");
    // Mid-day end: the end day itself is still claimable a year later.
    expect(at("2026-05-15T12:00:00Z")).toBe("2027-05-15");
    // No offset means UTC; an offset is converted to UTC first.
    expect(at("2026-02-01T00:00:00")).toBe("2027-01-31");
    expect(at("2026-02-01T00:00:00+08:00")).toBe("2027-01-31");
    expect(at("2026-02-01")).toBe("2027-01-31");
    for (const kind of FINDING_KINDS.filter((k) => k !== "sla_credit" && k !== "unused_prepaid_credit")) {
      expect(claimDeadline(p, kind, { chargePeriodEnd: "2026-02-01T00:00:00Z" })).toBe("2027-01-31");
    }
  });

  it("gives SLA credits until the end of the second billing cycle after the incident month", () => {
    const at = (incidentMonth: string) =>
      claimDeadline(p, "sla_credit", { chargePeriodEnd: "2026-02-01T00:00:00Z", incidentMonth });
    expect(at("2026-01")).toBe("2026-03-31");
    expect(at("2025-12")).toBe("2026-02-28");
    expect(at("2023-12")).toBe("2024-02-29");
    expect(at("2026-11")).toBe("2027-01-31");
    expect(at("2026-06")).toBe("2026-08-31");
    // Without an incident month: the month the charge period ends in.
    expect(claimDeadline(p, "sla_credit", { chargePeriodEnd: "2026-02-01T00:00:00Z" })).toBe("2026-03-31");
  });

  it("gives prepaid commitments 90 days after the term's end", () => {
    const at = (termEnd: string) =>
      claimDeadline(p, "unused_prepaid_credit", { chargePeriodEnd: "2020-01-01T00:00:00Z", termEnd });
    expect(at("2024-01-01T00:00:00Z")).toBe("2024-03-30");
    expect(at("2025-01-01T00:00:00Z")).toBe("2025-03-31");
    expect(at("2025-12-01T00:00:00Z")).toBe("2026-02-28");
    expect(claimDeadline(p, "unused_prepaid_credit", { chargePeriodEnd: "2025-01-01T00:00:00Z" })).toBe(
      "2025-03-31",
    );
  });

  it("applies per-kind overrides and rejects malformed dates", () => {
    const policy = { claimWindows: { ...p.claimWindows, byKind: { rate_above_contract: 3, sla_credit: 1 } } };
    expect(claimDeadline(policy, "rate_above_contract", { chargePeriodEnd: "2026-02-01T00:00:00Z" })).toBe(
      "2026-04-30",
    );
    expect(
      claimDeadline(policy, "sla_credit", {
        chargePeriodEnd: "2026-02-01T00:00:00Z",
        incidentMonth: "2026-01",
      }),
    ).toBe("2026-02-28");
    expect(claimDeadline(policy, "duplicate_charge", { chargePeriodEnd: "2026-02-01T00:00:00Z" })).toBe(
      "2027-01-31",
    );
    for (const bad of ["", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30"]) {
      validationError(() => claimDeadline(p, "duplicate_charge", { chargePeriodEnd: bad }));
    }
    validationError(() =>
      claimDeadline(p, "sla_credit", { chargePeriodEnd: "2026-02-01", incidentMonth: "2026-1" }),
    );
  });

  it("judges claimability by day", () => {
    expect(isClaimableOn("2026-03-31", "2026-03-31")).toBe(true);
    expect(isClaimableOn("2026-03-31", "2026-04-01")).toBe(false);
    expect(isClaimableOn("2026-03-31", "2025-12-31")).toBe(true);
  });
});

describe("loadPolicy with a file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "policy-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, content: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, content);
    return file;
  }

  async function loadError(file: string): Promise<AppError> {
    const error = await loadPolicy(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("validation_failed");
    expect((error as AppError).status).toBe(400);
    return error as AppError;
  }

  it("loads a valid file (with a byte-order mark) and keeps its edits", async () => {
    const edited = clone();
    edited.version = "2027-01-01";
    edited.claimWindows.byKind = { duplicate_charge: 24 };
    const file = await write("good.json", `\uFEFF${JSON.stringify(edited)}`);
    const policy = await loadPolicy(file);
    expect(policy.version).toBe("2027-01-01");
    expect(claimDeadline(policy, "duplicate_charge", { chargePeriodEnd: "2026-02-01T00:00:00Z" })).toBe(
      "2028-01-31",
    );
  });

  it("names the file and the JSON path of a wrong type, a missing field and an unknown field", async () => {
    const bad = clone() as unknown as Record<string, unknown> & { claimWindows: Record<string, unknown> };
    bad.claimWindows.defaultMonthsAfterCharge = "12";
    (bad.sla as Record<string, unknown>[])[1]!.thresholdPercent = 99.9;
    delete (bad.clauses as Record<string, Record<string, unknown>>)["duplicate-charge"]!.text;
    bad.surprise = true;
    const file = await write("wrong-type.json", JSON.stringify(bad));
    const error = await loadError(file);
    const lines = error.message.split("\n");
    expect(lines).toContain(`${file}: $.claimWindows.defaultMonthsAfterCharge: must be integer`);
    expect(lines).toContain(`${file}: $.sla[1].thresholdPercent: must be string`);
    expect(lines).toContain(`${file}: $.clauses["duplicate-charge"].text: is required`);
    expect(lines.some((l) => l.startsWith(`${file}: $.surprise: `))).toBe(true);
    expect(error.fieldErrors.map((f) => f.field)).toContain("$.sla[1].thresholdPercent");
  });

  it("rejects a clause id that is cited but not defined", async () => {
    const bad = clone();
    bad.sla[0] = { ...bad.sla[0]!, clauseId: "sla-nowhere" };
    bad.products[1] = { ...bad.products[1]!, clauseIds: [...bad.products[1]!.clauseIds, "ghost-clause"] };
    delete bad.clauses["rate-above-contract"];
    const file = await write("unknown-clause.json", JSON.stringify(bad));
    const lines = (await loadError(file)).message.split("\n");
    expect(
      lines.some((l) => l.startsWith(`${file}: $.sla[0].clauseId: `) && l.includes('"sla-nowhere"')),
    ).toBe(true);
    expect(
      lines.some(
        (l) => l.startsWith(`${file}: $.products[1].clauseIds[5]: `) && l.includes('"ghost-clause"'),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}: $.clauses["rate-above-contract"]: `))).toBe(true);
  });

  it("rejects bad decimals and out-of-order or out-of-range SLA tiers", async () => {
    const bad = clone();
    bad.prepaid.refundablePercent = "1,5";
    bad.tolerances.minimumAmount = "0x10";
    bad.sla[0] = {
      ...bad.sla[0]!,
      tiers: [
        { below: "99.0", creditPercent: "10" },
        { below: "99.5", creditPercent: "30" },
        { below: "90", creditPercent: "101" },
      ],
    };
    const file = await write("bad-decimal.json", JSON.stringify(bad));
    const lines = (await loadError(file)).message.split("\n");
    expect(
      lines.some((l) => l.startsWith(`${file}: $.prepaid.refundablePercent: "1,5" must be a plain decimal`)),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}: $.tolerances.minimumAmount: "0x10"`))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}: $.sla[0].tiers[1].below: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}: $.sla[0].tiers[2].creditPercent: `))).toBe(true);
  });

  it("reports malformed JSON with its line and column", async () => {
    const file = await write("malformed.json", '{\n  "version": "1",\n  "clauses": {,}\n}\n');
    const error = await loadError(file);
    expect(error.message).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\$: is not valid JSON at line 3, column 15`,
      ),
    );
  });

  it("reports a missing file and a document that is not an object", async () => {
    const missing = join(dir, "missing.json");
    expect((await loadError(missing)).message).toBe(`${missing}: $: cannot be read (ENOENT)`);
    const file = await write("array.json", "[]");
    expect((await loadError(file)).message).toBe(`${file}: $: must be object`);
  });
});
