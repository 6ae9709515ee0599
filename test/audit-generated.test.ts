/**
 * runAudit against the generator's truth.json over many seeds: every planted finding is found with
 * exactly its kind, account, charges, amount, currency, outcome, claimability and clauses, nothing
 * else is found, and a --clean dataset yields no finding at all. The generator computes its truth
 * from docs/audit-rules.md on its own (src/generator/truth.ts); nothing is shared with the audit.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AuditReport } from "../src/audit/finding.js";
import { loadAuditInputs } from "../src/audit/load-inputs.js";
import { runAudit } from "../src/audit/run-audit.js";
import { openAnalytics } from "../src/billing/index.js";
import { type GenerateDatasetOptions, generateDataset } from "../src/generator/generate-dataset.js";
import { DEFAULT_POLICY } from "../src/policy/default-policy.js";

interface TruthFinding {
  id: string;
  kind: string;
  accountId: string;
  charges: string[];
  amount: string;
  currency: string;
  outcome: string;
  claimable: boolean;
  clauses: string[];
}
interface Truth {
  generator: { asOf: string };
  summary: AuditReport["summary"];
  findings: TruthFinding[];
}

const root = mkdtempSync(join(tmpdir(), "refund-desk-audit-gen-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FILES = ["usage", "subscriptions", "incidents", "promotions", "payments"] as const;

async function auditDataset(
  options: Omit<GenerateDatasetOptions, "outDir">,
): Promise<{ truth: Truth; report: AuditReport }> {
  const dir = join(root, `seed-${options.seed}-${options.clean ? "clean" : "planted"}`);
  await generateDataset({ outDir: dir, ...options });
  const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as Truth;
  const analytics = await openAnalytics({ threads: 2 });
  try {
    const file = (name: string) => [{ path: join(dir, name), displayName: name }];
    await loadAuditInputs(analytics, {
      charges: file("charges.csv"),
      ...Object.fromEntries(FILES.map((kind) => [kind, file(`${kind}.jsonl`)])),
    });
    const report = await runAudit(analytics, { policy: DEFAULT_POLICY, asOf: truth.generator.asOf });
    return { truth, report };
  } finally {
    analytics.close();
  }
}

/** What truth.json states about a finding, keyed by id. */
function byId(findings: readonly TruthFinding[]): Map<string, Omit<TruthFinding, "id">> {
  return new Map(
    findings.map(({ id, kind, accountId, charges, amount, currency, outcome, claimable, clauses }) => [
      id,
      { kind, accountId, charges, amount, currency, outcome, claimable, clauses },
    ]),
  );
}

const SEEDS: Omit<GenerateDatasetOptions, "outDir">[] = [
  { seed: 1, rows: 5000 },
  { seed: 2, rows: 3000, months: 1 },
  { seed: 3, rows: 8000, months: 2, anomalyRate: 0.004 },
  { seed: 4, rows: 6000, currency: "JPY" },
  { seed: 5, rows: 4000, currency: "EUR", accounts: 8 },
  { seed: 6, rows: 20_000, anomalyRate: 0.003 },
  { seed: 7, rows: 3000, accounts: 3, months: 4 },
  { seed: 8, rows: 12_000, start: "2027-12", anomalyRate: 0.004 },
  { seed: 9, rows: 5000, start: "2028-01", months: 2, anomalyRate: 0.005 },
  { seed: 10, rows: 7000, currency: "CNY" },
  { seed: 11, rows: 4000, months: 1, anomalyRate: 0.006 },
  { seed: 12, rows: 9000, accounts: 60 },
  { seed: 13, rows: 3500, months: 6 },
  { seed: 14, rows: 15_000, anomalyRate: 0.002, currency: "JPY" },
  { seed: 15, rows: 5000, accounts: 12, anomalyRate: 0.005 },
  { seed: 16, rows: 6500, start: "2026-11", months: 3 },
  { seed: 17, rows: 3000, anomalyRate: 0.01 },
  { seed: 18, rows: 10_000, months: 2 },
  { seed: 19, rows: 4500, currency: "EUR", anomalyRate: 0.004 },
  { seed: 20, rows: 20_000, months: 5 },
  { seed: 21, rows: 5500, accounts: 5, anomalyRate: 0.008 },
  { seed: 22, rows: 8000, start: "2025-02", months: 1 },
];

describe("runAudit › generated datasets", () => {
  it.each(SEEDS)("finds exactly the findings of truth.json (seed $seed, $rows rows)", async (options) => {
    const { truth, report } = await auditDataset(options);
    expect(truth.findings.length).toBeGreaterThan(0);
    expect(byId(report.findings)).toEqual(byId(truth.findings));
    expect(report.findings.map((f) => f.id)).toEqual(truth.findings.map((f) => f.id));
    expect(report.summary).toEqual(truth.summary);
    for (const f of report.findings) {
      expect(f.explanation).toMatch(/\(UTC\)/);
      expect(f.evidence.filter((e) => e.type === "charge").map((e) => e.ref)).toEqual(f.charges);
    }
  });

  it.each([
    { seed: 101, rows: 6000, clean: true },
    { seed: 102, rows: 12_000, months: 2, clean: true, currency: "JPY" },
    { seed: 103, rows: 4000, months: 4, clean: true },
  ])("finds nothing in a clean dataset (seed $seed)", async (options) => {
    const { truth, report } = await auditDataset(options);
    expect(truth.findings).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.summary).toEqual({ charges: options.rows, findings: 0, refundable: {} });
  });
});
