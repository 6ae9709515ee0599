import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { sendProblem, toProblem } from "../http/problem-details.js";
import type { Services } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Metrics } from "./metrics.js";
import { registerMetricsAccess } from "./metrics-access.js";
import { probeRoutes } from "./routes.js";
import { setSecurityHeaders } from "./security-headers.js";

/**
 * What a `--role worker` process serves on `--metrics-port`: `/healthz`, `/readyz` and `/metrics`,
 * nothing else (no API, no sign-in), with the same access rule for `/metrics` as the API's.
 */
export async function buildProbeServer(
  services: Services,
  metrics: Metrics,
  logger: FastifyBaseLogger,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    genReqId: () => newId("request"),
    disableRequestLogging: true,
  });
  app.setErrorHandler((error, request, reply) => sendProblem(reply, toProblem(error, request)));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, toProblem(notFound(`${request.method} ${request.url.split("?")[0]}`), request)),
  );
  app.addHook("onSend", async (request, reply, payload) => {
    setSecurityHeaders(request, reply);
    return payload;
  });
  registerMetricsAccess(app, services.config.metricsToken);
  await app.register(async (scope) => probeRoutes(scope, services, metrics));
  return app;
}
