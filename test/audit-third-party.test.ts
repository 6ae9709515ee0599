/**
 * runAudit over the third-party files in ../shared/data (FOCUS specification examples, Azure EA,
 * legacy AWS CUR, a GCP billing export with the Google Cloud status feed): no exception, and
 * summaries that agree with the findings. Nobody on this project wrote these files; see
 * ../shared/data/README.md for their origin and licences.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { AuditReport } from "../src/audit/finding.js";
import { type AuditInputFiles, loadAuditInputs } from "../src/audit/load-inputs.js";
import { runAudit } from "../src/audit/run-audit.js";
import { openAnalytics } from "../src/billing/index.js";
import { Money } from "../src/money/index.js";
import { DEFAULT_POLICY } from "../src/policy/default-policy.js";

const DATA = fileURLToPath(new URL("../../shared/data/", import.meta.url));

const file = (name: string) => ({ path: `${DATA}${name}`, displayName: name, defaultCurrency: "USD" });
const corrections = (name: string) => file(`focus_spec_corrections/${name}.csv`);
const commitments = (name: string) => file(`focus_spec_commitments/${name}.csv`);

async function audit(
  files: Omit<AuditInputFiles, "charges"> & { charges: AuditInputFiles["charges"] },
  asOf = "2026-06-15",
) {
  const analytics = await openAnalytics();
  try {
    const loaded = await loadAuditInputs(analytics, files);
    const report = await runAudit(analytics, { policy: DEFAULT_POLICY, asOf });
    return { loaded, report };
  } finally {
    analytics.close();
  }
}

/** The summary agrees with the findings, and every finding is well-formed. */
function expectSane(report: AuditReport, charges: number): void {
  expect(report.summary.charges).toBe(charges);
  expect(report.summary.findings).toBe(report.findings.length);
  const sums = new Map<string, Money>();
  for (const f of report.findings) {
    expect(f.id).toMatch(/^f-[0-9a-f]{16}$/);
    expect(f.charges.length).toBeGreaterThan(0);
    expect(f.currency).toMatch(/^[A-Z]{3}$/);
    expect(Money.of(f.amount, f.currency).isPositive()).toBe(true);
    expect(f.explanation).toMatch(/\(UTC\)/);
    if (f.claimable)
      sums.set(
        f.currency,
        (sums.get(f.currency) ?? Money.zero(f.currency)).plus(Money.of(f.amount, f.currency)),
      );
  }
  expect(report.summary.refundable).toEqual(
    Object.fromEntries([...sums].map(([c, m]) => [c, m.toFixedMinor()])),
  );
}

describe("runAudit › FOCUS correction examples", () => {
  const original = corrections("closed_s1_partial_reallocation_original");
  const delta = corrections("closed_s1_partial_reallocation_delta");
  const ledger = corrections("closed_s1_partial_reallocation_ledger");

  it.each([
    ["delta", [original, delta], 3],
    ["ledger", [original, ledger], 4],
    // Both styles at once repeat the +300.00 R-222 correction: corrections are never claimed, so it is no duplicate.
    ["delta and ledger", [original, delta, ledger], 6],
  ] as const)("claims nothing for R-111 / R-222 of scenario 1 (%s)", async (_name, charges, rows) => {
    const { report } = await audit({ charges: [...charges] });
    expectSane(report, rows);
    expect(report.findings).toEqual([]);
  });

  it.each([
    ["closed_s2_late_arriving_usage_delta", "closed_s2_late_arriving_usage_ledger"],
    ["closed_s3_itemized_cost_only_original", "closed_s3_itemized_cost_only_ledger"],
    ["closed_s4_bulk_cost_only_original", "closed_s4_bulk_cost_only_ledger"],
  ])("audits %s with its corrections without a finding", async (a, b) => {
    const { loaded, report } = await audit({ charges: [corrections(a), corrections(b)] });
    expectSane(report, loaded.charges);
    expect(report.findings).toEqual([]);
  });
});

describe("runAudit › FOCUS commitment examples", () => {
  const files = [
    commitments("commitment_discount_purchase_scenario_1"),
    commitments("commitment_discount_usage_scenario_1"),
    commitments("commitment_discount_usage_scenario_4"),
    commitments("zero_percent_utilization_without_commitment_discount_flexibility"),
  ];

  it("finds the unused hour of the one-year commitment, long past its claim window", async () => {
    const { report } = await audit({ charges: files });
    expectSane(report, 7);
    // The Unused row's EffectiveCost 1.50 falls within the 2023 term of the 8,760.00 purchase: 1.50 × 100 %.
    // The recurring (no upfront) purchase of the zero-utilisation example is not prepaid.
    expect(report.findings.map((f) => [f.kind, f.charges, f.amount, f.claimable])).toEqual([
      [
        "unused_prepaid_credit",
        [
          "focus_spec_commitments/commitment_discount_purchase_scenario_1.csv:2",
          "focus_spec_commitments/zero_percent_utilization_without_commitment_discount_flexibility.csv:4",
        ],
        "1.50",
        false,
      ],
    ]);
    // Term end 2024-01-01 + 90 days.
    expect(report.findings[0]!.details.claimBy).toBe("2024-03-31");
  });

  it("makes it claimable within 90 days of the term's end", async () => {
    const { report } = await audit({ charges: files }, "2024-02-01");
    expectSane(report, 7);
    expect(report.summary.refundable).toEqual({ USD: "1.50" });
  });
});

describe("runAudit › native bills", () => {
  it.each([
    ["azure_ea_actualcost_small.csv", 11],
    ["azure_ea_amortizedcost_small.csv", 28],
    ["aws_cur_legacy_synthetic.csv", 19],
  ])("audits %s", async (name, rows) => {
    const { report } = await audit({ charges: [file(name)] });
    expectSane(report, rows);
  });

  it("audits the GCP export (credits as rows of their own) against the Google Cloud status feed", async () => {
    const { loaded, report } = await audit({
      charges: [file("gcp_billing_export_202011_promo_credits.csv")],
      incidents: [
        { path: `${DATA}gcp_status_incidents_2021-07_2022-07.json`, displayName: "incidents.json" },
      ],
    });
    expect(loaded.evidence.incidents).toBeGreaterThan(100);
    expectSane(report, loaded.charges);
    expect(loaded.charges).toBeGreaterThan(25);
  });
});
