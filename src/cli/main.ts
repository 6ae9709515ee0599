#!/usr/bin/env node
import { Command } from "commander";
import { registerAdminCommands } from "./admin-commands.js";
import { registerServe } from "./serve.js";

const program = new Command()
  .name("refund-desk")
  .description("Refund and billing-dispute centre for cloud bills. Configuration comes from the environment (see README).")
  .showHelpAfterError();

registerServe(program);
registerAdminCommands(program);

await program.parseAsync(process.argv);
