import { timingSafeEqual } from "node:crypto";
import "@fastify/cookie";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal } from "../identity/authorization.js";
import { principalForApiToken, principalForSession } from "../identity/resolve-principal.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError } from "../shared/errors.js";

export const SESSION_COOKIE = "rd_session";

export type Authentication =
  | {
      kind: "session";
      principal: Principal & { kind: "user" };
      sessionId: string;
      csrfToken: string;
      sessionToken: string;
    }
  | { kind: "token"; principal: Principal }
  | { kind: "anonymous" };

declare module "fastify" {
  interface FastifyRequest {
    authentication: Authentication;
  }
  interface FastifyContextConfig {
    /** Routes that authenticate by other means (sign-in, signed webhooks) skip the CSRF check. */
    skipCsrf?: boolean;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Resolves who is calling (bearer token first, then the session cookie) and enforces CSRF. */
export function registerAuthentication(app: FastifyInstance, services: Services): void {
  // Set on every request by the hook below; declared here so Fastify keeps one object shape.
  app.decorateRequest("authentication", null as never);
  app.addHook("onRequest", async (request) => {
    request.authentication = { kind: "anonymous" };
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const principal = match ? await principalForApiToken(services, match[1]!) : null;
      if (!principal) throw new AppError("unauthenticated", "The API token is not valid or was revoked");
      request.authentication = { kind: "token", principal };
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) {
      const session = await principalForSession(services, cookie);
      if (session) request.authentication = { kind: "session", ...session, sessionToken: cookie };
    }
    if (
      request.authentication.kind === "session" &&
      !SAFE_METHODS.has(request.method) &&
      !request.routeOptions.config.skipCsrf
    ) {
      const sent = request.headers["x-csrf-token"];
      if (typeof sent !== "string" || !sameSecret(sent, request.authentication.csrfToken)) {
        throw new AppError("csrf_failed", "Send the X-CSRF-Token header from your session with every change");
      }
    }
  });
}

export function principalOf(request: FastifyRequest): Principal {
  const auth = request.authentication;
  if (auth.kind === "anonymous") throw new AppError("unauthenticated", "Sign in or present an API token");
  return auth.principal;
}

/** The audit-log actor and request id for a write made by this request. */
export function writeContext(request: FastifyRequest): WriteContext {
  const auth = request.authentication;
  const actor =
    auth.kind === "anonymous"
      ? `anonymous:${request.ip}`
      : auth.principal.kind === "user"
        ? auth.principal.userId
        : auth.principal.tokenId;
  return { actor, requestId: String(request.id) };
}

/** One key per caller: the user, the token, or the address of an anonymous client. */
export function callerKey(request: FastifyRequest): string {
  const auth = request.authentication;
  if (!auth || auth.kind === "anonymous") return `anonymous:${request.ip}`;
  const p = auth.principal;
  return p.kind === "user" ? `user:${p.userId}` : `token:${p.tokenId}`;
}
