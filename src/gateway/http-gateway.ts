import type { Config } from "../config.js";
import {
  GatewayError,
  type GatewayRefund,
  type GatewayRefundRequest,
  type PaymentGateway,
  parseGatewayRefund,
} from "./gateway.js";

export const GATEWAY_DEFAULT_TIMEOUT_MS = 10_000;
export const GATEWAY_USER_AGENT = "RefundDesk-Gateway/1";

export interface HttpPaymentGatewayOptions {
  /** Base URL, e.g. `http://127.0.0.1:8099`; the API lives under `/v1/`. */
  baseUrl: string;
  apiKey: string;
  /** Bounds each whole call, answer body included. */
  timeoutMs?: number;
  /** For tests that need to observe calls; the global fetch otherwise. */
  fetch?: typeof fetch;
}

/**
 * Throttling and request timeouts are 4xx answers that a later retry can pass; every other
 * 4xx means the request itself is wrong and would be refused again.
 */
const RETRYABLE_CLIENT_STATUSES = new Set([408, 429]);

function errorBody(text: string): { code: string | null; message: string | null } {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === "object" && body !== null && "error" in body) {
      const error: unknown = body.error;
      if (typeof error === "object" && error !== null) {
        const code = "code" in error && typeof error.code === "string" ? error.code : null;
        const message = "message" in error && typeof error.message === "string" ? error.message : null;
        return { code, message };
      }
    }
  } catch {
    // Not JSON (a proxy's HTML page): the status alone says what happened.
  }
  return { code: null, message: null };
}

/** The card gateway over HTTPS (or the simulator over HTTP): `POST /v1/refunds` and reads. */
export class HttpPaymentGateway implements PaymentGateway {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: HttpPaymentGatewayOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? GATEWAY_DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? fetch;
  }

  async createRefund(request: GatewayRefundRequest): Promise<GatewayRefund> {
    const body = JSON.stringify({
      idempotencyKey: request.idempotencyKey,
      paymentId: request.paymentId,
      amountMinor: String(request.amountMinor),
      currency: request.currency,
      reason: request.reason,
      metadata: request.metadata,
    });
    const { status, text } = await this.#call(
      "POST",
      "/v1/refunds",
      {
        "content-type": "application/json",
        "idempotency-key": request.idempotencyKey,
      },
      body,
    );
    if (status === 200 || status === 201) return this.#refundFrom(text);
    throw this.#statusError(status, text);
  }

  async getRefund(idempotencyKey: string): Promise<GatewayRefund | null> {
    const { status, text } = await this.#call(
      "GET",
      `/v1/refunds/by-key/${encodeURIComponent(idempotencyKey)}`,
      {},
    );
    if (status === 404) return null;
    if (status === 200) return this.#refundFrom(text);
    throw this.#statusError(status, text);
  }

  async #call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; text: string }> {
    try {
      // One signal for the request and its body: a gateway that stalls mid-answer also times out.
      const response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: {
          ...headers,
          accept: "application/json",
          authorization: `Bearer ${this.#apiKey}`,
          "user-agent": GATEWAY_USER_AGENT,
        },
        body,
        redirect: "error",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      return { status: response.status, text: await response.text() };
    } catch (cause) {
      if (cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError")) {
        throw new GatewayError("timeout", `${method} ${path}: no answer within ${this.#timeoutMs} ms`, {
          cause,
        });
      }
      // undici says only "fetch failed"; the reason (refused, reset, closed) is its cause.
      const inner = cause instanceof Error && cause.cause instanceof Error ? `: ${cause.cause.message}` : "";
      const message = cause instanceof Error ? `${cause.message}${inner}` : String(cause);
      throw new GatewayError("network", `${method} ${path}: ${message}`, { cause });
    }
  }

  #refundFrom(text: string): GatewayRefund {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      // The refund may exist; retrying with the same key is safe and will tell.
      throw new GatewayError("unavailable", "The gateway answered with a body that is not JSON", { cause });
    }
    const parsed = parseGatewayRefund(json);
    if ("problems" in parsed)
      throw new GatewayError(
        "unavailable",
        `The gateway's refund is not readable: ${parsed.problems.join("; ")}`,
      );
    return parsed.refund;
  }

  #statusError(status: number, text: string): GatewayError {
    const { code, message } = errorBody(text);
    const detail = `gateway answered ${status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`;
    if (status >= 500 || RETRYABLE_CLIENT_STATUSES.has(status))
      return new GatewayError("unavailable", detail, { status, code });
    if (status >= 400) return new GatewayError("rejected", detail, { status, code });
    // A 1xx/3xx here is a misbehaving gateway or proxy; the outcome is unknown, so retry.
    return new GatewayError("unavailable", detail, { status, code });
  }
}

/** The gateway of the configuration, or null when `REFUND_DESK_GATEWAY_URL` is not set. */
export function gatewayFromConfig(
  config: Pick<Config, "gatewayUrl" | "gatewayApiKey" | "gatewayTimeoutMs">,
): PaymentGateway | null {
  if (config.gatewayUrl === null) return null;
  if (config.gatewayApiKey === null)
    throw new Error("REFUND_DESK_GATEWAY_API_KEY must be set when REFUND_DESK_GATEWAY_URL is");
  return new HttpPaymentGateway({
    baseUrl: config.gatewayUrl,
    apiKey: config.gatewayApiKey,
    timeoutMs: config.gatewayTimeoutMs,
  });
}
