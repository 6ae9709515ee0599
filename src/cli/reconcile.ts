import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { importSettlement } from "../reconciliation/import-settlement.js";
import { allMatched } from "../reconciliation/match-settlement.js";
import { renderReconciliationTable } from "../reconciliation/render-report.js";
import { SYSTEM_ACTORS } from "../shared/context.js";
import { AppError, validationFailed } from "../shared/errors.js";
import { action, openServices } from "./runtime.js";

const FORMATS = ["table", "json"] as const;

/**
 * NOTE: exit codes. 0: every line matched and nothing is missing; 3: the file was reconciled and
 * stored, but something did not match (finance tasks were opened) — distinct from 1 (our failure)
 * and 2 (a bad file or option, nothing stored), so a nightly script can tell them apart.
 */
export const EXIT_RECONCILIATION_MISMATCH = 3;

export function registerReconcile(program: Command): void {
  program
    .command("reconcile")
    .description(
      "Reconcile a payment gateway settlement CSV against our payouts and ledger; store the report and open " +
        "finance tasks for mismatches. Exit 0: all matched; 3: mismatches or missing items; 2: bad file",
    )
    .argument("<file>", "the gateway's daily settlement file (CSV)")
    .option("--format <format>", `output: ${FORMATS.join(", ")}`, "table")
    .option("--date <date>", "the day a file with a header only is for (YYYY-MM-DD)")
    .action(
      action(async (path: string, opts: { format: string; date?: string }) => {
        if (!(FORMATS as readonly string[]).includes(opts.format))
          throw validationFailed([
            { field: "--format", code: "invalid_format", message: `must be one of ${FORMATS.join(", ")}` },
          ]);
        let content: Buffer;
        try {
          content = await readFile(path);
        } catch (error) {
          throw new AppError(
            "validation_failed",
            `${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? "error"})`,
            {
              extensions: { file: path },
            },
          );
        }
        const services = await openServices();
        try {
          const result = await importSettlement(
            services,
            { actor: SYSTEM_ACTORS.cli, requestId: null },
            { fileName: basename(path), content, settlementDate: opts.date },
          );
          const meta = { importId: result.import.id, duplicate: result.duplicate };
          process.stdout.write(
            opts.format === "json"
              ? `${JSON.stringify({ id: result.import.id, duplicate: result.duplicate, ...result.report }, null, 2)}\n`
              : renderReconciliationTable(result.report, meta),
          );
          if (!allMatched(result.report.totals)) process.exitCode = EXIT_RECONCILIATION_MISMATCH;
        } finally {
          await services.store.close();
        }
      }),
    );
}
