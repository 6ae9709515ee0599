import type { Command } from "commander";
import { renderInvoiceTable } from "../credits/render-invoice.js";
import { runInvoice } from "../credits/run-invoice.js";
import { invoiceView } from "../credits/views.js";
import { SYSTEM_ACTORS } from "../shared/context.js";
import { validationFailed } from "../shared/errors.js";
import { action, openServices } from "./runtime.js";

const FORMATS = ["table", "json"] as const;

interface InvoiceOptions {
  account: string;
  period?: string;
  from?: string;
  to?: string;
  currency?: string;
  format: string;
}

export function registerInvoice(program: Command): void {
  program
    .command("invoice")
    .description(
      "Run an account's invoice for a period from its imported charges, consuming its account credits " +
        "(once per account, period and currency: running it again shows the first)",
    )
    .requiredOption("--account <id>", "the account invoiced (acct_…)")
    .option("--period <YYYY-MM>", "the calendar month (UTC)")
    .option("--from <instant>", "instead of --period: ISO 8601 start of the period")
    .option("--to <instant>", "with --from: ISO 8601 end of the period (exclusive)")
    .option("--currency <code>", "ISO 4217 currency of the invoice (default: the account's)")
    .option("--format <format>", `output: ${FORMATS.join(", ")}`, "table")
    .action(
      action(async (opts: InvoiceOptions) => {
        if (!(FORMATS as readonly string[]).includes(opts.format))
          throw validationFailed([
            { field: "--format", code: "invalid_format", message: `must be one of ${FORMATS.join(", ")}` },
          ]);
        const services = await openServices();
        try {
          const { invoice, created } = await runInvoice(
            services,
            { actor: SYSTEM_ACTORS.cli, requestId: null },
            {
              accountId: opts.account,
              period: opts.period,
              periodStart: opts.from,
              periodEnd: opts.to,
              currency: opts.currency,
            },
          );
          const view = await invoiceView(services.store.db, invoice);
          if (opts.format === "json") process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
          else {
            if (!created) process.stdout.write("This invoice had already been run; shown as it was.\n");
            process.stdout.write(renderInvoiceTable(view));
          }
        } finally {
          await services.store.close();
        }
      }),
    );
}
