import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError, forbidden } from "../shared/errors.js";

/** The routes a Prometheus scraper reads; nothing else is reachable with the metrics token. */
const METRICS_ROUTES = new Set(["/metrics"]);

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Who may read `/metrics`. With `REFUND_DESK_METRICS_TOKEN` set: whoever presents it as
 * `Authorization: Bearer <token>` (from any address, loopback included). Unset: only a caller on
 * this machine, connected straight to us. The socket's address decides, never `X-Forwarded-For`;
 * and a request carrying forwarding headers came through a proxy, which may be relaying anyone,
 * so it is refused even when the proxy itself connects from loopback.
 */
export function authorizeMetricsRequest(request: FastifyRequest, token: string | null): void {
  if (token !== null) {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match || !sameSecret(match[1]!, token))
      throw new AppError(
        "unauthenticated",
        "Present the metrics token as `Authorization: Bearer <REFUND_DESK_METRICS_TOKEN>`",
      );
    return;
  }
  const proxied = request.headers["x-forwarded-for"] !== undefined || request.headers.forwarded !== undefined;
  if (!isLoopback(request.socket.remoteAddress) || proxied)
    throw forbidden(
      "Metrics are served to loopback callers only; set REFUND_DESK_METRICS_TOKEN to let a scraper in from elsewhere",
    );
}

/**
 * Checks access to the metrics routes before the API's authentication runs (register it first):
 * the scraper's bearer token is not an API token, so it is taken off the request once accepted.
 */
export function registerMetricsAccess(app: FastifyInstance, token: string | null): void {
  app.addHook("onRequest", async (request) => {
    if (!METRICS_ROUTES.has(request.routeOptions.url ?? "")) return;
    authorizeMetricsRequest(request, token);
    delete request.headers.authorization;
  });
}
