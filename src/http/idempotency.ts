import type { FastifyInstance, FastifyRequest } from "fastify";
import "@fastify/multipart";
import type { Services } from "../shared/context.js";
import { AppError, validationFailed } from "../shared/errors.js";
import { decrypt, deriveKey, encrypt, sha256Hex } from "../shared/secrets.js";
import { withCommitHook } from "../store/database.js";
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
    : bodyText(request.body);
  return sha256Hex(`${request.method} ${request.url}\n${body}`);
}

function bodyText(body: unknown): string {
  try {
    return JSON.stringify(body ?? null);
  } catch (cause) {
    // JSON.parse takes any depth, JSON.stringify overflows the stack past a few thousand levels
    // (a 1 MiB body holds 500,000): a body no route's schema accepts, and not one we can key.
    if (cause instanceof RangeError)
      throw new AppError("malformed_request", "The JSON body nests too deeply", { cause });
    throw cause;
  }
}

/**
 * Answers kept for replay are sealed: some carry a secret shown once (an API token, a webhook
 * endpoint's signing secret), which must not sit readable in the table until the key is purged.
 * The key's scope and name are bound in, so a sealed answer cannot be replayed under another key.
 */
const SEALED = "sealed:v1:";

function sealAnswer(key: Buffer, scope: string, name: string, body: string): string {
  return SEALED + encrypt(key, Buffer.from(body, "utf8"), `${scope}\n${name}`).toString("base64");
}

function openAnswer(key: Buffer, scope: string, name: string, stored: string): string {
  // Answers stored before sealing was introduced are plain text.
  if (!stored.startsWith(SEALED)) return stored;
  return decrypt(key, Buffer.from(stored.slice(SEALED.length), "base64"), `${scope}\n${name}`).toString(
    "utf8",
  );
}

/**
 * `Idempotency-Key` on POST: the first response is stored and replayed for the same key;
 * the same key with a different request is rejected; a key still in flight answers 409.
 */
export function registerIdempotency(app: FastifyInstance, services: Services): void {
  const db = services.store.db;
  const answerKey = deriveKey(services.config.secretKey, "idempotent-answers");
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
    const replayable = (stored: string | null): string => {
      if (!stored) return "";
      try {
        return openAnswer(answerKey, scope, key, stored);
      } catch (cause) {
        // Sealed under another REFUND_DESK_SECRET_KEY (rotated since): the answer cannot be read back.
        throw new AppError(
          "conflict",
          "The first request with this Idempotency-Key took effect, but its answer can no longer be read; " +
            "look the result up rather than sending the request again",
          { extensions: { reason: "idempotency_answer_lost" }, cause },
        );
      }
    };
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
        const answer = replayable(prior.response_body);
        reply
          .code(prior.status_code ?? 200)
          .header("idempotent-replayed", "true")
          .type(prior.content_type ?? "application/json");
        return reply.send(answer);
      }
      if (now.getTime() - Date.parse(prior.created_at) < IN_PROGRESS_TIMEOUT_MS)
        throw new AppError(
          "idempotency_request_in_progress",
          "The first request with this key has not finished yet",
        );
      // NOTE: the first request's process died after its effect committed and before its answer was
      // recorded. Running it again would do it twice; its answer is gone, so the client is told to
      // look the result up. (A key still `in_progress` took no effect: its request may run again.)
      if (prior.state === "committed")
        throw new AppError(
          "conflict",
          "The first request with this Idempotency-Key took effect, but its answer was lost when the server " +
            "stopped; look the result up rather than sending the request again",
          { extensions: { reason: "idempotency_answer_lost" } },
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

  // From here on, every transaction the request commits marks its key `committed` in that same
  // transaction (`inTransaction`), so a retry after a crash can tell "took effect" from "did not".
  // A callback hook: the handler runs inside `done`, so inside the hook's async context.
  app.addHook("preHandler", (request, _reply, done) => {
    const idem = request.idempotency;
    if (!idem) return done();
    withCommitHook(async (tx) => {
      await tx
        .updateTable("idempotency_keys")
        .set({ state: "committed" })
        .where("scope", "=", idem.scope)
        .where("key", "=", idem.key)
        .where("state", "=", "in_progress")
        .execute();
    }, done);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) return payload;
    request.idempotency = null;
    // Only a key whose request took no effect is released for a retry to run again.
    const where = db
      .deleteFrom("idempotency_keys")
      .where("scope", "=", idem.scope)
      .where("key", "=", idem.key)
      .where("state", "=", "in_progress");
    // NOTE: the answer goes out whether or not its bookkeeping could be written. A throw here (the
    // database went away mid-request) would replace a true answer with Fastify's bare fallback, which
    // shows the driver's error. The key then stays as it was: a retry meanwhile gets 409, and one after
    // IN_PROGRESS_TIMEOUT_MS runs again (`in_progress`) or is told the answer was lost (`committed`).
    try {
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
          response_body: sealAnswer(answerKey, idem.scope, idem.key, payload),
          content_type: String(reply.getHeader("content-type") ?? "application/json"),
        })
        .where("scope", "=", idem.scope)
        .where("key", "=", idem.key)
        .execute();
    } catch (error) {
      request.log.error(
        { err: error, idempotencyKey: idem.key },
        "could not record the Idempotency-Key's answer",
      );
    }
    return payload;
  });
}
