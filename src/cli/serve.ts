import { hostname } from "node:os";
import type { Command } from "commander";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import pino from "pino";
import { loadConfig } from "../config.js";
import { demoLogins, seedDemo } from "../demo/seed-demo.js";
import { buildApp, LOG_REDACTIONS, logDestination } from "../http/app.js";
import { JOB_HANDLERS } from "../jobs/handlers.js";
import { startWorker, type Worker } from "../jobs/worker.js";
import { createMetrics } from "../operations/metrics.js";
import { buildProbeServer } from "../operations/probe-server.js";
import { systemClock } from "../shared/clock.js";
import type { Services } from "../shared/context.js";
import { validationFailed } from "../shared/errors.js";
import { openStore, parseDatabaseUrl } from "../store/database.js";
import { migrateToLatest } from "../store/migrations/index.js";
import { action } from "./runtime.js";

export const SERVE_ROLES = ["all", "api", "worker"] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];

interface ServeOptions {
  host?: string;
  port?: string;
  demo?: boolean;
  role: string;
  metricsPort?: string;
  migrate: boolean;
}

function portFrom(raw: string, field: string): number {
  const n = Number.parseInt(raw, 10);
  if (!/^\d+$/.test(raw) || n > 65535)
    throw validationFailed([{ field, code: "invalid_port", message: "must be a port number, 0 to 65535" }]);
  return n;
}

/** Checks the options together, before anything is opened, so a wrong command changes nothing. */
function checkOptions(opts: ServeOptions, databaseUrl: string): ServeRole {
  const role = opts.role as ServeRole;
  if (!SERVE_ROLES.includes(role))
    throw validationFailed([
      { field: "--role", code: "invalid_role", message: `must be one of ${SERVE_ROLES.join(", ")}` },
    ]);
  // NOTE: the embedded engine is one file with one writer at a time. Its one in-process worker shares
  // the API's connection, so a long import transaction makes requests wait; a second process would
  // instead fail its writes with SQLITE_BUSY after the busy timeout. Split roles need PostgreSQL.
  if (role !== "all" && parseDatabaseUrl(databaseUrl).engine === "sqlite")
    throw validationFailed(
      [
        {
          field: "--role",
          code: "needs_postgres",
          message: `--role ${role} needs PostgreSQL (REFUND_DESK_DATABASE_URL=postgres://…)`,
        },
      ],
      `--role ${role} needs PostgreSQL: on the embedded SQLite database the API and its job worker must run ` +
        "in one process (--role all, the default), since a second process would contend for SQLite's single " +
        "writer lock. Set REFUND_DESK_DATABASE_URL=postgres://… to run API and worker processes apart.",
    );
  if (opts.metricsPort !== undefined && role !== "worker")
    throw validationFailed([
      {
        field: "--metrics-port",
        code: "worker_only",
        message: "is for --role worker; the API serves /healthz, /readyz and /metrics on its own port",
      },
    ]);
  if (opts.demo && role === "worker")
    throw validationFailed([{ field: "--demo", code: "api_only", message: "goes with --role all or api" }]);
  return role;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "Serve the API and the console and run the job worker (migrations run first); " +
        "--role api or worker splits them across processes on PostgreSQL",
    )
    .option("--host <host>", "address to listen on (REFUND_DESK_HOST)")
    .option("--port <port>", "port to listen on (PORT); 0 picks a free one")
    .option("--demo", "load the demo data when the database has none (npm start does this)")
    .option("--role <role>", "all: API and worker; api: HTTP only; worker: jobs only (PostgreSQL)", "all")
    .option(
      "--metrics-port <port>",
      "with --role worker: serve /healthz, /readyz and /metrics on this port (at --host)",
    )
    .option("--no-migrate", "do not run migrations at start (run `refund-desk migrate` as a release step)")
    .action(
      action(async (opts: ServeOptions) => {
        const config = loadConfig();
        const role = checkOptions(opts, config.databaseUrl);
        const host = opts.host ?? config.host;
        const port = opts.port !== undefined ? portFrom(opts.port, "--port") : config.port;
        const metricsPort =
          opts.metricsPort !== undefined ? portFrom(opts.metricsPort, "--metrics-port") : null;
        const store = openStore(config.databaseUrl);
        // Without --no-migrate every process migrates; Kysely's migration lock lets only one apply each.
        if (opts.migrate) await migrateToLatest(store);
        const services: Services = { store, config, clock: systemClock };
        const seeded = opts.demo ? await seedDemo(services, { bills: true }) : null;
        const metrics = createMetrics(services, { processMetrics: true });

        let app: FastifyInstance | null = null;
        let probes: FastifyInstance | null = null;
        let worker: Worker | null = null;
        const lines = [""];
        if (role !== "worker") {
          app = await buildApp(services, { metrics });
          const address = await listen(app, host, port);
          lines.push(
            `Refund Desk ${role === "all" ? "is running" : "API is running"} on ${store.description}`,
            `  Console and API: ${address}/`,
            `  API docs:        ${address}/docs`,
          );
        }
        // One JSON log stream per process: the API's (requests carry `reqId`), or a worker's own.
        const logger: FastifyBaseLogger =
          app?.log ??
          pino(
            { level: config.logLevel, redact: { paths: LOG_REDACTIONS, censor: "[redacted]" } },
            logDestination(),
          );
        if (role !== "api") {
          worker = startWorker(services, JOB_HANDLERS, {
            workerId: `${hostname()}:${process.pid}`,
            logger,
            onFinished: (job, outcome, seconds) => metrics.observeJob(job.kind, outcome, seconds),
          });
          if (role === "worker") lines.push(`Refund Desk worker is running on ${store.description}`);
          if (metricsPort !== null) {
            probes = await buildProbeServer(services, metrics, logger);
            const address = await listen(probes, host, metricsPort);
            lines.push(`  Probes and metrics: ${address}/healthz ${address}/readyz ${address}/metrics`);
          }
        }
        if (opts.demo && role !== "worker") {
          lines.push(
            seeded ? "  Demo data loaded. Demo logins (password: demo):" : "  Demo logins (password: demo):",
          );
          for (const l of demoLogins()) lines.push(`    ${l.email.padEnd(28)} ${l.side} ${l.role}`);
        }
        process.stdout.write(`${lines.join("\n")}\n\n`);

        let stopping = false;
        const stop = async (signal: NodeJS.Signals) => {
          if (stopping) {
            // A second signal: the operator does not want to wait for the running job.
            logger.warn({ signal }, "second signal: exiting now");
            process.exit(1);
          }
          stopping = true;
          logger.info({ signal }, "shutting down: no new requests or jobs; finishing what runs");
          try {
            // The API stops accepting and answers what it has; the worker claims nothing more and
            // finishes its running job (a job cut short anyway is claimed again when its lease ends).
            await Promise.all([app?.close(), worker?.stop(), probes?.close()]);
            await store.close();
            logger.info("stopped");
            process.exit(0);
          } catch (error) {
            logger.error({ err: error }, "shutdown failed");
            process.exit(1);
          }
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      }),
    );
}

/** Listens and returns the base URL with the port really bound (`--port 0` picks one). */
async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  const bound = app.server.address();
  const actual = typeof bound === "object" && bound ? bound.port : port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return `http://${shown}:${actual}`;
}
