import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { exportJournalCsv } from "../ledger/accounting-export.js";
import { formatMinor, parsePeriod, trialBalance } from "../ledger/balances.js";
import { notFound } from "../shared/errors.js";
import { action, openServices } from "./runtime.js";

interface ExportOptions {
  from: string;
  to: string;
  organisation?: string;
  out?: string;
}

/** `refund-desk ledger …`: the accounting export and the trial balance. */
export function registerLedger(program: Command): void {
  const ledger = program
    .command("ledger")
    .description("The double-entry ledger: accounting export, trial balance");

  ledger
    .command("export")
    .description(
      "Write the period's journal lines as CSV for the general ledger (GL codes from REFUND_DESK_GL_CODES, " +
        "cost centres from the charges' tags)",
    )
    .requiredOption("--from <date>", "first day (YYYY-MM-DD, UTC) or ISO instant, inclusive")
    .requiredOption("--to <date>", "last day (YYYY-MM-DD, UTC, inclusive) or ISO instant (exclusive)")
    .option("--organisation <id>", "only this organisation's entries (default: every organisation)")
    .option("--out <file>", "write to this file instead of standard output")
    .action(
      action(async (opts: ExportOptions) => {
        const period = parsePeriod(opts.from, opts.to, { from: "--from", to: "--to" });
        const services = await openServices();
        try {
          if (opts.organisation) {
            const org = await services.store.db
              .selectFrom("organisations")
              .select("id")
              .where("id", "=", opts.organisation)
              .executeTakeFirst();
            if (!org) throw notFound(`Organisation ${opts.organisation}`);
          }
          const rows = Readable.from(
            exportJournalCsv(services.store.db, {
              organisationId: opts.organisation,
              period,
              glCodes: services.config.glCodes,
            }),
          );
          await pipeline(rows, opts.out ? createWriteStream(opts.out) : process.stdout, { end: !!opts.out });
        } finally {
          await services.store.close();
        }
      }),
    );

  ledger
    .command("trial-balance")
    .description(
      "Debits and credits per ledger code and currency over every organisation; exit 1 if they differ",
    )
    .option("--organisation <id>", "only this organisation's books")
    .action(
      action(async (opts: { organisation?: string }) => {
        const services = await openServices();
        try {
          const currencies = await trialBalance(services.store.db, { organisationId: opts.organisation });
          if (currencies.length === 0) process.stdout.write("The ledger has no entries yet.\n");
          for (const tb of currencies) {
            process.stdout.write(`${tb.currency}: ${tb.balanced ? "balanced" : "OUT OF BALANCE"}\n`);
            for (const r of tb.rows)
              process.stdout.write(
                `  ${r.code.padEnd(24)} debit ${formatMinor(r.debitMinor, tb.currency).padStart(16)}  credit ${formatMinor(r.creditMinor, tb.currency).padStart(16)}\n`,
              );
            process.stdout.write(
              `  ${"total".padEnd(24)} debit ${formatMinor(tb.totalDebitMinor, tb.currency).padStart(16)}  credit ${formatMinor(tb.totalCreditMinor, tb.currency).padStart(16)}\n`,
            );
          }
          // The database refuses unbalanced entries; a difference means rows were changed behind its back.
          if (currencies.some((c) => !c.balanced)) process.exitCode = 1;
        } finally {
          await services.store.close();
        }
      }),
    );
}
