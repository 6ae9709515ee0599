import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import type { Command } from "commander";
import { DateTime } from "luxon";
import { loadAuditInputs } from "../audit/load-inputs.js";
import { renderCsv } from "../audit/report/render-csv.js";
import { renderHtml } from "../audit/report/render-html.js";
import { renderJson } from "../audit/report/render-json.js";
import { renderTable } from "../audit/report/render-table.js";
import { runAudit } from "../audit/run-audit.js";
import { openAnalytics } from "../billing/index.js";
import { loadPolicy } from "../policy/load-policy.js";
import { validationFailed } from "../shared/errors.js";
import { action } from "./runtime.js";

const FORMATS = ["table", "json", "html", "csv"] as const;
type ReportFormat = (typeof FORMATS)[number];

interface AuditOptions {
  charges: string[];
  usage?: string;
  subscriptions?: string;
  incidents?: string;
  promotions?: string;
  payments?: string;
  policy?: string;
  asOf?: string;
  format: string;
  out?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `refund-desk audit`, exactly as CONTRACT.md fixes it: files in, findings out, no database. */
export function registerAudit(program: Command): void {
  program
    .command("audit")
    .description(
      "Audit bills against usage, subscriptions, incidents, promotions and payments; print the findings",
    )
    .requiredOption(
      "--charges <file>",
      "FOCUS 1.x CSV (optionally .gz) or Parquet; repeat for several files",
      collect,
    )
    .option("--usage <file>", "usage intervals (JSON Lines or CSV)")
    .option("--subscriptions <file>", "subscriptions and cancellations (JSON Lines or CSV)")
    .option("--incidents <file>", "incidents (JSON Lines, CSV, or Google Cloud's status feed JSON)")
    .option("--promotions <file>", "promotions (JSON Lines or CSV)")
    .option("--payments <file>", "payments (JSON Lines or CSV)")
    .option("--policy <file>", "refund policy (JSON) instead of the built-in one")
    .option("--as-of <date>", "judge claim windows on this date (YYYY-MM-DD; default: today, UTC)")
    .option("--format <format>", `output: ${FORMATS.join(", ")}`, "table")
    .option("--out <file>", "write the report to this file instead of standard output")
    .action(
      action(async (opts: AuditOptions) => {
        if (!(FORMATS as readonly string[]).includes(opts.format))
          throw validationFailed([
            { field: "--format", code: "invalid_format", message: `must be one of ${FORMATS.join(", ")}` },
          ]);
        const asOf = opts.asOf ?? DateTime.utc().toISODate()!;
        if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || !DateTime.fromISO(asOf, { zone: "utc" }).isValid)
          throw validationFailed([
            { field: "--as-of", code: "invalid_date", message: "must be a date such as 2026-05-31" },
          ]);
        const policy = await loadPolicy(opts.policy);
        const progress = (step: string) => {
          if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${step}`);
        };
        // No database here: DuckDB spills to the system temporary folder past its memory bound.
        const analytics = await openAnalytics({
          memoryLimit: process.env.REFUND_DESK_ANALYTICS_MEMORY ?? "512MB",
          tempDirectory: tmpdir(),
        });
        try {
          progress("reading the bills and evidence…");
          const one = (file: string | undefined) => (file ? [{ path: file, displayName: file }] : undefined);
          const loaded = await loadAuditInputs(analytics, {
            charges: opts.charges.map((path) => ({ path, displayName: path })),
            usage: one(opts.usage),
            subscriptions: one(opts.subscriptions),
            incidents: one(opts.incidents),
            promotions: one(opts.promotions),
            payments: one(opts.payments),
          });
          const report = await runAudit(analytics, {
            policy,
            asOf,
            inputs: loaded.inputs,
            onProgress: (step, done, total) => progress(`auditing: ${step} (${done}/${total})`),
          });
          progress("");
          const format = opts.format as ReportFormat;
          const text =
            format === "json"
              ? renderJson(report)
              : format === "csv"
                ? renderCsv(report)
                : format === "html"
                  ? renderHtml(report, policy)
                  : renderTable(report, {
                      color: !opts.out && process.stdout.isTTY === true && !process.env.NO_COLOR,
                    });
          if (opts.out) await writeFile(opts.out, text, "utf8");
          else process.stdout.write(text);
        } finally {
          analytics.close();
        }
      }),
    );
}
