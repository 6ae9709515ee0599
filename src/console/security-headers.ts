import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * The console's Content-Security-Policy. Everything comes from our own origin: scripts and styles
 * only as files (no 'unsafe-inline', no eval), so an injected `<script>` or `onclick=` never runs;
 * `connect-src 'self'` keeps the API calls same-origin, which is also what the session cookie's
 * SameSite=Lax and the CSRF header assume. React sets `style` through the CSSOM, which CSP allows.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join("; ");

/** Headers on every console response (the API's own hook adds nosniff, no-referrer and the request id). */
export function setConsoleSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header("content-security-policy", CONSOLE_CSP);
  reply.header("x-frame-options", "DENY");
  reply.header("cross-origin-opener-policy", "same-origin");
  reply.header("cross-origin-resource-policy", "same-origin");
  reply.header("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()");
  // Only over TLS: a browser ignores HSTS on plain HTTP, and local `npm start` serves plain HTTP.
  if (request.protocol === "https") reply.header("strict-transport-security", "max-age=31536000");
}
