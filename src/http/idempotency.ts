import type { FastifyInstance, FastifyRequest } from "fastify";
import "@fastify/multipart";
import type { Services } from "../shared/context.js";
import { AppError, validationFailed } from "../shared/errors.js";
import { sha256Hex } from "../shared/secrets.js";
import { callerKey } from "./auth.js";

declare module "fastify" {
  interface FastifyRequest {
    idempotency: { scope: string; key: string } | null;
  }
}

/** An unfinished request older than this is presumed dead (its process crashed) and may be retried. */
const IN_PROGRESS_TIMEOUT_MS = 60_000;

function requestHash(request: FastifyRequest): string {
  // Multipart bodies are streamed to the handler, so they are identified by size only.
  const body = request.isMultipart()
    ? `multipart:${request.headers["content-length"] ?? ""}`
    : JSON.stringify(request.body ?? null);
  return sha256Hex(`${request.method} ${request.url}\n${body}`);
}

/**
 * `Idempotency-Key` on POST: the first response is stored and replayed for the same key;
 * the same key with a different request is rejected; a key still in flight answers 409.
 */
export function registerIdempotency(app: FastifyInstance, services: Services): void {
  const db = services.store.db;
  app.decorateRequest("idempotency", null);

  app.addHook("preHandler", async (request, reply) => {
    if (request.method !== "POST") return;
    const key = request.headers["idempotency-key"];
    if (key === undefined) return;
    if (typeof key !== "string" || !/^[\x21-\x7e]{1,255}$/.test(key))
      throw validationFailed([
        {
          field: "Idempotency-Key",
          code: "invalid_header",
          message: "must be 1 to 255 printable ASCII characters",
        },
      ]);
    const scope = callerKey(request);
    const hash = requestHash(request);
    const now = services.clock.now();
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await db
        .insertInto("idempotency_keys")
        .values({ scope, key, request_hash: hash, state: "in_progress", created_at: now.toISOString() })
        .onConflict((oc) => oc.columns(["scope", "key"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) {
        request.idempotency = { scope, key };
        return;
      }
      const prior = await db
        .selectFrom("idempotency_keys")
        .selectAll()
        .where("scope", "=", scope)
        .where("key", "=", key)
        .executeTakeFirst();
      if (!prior) continue;
      if (prior.request_hash !== hash)
        throw new AppError(
          "idempotency_key_reused",
          "This Idempotency-Key was already used with a different request",
        );
      if (prior.state === "completed") {
        reply
          .code(prior.status_code ?? 200)
          .header("idempotent-replayed", "true")
          .type(prior.content_type ?? "application/json");
        return reply.send(prior.response_body ?? "");
      }
      if (now.getTime() - Date.parse(prior.created_at) < IN_PROGRESS_TIMEOUT_MS)
        throw new AppError(
          "idempotency_request_in_progress",
          "The first request with this key has not finished yet",
        );
      await db
        .deleteFrom("idempotency_keys")
        .where("scope", "=", scope)
        .where("key", "=", key)
        .where("state", "=", "in_progress")
        .execute();
    }
    throw new AppError(
      "idempotency_request_in_progress",
      "The first request with this key has not finished yet",
    );
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) return payload;
    request.idempotency = null;
    const where = db
      .deleteFrom("idempotency_keys")
      .where("scope", "=", idem.scope)
      .where("key", "=", idem.key);
    // A server error or throttling is not a result: the client may retry with the same key.
    if (reply.statusCode >= 500 || reply.statusCode === 429 || typeof payload !== "string") {
      await where.execute();
      return payload;
    }
    await db
      .updateTable("idempotency_keys")
      .set({
        state: "completed",
        status_code: reply.statusCode,
        response_body: payload,
        content_type: String(reply.getHeader("content-type") ?? "application/json"),
      })
      .where("scope", "=", idem.scope)
      .where("key", "=", idem.key)
      .execute();
    return payload;
  });
}
