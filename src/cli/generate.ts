import cliProgress from "cli-progress";
import type { Command } from "commander";
import { GENERATE_DEFAULTS, generateDataset } from "../generator/generate-dataset.js";
import { validationFailed } from "../shared/errors.js";
import { action } from "./runtime.js";

interface GenerateFlags {
  out: string;
  seed: string;
  accounts: string;
  months: string;
  rows: string;
  currency: string;
  start: string;
  anomalyRate: string;
  clean?: boolean;
}

function wholeNumber(field: string, text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw validationFailed([
      { field, code: "not_a_number", message: `must be a whole number, not ${JSON.stringify(text)}` },
    ]);
  }
  return value;
}

function fraction(field: string, text: string): number {
  const value = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) {
    throw validationFailed([
      {
        field,
        code: "not_a_number",
        message: `must be a fraction such as 0.001, not ${JSON.stringify(text)}`,
      },
    ]);
  }
  return value;
}

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .description(
      "Write a realistic, deterministic dataset for one organisation: FOCUS charges, usage, subscriptions, " +
        "incidents, promotions, payments, and truth.json (the findings the audit must report)",
    )
    .requiredOption("--out <dir>", "output directory (created if missing; files are overwritten)")
    .requiredOption("--seed <n>", "seed: the same arguments always give byte-identical files")
    .option(
      "--accounts <n>",
      "accounts in the organisation, the first being the billing account",
      String(GENERATE_DEFAULTS.accounts),
    )
    .option("--months <n>", "billing months", String(GENERATE_DEFAULTS.months))
    .option(
      "--rows <n>",
      "data rows in charges.csv, planted anomalies included",
      String(GENERATE_DEFAULTS.rows),
    )
    .option("--currency <code>", "billing currency (ISO 4217)", GENERATE_DEFAULTS.currency)
    .option("--start <YYYY-MM>", "first billing month", GENERATE_DEFAULTS.start)
    .option("--anomaly-rate <fraction>", "planted anomalies per row", String(GENERATE_DEFAULTS.anomalyRate))
    .option("--clean", "plant no anomalies (the audit must find nothing)")
    .action(
      action(async (flags: GenerateFlags) => {
        const rows = wholeNumber("rows", flags.rows);
        const bar = process.stderr.isTTY
          ? new cliProgress.SingleBar(
              {
                stream: process.stderr,
                format: "generate [{bar}] {percentage}% | {value}/{total} rows | {duration_formatted}",
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : null;
        bar?.start(rows, 0);
        try {
          const result = await generateDataset({
            outDir: flags.out,
            seed: wholeNumber("seed", flags.seed),
            accounts: wholeNumber("accounts", flags.accounts),
            months: wholeNumber("months", flags.months),
            rows,
            currency: flags.currency,
            start: flags.start,
            anomalyRate: fraction("anomaly-rate", flags.anomalyRate),
            clean: flags.clean ?? false,
            onProgress: (done) => bar?.update(done),
          });
          bar?.update(rows);
          bar?.stop();
          const kinds = new Set(result.findings.map((f) => f.kind)).size;
          process.stdout.write(
            `Wrote ${result.rows} charges and ${result.findings.length} planted findings (${kinds} kinds) to ${result.outDir}; ` +
              `audit it --as-of ${result.asOf}.\n`,
          );
        } catch (error) {
          bar?.stop();
          throw error;
        }
      }),
    );
}
