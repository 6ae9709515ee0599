import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDataset } from "../src/generator/generate-dataset.js";
import { runCli } from "./support/cli.js";

interface Report {
  summary: { charges: number; findings: number; refundable: Record<string, string> };
  findings: Array<{
    id: string;
    kind: string;
    amount: string;
    currency: string;
    charges: string[];
    claimable: boolean;
    explanation: string;
    clauses: string[];
  }>;
}

describe("refund-desk audit (the contract's command)", () => {
  let dir: string;
  let asOf: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "refund-desk-audit-cli-"));
    asOf = (
      await generateDataset({
        outDir: dir,
        seed: 5,
        rows: 3000,
        accounts: 3,
        months: 2,
        currency: "EUR",
        clean: false,
      })
    ).asOf;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Findings cite files by the name given on the command line, as truth.json does.
  const files = () => [
    "--charges",
    "charges.csv",
    ...["usage", "subscriptions", "incidents", "promotions", "payments"].flatMap((k) => [
      `--${k}`,
      `${k}.jsonl`,
    ]),
  ];

  it("prints the JSON document of the contract, finding exactly what was planted, and exits 0", async () => {
    const out = join(dir, "report.json");
    const res = await runCli(
      ["audit", ...files(), "--as-of", asOf, "--format", "json", "--out", out],
      {},
      undefined,
      dir,
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const report = JSON.parse(readFileSync(out, "utf8")) as Report;
    const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as Report;
    expect(report.summary).toEqual(truth.summary);
    const key = (f: Report["findings"][number]) =>
      [f.id, f.kind, f.amount, f.currency, f.charges.join(" ")].join("|");
    expect(report.findings.map(key).sort()).toEqual(truth.findings.map(key).sort());
    for (const f of report.findings) {
      expect(f.claimable).toBe(true);
      expect(f.explanation).toContain("(UTC)");
      expect(f.clauses.length).toBeGreaterThan(0);
      expect(f.charges[0]).toMatch(/^charges\.csv:\d+$/);
    }
  });

  it("exits 2 naming the file, line and column of a bad row, and 2 for an unknown format", async () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(
      bad,
      "ChargePeriodStart,ChargePeriodEnd,BilledCost,BillingCurrency\n2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,1.00,USD\n2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,one,USD\n",
    );
    const res = await runCli(["audit", "--charges", bad, "--as-of", asOf], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${bad}:3: column BilledCost`);
    const fmt = await runCli(["audit", "--charges", bad, "--format", "pdf"], {});
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toContain("--format");
  });
});
