import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Webhook } from "standardwebhooks";
import { type Clock, systemClock } from "../../shared/clock.js";
import {
  type GatewayRefund,
  type GatewayRefundStatus,
  isGatewayRefundStatus,
  MINOR_UNITS_PATTERN,
} from "../gateway.js";
import { type GatewayFaults, type GatewayFaultsInput, mergeFaults, NO_FAULTS } from "./faults.js";
import { seededPrng } from "./prng.js";
import {
  type CreateRefundInput,
  gatewayView,
  RefundBook,
  type SimulatedRefund,
  settlementOutcome,
  writeFileAtomically,
} from "./refund-book.js";
import { isSettlementDate, renderSettlementCsv } from "./settlement-file.js";
import {
  type WebhookAttemptRecord,
  type WebhookEventRecord,
  WebhookSender,
  type WebhookStats,
} from "./webhook-sender.js";

export interface GatewaySimulatorOptions {
  /** 127.0.0.1 unless given: the simulator has no business on other interfaces. */
  host?: string;
  /** 0 (any free port) unless given. */
  port?: number;
  /** Bearer key the API expects; generated unless given (or remembered in the state file). */
  apiKey?: string;
  /** `whsec_…` secret webhooks are signed with; generated unless given (or remembered). */
  webhookSecret?: string;
  /** Where `refund.updated` events are POSTed; null: events are only recorded. */
  webhookUrl?: string | null;
  /** Pending refunds settle by themselves after this long; null: only `settleAll`/`POST /_sim/settle`. Default 2000. */
  settleAfterMs?: number | null;
  /** Payment ids whose refunds fail with `card_closed` (as do ids starting `pay_closed_`). */
  closedCards?: readonly string[];
  /** Payment ids whose refunds stop at `requires_action` (as do ids starting `pay_action_`). */
  requiresAction?: readonly string[];
  /** Payment id → failure code, e.g. `{ "pay-9": "insufficient_funds" }`. */
  declines?: Readonly<Record<string, string>>;
  /** Fee per succeeded refund in the settlement file, minor units. Default "0". */
  refundFeeMinor?: bigint | string;
  /** Seeds every random fault; the same seed and calls give the same run. Default 1. */
  seed?: number;
  /** Stamps refunds (createdAt, updatedAt, settlement day); the system clock unless given. */
  clock?: Clock;
  /** JSON file holding the refunds (and credentials), rewritten atomically after each change. */
  stateFile?: string | null;
  faults?: GatewayFaultsInput;
  /** Attempts per webhook copy before giving up (default 5), the first retry's delay (default 200 ms, doubling). */
  webhookMaxAttempts?: number;
  webhookRetryDelayMs?: number;
  /** One line per request and per notable webhook outcome (the CLI prints them). */
  log?: (line: string) => void;
}

export interface GatewaySimulator {
  url: string;
  apiKey: string;
  webhookSecret: string;
  seed: number;
  /** Merges into the current faults; throws on a value that makes no sense. */
  setFaults(faults: GatewayFaultsInput): void;
  faults(): GatewayFaults;
  setWebhookUrl(url: string | null): void;
  /** Settles every pending refund now, as its payment id decides. */
  settleAll(): Promise<void>;
  /** Moves one refund on (e.g. `requires_action` → `succeeded`), as a customer's action would. */
  transition(
    gatewayRefundId: string,
    status: GatewayRefundStatus,
    failureCode?: string | null,
  ): GatewayRefund;
  /** Every refund, in creation order, as the API shows it. */
  refunds(): GatewayRefund[];
  /** Every refund with the simulator's own fields (payment id, reason, metadata, settlement). */
  records(): SimulatedRefund[];
  settlementCsv(date: string): string;
  writeSettlementFile(date: string, path: string): Promise<void>;
  webhookEvents(): WebhookEventRecord[];
  webhookAttempts(): WebhookAttemptRecord[];
  webhookStats(): WebhookStats;
  /** Resolves when no webhook copy is waiting or in flight. */
  webhooksIdle(): Promise<void>;
  /** Forgets every refund and webhook, restores the starting faults and the seed's sequence. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_KEY_LENGTH = 255;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;
const WEBHOOK_TIMEOUT_MS = 10_000;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.writableEnded) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function sendProblem(res: ServerResponse, problem: HttpProblem): void {
  const error: Record<string, unknown> = { code: problem.code, message: problem.message };
  if (problem.fields.length > 0) error.fields = problem.fields;
  send(res, problem.status, { error });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, "payload_too_large", "The body is over 1 MiB");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, "invalid_json", "The body is not JSON");
  }
}

/** Reads a create body, collecting every problem so one answer names them all. */
function createInput(body: unknown, headerKey: string | undefined): CreateRefundInput {
  if (!isRecord(body)) throw new HttpProblem(400, "invalid_request", "The body must be a JSON object");
  const fields: string[] = [];
  const text = (name: string, pattern?: RegExp): string => {
    const v = body[name];
    if (typeof v !== "string" || v === "" || (pattern && !pattern.test(v))) {
      fields.push(name);
      return "";
    }
    return v;
  };
  const idempotencyKey = text("idempotencyKey");
  if (idempotencyKey.length > MAX_KEY_LENGTH) fields.push("idempotencyKey");
  const paymentId = text("paymentId");
  // Strings only: a JSON number would already have lost precision in someone's parser.
  const amountMinor = text("amountMinor", MINOR_UNITS_PATTERN);
  if (amountMinor.length > 30) fields.push("amountMinor");
  const currency = text("currency", CURRENCY_PATTERN);
  if (typeof body.reason !== "string") fields.push("reason");
  const reason = typeof body.reason === "string" ? body.reason : "";
  const metadata: Record<string, string> = {};
  if (body.metadata !== undefined) {
    if (!isRecord(body.metadata) || !Object.values(body.metadata).every((v) => typeof v === "string"))
      fields.push("metadata");
    else for (const [k, v] of Object.entries(body.metadata)) metadata[k] = String(v);
  }
  if (headerKey === undefined || headerKey === "")
    throw new HttpProblem(400, "idempotency_key_missing", "The Idempotency-Key header is required");
  if (fields.length > 0)
    throw new HttpProblem(400, "invalid_request", `Invalid fields: ${fields.join(", ")}`, fields);
  if (headerKey !== idempotencyKey)
    throw new HttpProblem(
      400,
      "idempotency_key_mismatch",
      "The Idempotency-Key header differs from the body's idempotencyKey",
    );
  return { idempotencyKey, paymentId, amountMinor, currency, reason, metadata };
}

function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Starts a card gateway simulator: a real HTTP server with the gateway's API (`/v1/…`), an
 * admin API for tests (`/_sim/…`), signed webhooks and daily settlement files, and faults
 * on demand. See docs/gateway-simulator.md.
 */
export async function startGatewaySimulator(
  options: GatewaySimulatorOptions = {},
): Promise<GatewaySimulator> {
  const seed = options.seed ?? 1;
  const clock = options.clock ?? systemClock;
  const settleAfterMs = options.settleAfterMs === undefined ? 2000 : options.settleAfterMs;
  const log = options.log ?? (() => {});
  const feeMinor = String(options.refundFeeMinor ?? "0");
  if (!/^(0|[1-9][0-9]*)$/.test(feeMinor)) throw new Error("refundFeeMinor must be whole minor units ≥ 0");
  const rules = {
    closedCards: new Set(options.closedCards ?? []),
    requiresAction: new Set(options.requiresAction ?? []),
    declines: new Map(Object.entries(options.declines ?? {})),
  };
  const initialFaults = mergeFaults(NO_FAULTS, options.faults ?? {});
  if ("problems" in initialFaults) throw new Error(`faults: ${initialFaults.problems.join("; ")}`);
  let faults = initialFaults;
  let webhookUrl = options.webhookUrl ?? null;

  let sender: WebhookSender | null = null;
  const book = new RefundBook({
    seed,
    clock,
    stateFile: options.stateFile ?? null,
    onChange: (change) => sender?.emit(change),
  });
  const apiKey =
    options.apiKey ?? book.storedCredentials?.apiKey ?? `sk_sim_${randomBytes(16).toString("hex")}`;
  const webhookSecret =
    options.webhookSecret ??
    book.storedCredentials?.webhookSecret ??
    `whsec_${randomBytes(24).toString("base64")}`;
  // Fails here, at start, on a secret that cannot sign.
  new Webhook(webhookSecret);
  book.credentials = { apiKey, webhookSecret };

  const newSender = () =>
    new WebhookSender({
      secret: webhookSecret,
      url: () => webhookUrl,
      faults: () => faults.webhooks,
      prng: seededPrng(seed, "webhooks"),
      maxAttempts: options.webhookMaxAttempts ?? 5,
      retryDelayMs: options.webhookRetryDelayMs ?? 200,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      log,
    });
  sender = newSender();

  const settleTimers = new Map<string, NodeJS.Timeout>();
  function settle(gatewayRefundId: string): void {
    const timer = settleTimers.get(gatewayRefundId);
    if (timer) clearTimeout(timer);
    settleTimers.delete(gatewayRefundId);
    const refund = book.byId(gatewayRefundId);
    if (refund?.status !== "pending") return;
    const outcome = settlementOutcome(refund.paymentId, rules);
    book.transition(gatewayRefundId, outcome.status, outcome.failureCode, feeMinor);
  }
  function scheduleSettlement(gatewayRefundId: string, dueAt: string | null): void {
    if (dueAt === null) return;
    const timer = setTimeout(() => settle(gatewayRefundId), Math.max(0, Date.parse(dueAt) - Date.now()));
    timer.unref();
    settleTimers.set(gatewayRefundId, timer);
  }
  // A restarted simulator keeps the settlement times its previous run promised, unless this
  // run settles on demand only.
  if (settleAfterMs !== null)
    for (const p of book.pending())
      scheduleSettlement(
        p.gatewayRefundId,
        p.settleDueAt ?? new Date(Date.now() + settleAfterMs).toISOString(),
      );

  function setFaults(input: unknown): GatewayFaults {
    const merged = mergeFaults(faults, input);
    if ("problems" in merged) throw new HttpProblem(400, "invalid_faults", merged.problems.join("; "));
    faults = merged;
    return faults;
  }

  function authorise(req: IncomingMessage): void {
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
    if (!sameSecret(given, apiKey))
      throw new HttpProblem(401, "unauthorized", "The API key is missing or wrong");
  }

  function settlementCsv(date: string): string {
    if (!isSettlementDate(date)) throw new HttpProblem(400, "invalid_date", "The date must be YYYY-MM-DD");
    return renderSettlementCsv(book.all(), date, faults.settlementDrift);
  }

  async function createRefund(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Before anything else: the gateway was down, so nothing was created.
    if (faults.failNext > 0) {
      faults = { ...faults, failNext: faults.failNext - 1 };
      throw new HttpProblem(503, "unavailable", "Simulated outage (failNext)");
    }
    authorise(req);
    const header = req.headers["idempotency-key"];
    const input = createInput(await readJson(req), typeof header === "string" ? header : undefined);
    const dueAt = settleAfterMs === null ? null : new Date(Date.now() + settleAfterMs).toISOString();
    const outcome = book.create(input, dueAt);
    if (outcome.kind === "conflict") throw new HttpProblem(422, "idempotency_key_reused", outcome.message);
    if (outcome.kind === "created") scheduleSettlement(outcome.refund.gatewayRefundId, dueAt);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    // After the commit: the refund exists whatever the caller hears.
    if (faults.failAfterCommitNext > 0) {
      faults = { ...faults, failAfterCommitNext: faults.failAfterCommitNext - 1 };
      if (faults.failAfterCommitMode === "drop") {
        log(`${req.method} ${req.url} connection dropped after commit`);
        req.socket.destroy();
        return;
      }
      throw new HttpProblem(
        500,
        "internal",
        "Simulated failure after the refund was created (failAfterCommitNext)",
      );
    }
    // Answered from the current state: a replay after settlement shows the settled refund.
    const current = book.byId(outcome.refund.gatewayRefundId) ?? outcome.refund;
    if (outcome.kind === "created") send(res, 201, gatewayView(current));
    else send(res, 200, gatewayView(current), { "idempotent-replayed": "true" });
  }

  async function readRefund(req: IncomingMessage, res: ServerResponse, refund: SimulatedRefund | null) {
    authorise(req);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (!refund) throw new HttpProblem(404, "not_found", "No such refund");
    send(res, 200, gatewayView(refund));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://simulator").pathname;
    let segments: string[];
    try {
      segments = path
        .split("/")
        .filter(Boolean)
        .map((s) => decodeURIComponent(s));
    } catch {
      throw new HttpProblem(400, "invalid_path", "The path is not valid percent-encoding");
    }
    const [a, b, c, d] = segments;
    const is = (m: string, n: number) => method === m && segments.length === n;

    if (a === "v1" && b === "refunds") {
      if (is("POST", 2)) return createRefund(req, res);
      if (is("GET", 4) && c === "by-key" && d !== undefined) return readRefund(req, res, book.byKey(d));
      if (is("GET", 3) && c !== undefined) return readRefund(req, res, book.byId(c));
    }
    if (a === "_sim") {
      if (is("GET", 2) && b === "health") return send(res, 200, { ok: true });
      if (is("GET", 2) && b === "refunds") return send(res, 200, { refunds: book.all() });
      if (is("POST", 2) && b === "settle") {
        const pending = book.pending();
        for (const p of pending) settle(p.gatewayRefundId);
        return send(res, 200, { settled: pending.length });
      }
      if (is("POST", 2) && b === "reset") {
        await handle.reset();
        return send(res, 200, { ok: true });
      }
      if (is("GET", 2) && b === "faults") return send(res, 200, faults);
      if (is("POST", 2) && b === "faults") return send(res, 200, setFaults(await readJson(req)));
      if (is("GET", 2) && b === "webhooks")
        return send(res, 200, { stats: sender?.stats(), events: sender?.events, attempts: sender?.attempts });
      if (is("GET", 3) && b === "settlements" && c?.endsWith(".csv")) {
        const csv = settlementCsv(c.slice(0, -".csv".length));
        res.writeHead(200, { "content-type": "text/csv; charset=utf-8" });
        res.end(csv);
        return;
      }
      if (is("POST", 4) && b === "refunds" && c !== undefined && d === "transition") {
        const body = await readJson(req);
        const status = isRecord(body) ? body.status : undefined;
        const failureCode = isRecord(body) && typeof body.failureCode === "string" ? body.failureCode : null;
        if (!isGatewayRefundStatus(status))
          throw new HttpProblem(400, "invalid_request", "status must be a refund status", ["status"]);
        return send(res, 200, handle.transition(c, status, failureCode));
      }
    }
    throw new HttpProblem(404, "not_found", `No route for ${method} ${path}`);
  }

  const server = createServer((req, res) => {
    res.on("finish", () => log(`${req.method} ${req.url} ${res.statusCode}`));
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpProblem) return sendProblem(res, error);
      log(`${req.method} ${req.url} failed: ${error instanceof Error ? error.stack : String(error)}`);
      sendProblem(res, new HttpProblem(500, "internal", "The simulator failed"));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  const handle: GatewaySimulator = {
    url: `http://${host}:${address.port}`,
    apiKey,
    webhookSecret,
    seed,
    setFaults: (f) => {
      setFaults(f);
    },
    faults: () => structuredClone(faults),
    setWebhookUrl: (url) => {
      webhookUrl = url;
    },
    settleAll: async () => {
      for (const p of book.pending()) settle(p.gatewayRefundId);
    },
    transition: (gatewayRefundId, status, failureCode = null) => {
      const refund = book.byId(gatewayRefundId);
      if (!refund) throw new HttpProblem(404, "not_found", "No such refund");
      const timer = settleTimers.get(gatewayRefundId);
      const moved = book.transition(gatewayRefundId, status, failureCode, feeMinor);
      if (!moved)
        throw new HttpProblem(409, "invalid_transition", `A ${refund.status} refund cannot become ${status}`);
      if (timer) clearTimeout(timer);
      settleTimers.delete(gatewayRefundId);
      return gatewayView(moved);
    },
    refunds: () => book.all().map(gatewayView),
    records: () => book.all(),
    settlementCsv,
    writeSettlementFile: async (date, path) => {
      writeFileAtomically(path, settlementCsv(date));
    },
    webhookEvents: () => [...(sender?.events ?? [])],
    webhookAttempts: () => [...(sender?.attempts ?? [])],
    webhookStats: () => sender?.stats() ?? { emitted: 0, lost: 0, duplicated: 0, delivered: 0, failed: 0 },
    webhooksIdle: () => sender?.idle() ?? Promise.resolve(),
    reset: async () => {
      for (const t of settleTimers.values()) clearTimeout(t);
      settleTimers.clear();
      sender?.close();
      // A fresh sender restarts the seed's sequence, so a reset run repeats the first.
      sender = newSender();
      book.clear();
      faults = initialFaults;
    },
    close: async () => {
      for (const t of settleTimers.values()) clearTimeout(t);
      settleTimers.clear();
      sender?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open until they time out.
        server.closeAllConnections();
      });
    },
  };
  return handle;
}
