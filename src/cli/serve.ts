import type { Command } from "commander";
import { demoLogins, seedDemo } from "../demo/seed-demo.js";
import { buildApp } from "../http/app.js";
import { JOB_HANDLERS } from "../jobs/handlers.js";
import { startWorker } from "../jobs/worker.js";
import { action, openServices } from "./runtime.js";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("Serve the API and the console (migrations run first)")
    .option("--host <host>", "address to listen on (REFUND_DESK_HOST)")
    .option("--port <port>", "port to listen on (PORT)")
    .option("--demo", "load the demo data when the database has none (npm start does this)")
    .action(
      action(async (opts: { host?: string; port?: string; demo?: boolean }) => {
        const services = await openServices();
        const { config } = services;
        const seeded = opts.demo ? await seedDemo(services, { bills: true }) : null;
        const app = await buildApp(services);
        // The embedded engine runs its background jobs in this process.
        const worker = startWorker(services, JOB_HANDLERS, {
          workerId: `serve-${process.pid}`,
          onError: (job, error) => app.log.error({ err: error, jobId: job.id, kind: job.kind }, "job failed"),
        });
        const host = opts.host ?? config.host;
        const port = opts.port !== undefined ? Number.parseInt(opts.port, 10) : config.port;
        await app.listen({ host, port });
        const shown = host.includes(":") ? `[${host}]` : host;
        const lines = [
          "",
          `Refund Desk is running on ${services.store.description}`,
          `  Console and API: http://${shown}:${port}/`,
          `  API docs:        http://${shown}:${port}/docs`,
        ];
        if (opts.demo) {
          lines.push(
            seeded ? "  Demo data loaded. Demo logins (password: demo):" : "  Demo logins (password: demo):",
          );
          for (const l of demoLogins()) lines.push(`    ${l.email.padEnd(28)} ${l.side} ${l.role}`);
        }
        process.stdout.write(`${lines.join("\n")}\n\n`);
        const stop = async () => {
          await worker.stop();
          await app.close();
          await services.store.close();
          process.exit(0);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      }),
    );
}
