import cookie from "@fastify/cookie";
import multipart from "@fastify/multipart";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import pino from "pino";
import { auditLogRoutes } from "../audit-log/routes.js";
import { caseRoutes } from "../cases/routes.js";
import { chargeRoutes } from "../charges/routes.js";
import { consoleRoutes } from "../console/routes.js";
import { creditRoutes } from "../credits/routes.js";
import { dashboardRoutes } from "../dashboard/routes.js";
import { findingRoutes } from "../findings/routes.js";
import { identityRoutes } from "../identity/routes.js";
import { importRoutes } from "../imports/routes.js";
import { kycRoutes } from "../kyc/routes.js";
import { ledgerRoutes } from "../ledger/routes.js";
import { notificationRoutes } from "../notifications/routes.js";
import { createMetrics, type Metrics, registerRequestMetrics } from "../operations/metrics.js";
import { registerMetricsAccess } from "../operations/metrics-access.js";
import { deadLetterRoutes, probeRoutes } from "../operations/routes.js";
import { setSecurityHeaders } from "../operations/security-headers.js";
import { organisationRoutes } from "../organisations/routes.js";
import { reconciliationRoutes } from "../reconciliation/routes.js";
import { payoutRoutes } from "../settlement/routes.js";
import type { Services } from "../shared/context.js";
import { ERROR_CODES, type ErrorCode, notFound } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { callerKey, registerAuthentication } from "./auth.js";
import { registerIdempotency } from "./idempotency.js";
import { answerClientError, problemType, sendProblem, toProblem } from "./problem-details.js";
import { validatorCompiler } from "./validation.js";

export type App = FastifyInstance;

export interface AppOptions {
  /** pino options; false in tests that do not read logs. */
  logger?: FastifyServerOptions["logger"];
  /** Prometheus metrics this process reports at `/metrics` (`serve` shares them with its worker); new ones by default. */
  metrics?: Metrics;
}

/** Secrets and identity data never reach the logs. */
export const LOG_REDACTIONS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  "*.password",
  "*.token",
  "*.identityNumber",
  "*.instrumentFingerprint",
];

/**
 * Log lines go to stdout synchronously: an asynchronous stream may still be writing one line when
 * the exit's flush writes the next, so the lines of a shutdown could arrive out of order or be lost.
 * A line is a few hundred bytes; the write costs microseconds.
 */
export const logDestination = () => pino.destination({ dest: 1, sync: true });

export async function buildApp(services: Services, options: AppOptions = {}): Promise<App> {
  const { config } = services;
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: { paths: LOG_REDACTIONS, censor: "[redacted]" },
      stream: logDestination(),
    },
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && /^[\w.-]{8,128}$/.test(incoming) ? incoming : newId("request");
    },
    ajv: { customOptions: { removeAdditional: false } },
    // What the router (a malformed URL, a parameter over its length limit) and Node's HTTP parser
    // (headers over the size limit) reject answers problem details too, not Fastify's own JSON.
    frameworkErrors: (error, request, reply) => sendProblem(reply, toProblem(error, request)),
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);

  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request);
    // The database being away (a restart) fails every request until it is back: one line each at
    // warn, without the stack, so the outage does not read as a flood of bugs.
    if (problem.status === 503)
      request.log.warn({ reason: problem.detail }, "request failed: service unavailable");
    else if (problem.status >= 500) request.log.error({ err: error }, "request failed");
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, toProblem(notFound(`${request.method} ${request.url.split("?")[0]}`), request)),
  );
  app.addHook("onSend", async (request, reply, payload) => {
    setSecurityHeaders(request, reply);
    return payload;
  });
  const metrics = options.metrics ?? createMetrics(services);
  registerRequestMetrics(app, metrics);

  await app.register(cookie);
  await app.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25 },
  });
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Refund Desk API",
        version: "1",
        description:
          "Audit cloud bills, file refund requests, decide and settle them. Errors are RFC 9457 problem details; " +
          "every POST honours `Idempotency-Key`; lists use cursor pagination.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer", description: "API token (`rdk_…`)" },
          session: { type: "apiKey", in: "cookie", name: "rd_session" },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  // A POST without a body (a step such as claim or withdraw) reads as `{}`, so it is validated
  // against the route's schema like any other instead of failing with "body must be object".
  app.addHook("preValidation", async (request) => {
    if (request.method === "POST" && request.body === undefined) request.body = {};
  });
  // Before authentication: the scraper's bearer token is not an API token.
  registerMetricsAccess(app, config.metricsToken);
  registerAuthentication(app, services);
  // Registered after authentication so limits are per principal where there is one.
  await app.register(rateLimit, {
    global: true,
    hook: "preHandler",
    max: config.rateLimitPerMinute,
    timeWindow: "1 minute",
    keyGenerator: callerKey,
  });
  registerIdempotency(app, services);

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  await app.register(async (scope) => probeRoutes(scope, services, metrics));
  app.get<{ Params: { slug: string } }>(
    "/problems/:slug",
    { schema: { hide: true } },
    async (request, reply) => {
      const code = request.params.slug.replaceAll("-", "_");
      // Own keys only: `constructor` is not a problem type.
      if (!Object.hasOwn(ERROR_CODES, code)) throw notFound("Problem type");
      const meta = ERROR_CODES[code as ErrorCode];
      return reply
        .type("application/json")
        .send({ type: problemType(code as ErrorCode), code, status: meta.status, title: meta.title });
    },
  );

  await app.register(async (scope) => identityRoutes(scope, services));
  await app.register(async (scope) => organisationRoutes(scope, services));
  await app.register(async (scope) => kycRoutes(scope, services));
  await app.register(async (scope) => auditLogRoutes(scope, services));
  await app.register(async (scope) => importRoutes(scope, services));
  await app.register(async (scope) => chargeRoutes(scope, services));
  await app.register(async (scope) => findingRoutes(scope, services));
  await app.register(async (scope) => caseRoutes(scope, services));
  await app.register(async (scope) => creditRoutes(scope, services));
  await app.register(async (scope) => notificationRoutes(scope, services));
  await app.register(async (scope) => payoutRoutes(scope, services));
  await app.register(async (scope) => ledgerRoutes(scope, services));
  await app.register(async (scope) => reconciliationRoutes(scope, services));
  await app.register(async (scope) => dashboardRoutes(scope, services));
  await app.register(async (scope) => deadLetterRoutes(scope, services));
  await app.register(consoleRoutes);
  return app;
}
