import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * API responses are data, never a page to render: a CSP that allows nothing keeps a JSON or CSV
 * answer from running anything should a browser be tricked into showing it, and no framing.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The interactive API documentation is a page with its own scripts and styles (swagger-ui sets its CSP). */
const PAGES_WITH_OWN_CSP = /^\/docs(\/|$)/;

/** Content types of API data (JSON, problem details, CSV exports, PDF letters). */
const API_DATA = /^(application\/(json|problem\+json|pdf)|text\/csv)\b/;

/**
 * Headers on every response, set in the app's one `onSend` hook. The console's routes set their
 * stricter page headers first (src/console/security-headers.ts); those are kept, not overwritten.
 */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header("x-request-id", String(request.id));
  reply.header("x-content-type-options", "nosniff");
  reply.header("referrer-policy", "no-referrer");
  if (!reply.hasHeader("x-frame-options")) reply.header("x-frame-options", "DENY");
  if (!reply.hasHeader("cross-origin-resource-policy"))
    reply.header("cross-origin-resource-policy", "same-origin");
  if (!reply.hasHeader("content-security-policy") && !PAGES_WITH_OWN_CSP.test(request.url))
    reply.header("content-security-policy", API_CSP);
  // API answers hold customers' bills, cases and money: no shared cache or browser history keeps
  // them, unless a route said otherwise (the console's hashed assets are cached for good).
  if (!reply.hasHeader("cache-control") && API_DATA.test(String(reply.getHeader("content-type") ?? "")))
    reply.header("cache-control", "no-store");
  // Only over TLS: a browser ignores HSTS on plain HTTP, and local `npm start` serves plain HTTP.
  if (request.protocol === "https" && !reply.hasHeader("strict-transport-security"))
    reply.header("strict-transport-security", "max-age=31536000");
}
