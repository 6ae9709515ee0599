import { basename } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { BILL_FORMATS, type BillFormat } from "../billing/charge.js";
import { importFile } from "../imports/import-file.js";
import { IMPORT_KINDS, isImportKind } from "../imports/import-kinds.js";
import { writeInvalidReport } from "../imports/report-invalid.js";
import { SYSTEM_ACTORS } from "../shared/context.js";
import { validationFailed } from "../shared/errors.js";
import { action, openServices } from "./runtime.js";

interface ImportOptions {
  organisation: string;
  kind: string;
  format?: string;
  reportInvalid?: string;
}

export function registerImport(program: Command): void {
  program
    .command("import")
    .description(
      "Import bills (FOCUS CSV/CSV.gz/Parquet, Alibaba, Azure EA, AWS CUR, GCP export) or evidence files",
    )
    .argument("<files...>", "files to import, in order")
    .requiredOption("--organisation <id>", "the customer organisation the files belong to")
    .option("--kind <kind>", `what the files hold: ${IMPORT_KINDS.join(", ")}`, "charges")
    .option(
      "--format <format>",
      `bill format, instead of detecting it from the header: ${BILL_FORMATS.join(", ")}`,
    )
    .option(
      "--report-invalid <file>",
      "import the valid rows and write every rejected row with its reason to this CSV",
    )
    .action(
      action(async (files: string[], opts: ImportOptions) => {
        if (!isImportKind(opts.kind))
          throw validationFailed([
            { field: "--kind", code: "invalid_kind", message: `must be one of ${IMPORT_KINDS.join(", ")}` },
          ]);
        if (opts.format !== undefined && !(BILL_FORMATS as readonly string[]).includes(opts.format))
          throw validationFailed([
            {
              field: "--format",
              code: "invalid_format",
              message: `must be one of ${BILL_FORMATS.join(", ")}`,
            },
          ]);
        const services = await openServices();
        const tty = process.stderr.isTTY === true;
        const allInvalid = [];
        try {
          for (const path of files) {
            const bar = tty
              ? new cliProgress.SingleBar(
                  {
                    format: `${basename(path)} [{bar}] {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}`,
                    hideCursor: true,
                  },
                  cliProgress.Presets.shades_classic,
                )
              : null;
            let started = false;
            const t0 = Date.now();
            const outcome = await importFile(
              services,
              { actor: SYSTEM_ACTORS.cli, requestId: null },
              {
                organisationId: opts.organisation,
                kind: opts.kind,
                path,
                fileName: path,
                format: opts.format as BillFormat | undefined,
                onInvalid: opts.reportInvalid ? "collect" : "fail",
                onProgress: (p) => {
                  if (!bar || p.total === null) return;
                  const speed = Math.round(p.done / Math.max((Date.now() - t0) / 1000, 0.001));
                  if (!started) {
                    bar.start(p.total, p.done, { speed });
                    started = true;
                  } else bar.update(p.done, { speed });
                },
              },
            );
            bar?.stop();
            allInvalid.push(...outcome.invalid);
            const seconds = ((Date.now() - t0) / 1000).toFixed(1);
            process.stdout.write(
              outcome.duplicate
                ? `${path}: already imported as ${outcome.importId}; nothing to do.\n`
                : `${path}: imported ${outcome.rowsImported} rows (${outcome.format}) in ${seconds} s as ${outcome.importId}` +
                    `${outcome.rowsInvalid ? `, rejected ${outcome.rowsInvalid}` : ""}` +
                    `${outcome.accountsCreated.length ? `, new accounts: ${outcome.accountsCreated.length}` : ""}.\n`,
            );
          }
          if (opts.reportInvalid) {
            await writeInvalidReport(opts.reportInvalid, allInvalid);
            process.stdout.write(`Rejected rows: ${allInvalid.length}, written to ${opts.reportInvalid}.\n`);
          }
        } finally {
          await services.store.close();
        }
      }),
    );
}
