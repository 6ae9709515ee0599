import type { Command } from "commander";
import { startGatewaySimulator } from "../gateway/simulator/start-gateway-simulator.js";
import { validationFailed } from "../shared/errors.js";
import { action } from "./runtime.js";

interface GatewaySimOptions {
  port: string;
  host: string;
  webhookUrl?: string;
  apiKey?: string;
  webhookSecret?: string;
  settleAfterMs: string;
  stateFile?: string;
  seed: string;
}

function whole(field: string, raw: string): number {
  const n = Number.parseInt(raw, 10);
  if (!Number.isSafeInteger(n) || n < 0 || String(n) !== raw.trim())
    throw validationFailed([
      { field, code: "not_a_whole_number", message: `must be a whole number ≥ 0 (got ${raw})` },
    ]);
  return n;
}

export function registerGatewaySim(program: Command): void {
  program
    .command("gateway-sim")
    .description(
      "Run the card gateway simulator (refunds API, signed webhooks, settlement files, faults; see docs/gateway-simulator.md)",
    )
    .option("--port <port>", "port to listen on (0: any free port)", "8099")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--webhook-url <url>", "where refund.updated webhooks are POSTed")
    .option("--api-key <key>", "API key to expect (default: REFUND_DESK_GATEWAY_API_KEY, else generated)")
    .option(
      "--webhook-secret <secret>",
      "whsec_… secret to sign webhooks with (default: REFUND_DESK_GATEWAY_WEBHOOK_SECRET, else generated)",
    )
    .option("--settle-after-ms <ms>", "pending refunds settle after this long", "2000")
    .option("--state-file <path>", "keep refunds in this JSON file, so a restart keeps them")
    .option("--seed <n>", "seed of the random faults", "1")
    .action(
      action(async (opts: GatewaySimOptions) => {
        const simulator = await startGatewaySimulator({
          host: opts.host,
          port: whole("port", opts.port),
          webhookUrl: opts.webhookUrl ?? null,
          // The same environment as `serve`, so the two agree without copying keys around.
          apiKey: opts.apiKey ?? (process.env.REFUND_DESK_GATEWAY_API_KEY || undefined),
          webhookSecret: opts.webhookSecret ?? (process.env.REFUND_DESK_GATEWAY_WEBHOOK_SECRET || undefined),
          settleAfterMs: whole("settle-after-ms", opts.settleAfterMs),
          stateFile: opts.stateFile ?? null,
          seed: whole("seed", opts.seed),
          log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
        });
        process.stdout.write(
          [
            "",
            `Gateway simulator listening on ${simulator.url}`,
            `  API key:        ${simulator.apiKey}`,
            `  Webhook secret: ${simulator.webhookSecret}`,
            `  Webhooks to:    ${opts.webhookUrl ?? "(none)"}`,
            `  Seed:           ${simulator.seed}`,
            "",
            "",
          ].join("\n"),
        );
        const stop = async () => {
          await simulator.close();
          process.exit(0);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      }),
    );
}
