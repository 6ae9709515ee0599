#!/usr/bin/env node
import { Command } from "commander";
import { registerAdminCommands } from "./admin-commands.js";
import { registerAudit } from "./audit.js";
import { registerBackup } from "./backup.js";
import { registerGatewaySim } from "./gateway-sim.js";
import { registerGenerate } from "./generate.js";
import { registerImport } from "./import.js";
import { registerInvoice } from "./invoice.js";
import { registerJobs } from "./jobs.js";
import { registerLedger } from "./ledger.js";
import { registerReconcile } from "./reconcile.js";
import { registerServe } from "./serve.js";

const program = new Command()
  .name("refund-desk")
  .description(
    "Refund and billing-dispute centre for cloud bills. Configuration comes from the environment (see README).",
  )
  .showHelpAfterError();

registerServe(program);
registerAdminCommands(program);
registerGenerate(program);
registerImport(program);
registerInvoice(program);
registerAudit(program);
registerLedger(program);
registerReconcile(program);
registerGatewaySim(program);
registerJobs(program);
registerBackup(program);

await program.parseAsync(process.argv);
