/**
 * The card gateway as the payout code sees it. Refunds to a customer's original payment
 * method are posted here with our payout id as the idempotency key, so a retry after a
 * timeout or a crash can never pay twice. `HttpPaymentGateway` speaks to a real gateway (or
 * to the simulator in `./simulator/`, which speaks the same API).
 */

export const GATEWAY_REFUND_STATUSES = ["pending", "succeeded", "failed", "requires_action"] as const;
export type GatewayRefundStatus = (typeof GATEWAY_REFUND_STATUSES)[number];

/** States a refund never leaves; `requires_action` waits on the customer and may still move. */
export const FINAL_GATEWAY_REFUND_STATUSES: readonly GatewayRefundStatus[] = ["succeeded", "failed"];

export interface GatewayRefundRequest {
  /** Our payout id: the same key always names the same refund at the gateway. */
  idempotencyKey: string;
  /** The original payment's gateway id (e.g. `paymentId` of payments.jsonl). */
  paymentId: string;
  /** Minor units (cents, yen); sent as a decimal string in JSON. */
  amountMinor: bigint | string;
  /** ISO 4217 code, upper case. */
  currency: string;
  reason: string;
  metadata: Record<string, string>;
}

export interface GatewayRefund {
  gatewayRefundId: string;
  idempotencyKey: string;
  status: GatewayRefundStatus;
  /** Minor units as a decimal string, positive. */
  amountMinor: string;
  currency: string;
  /** Why a refund failed: `card_closed`, `insufficient_funds`, `do_not_honor`, …; null otherwise. */
  failureCode: string | null;
  createdAt: string;
  updatedAt: string;
}

export type GatewayErrorKind = "timeout" | "unavailable" | "rejected" | "network";

/**
 * A gateway call that did not return a refund. Only `rejected` is final: after any other
 * kind the refund may or may not exist, and the caller retries with the same idempotency key
 * (or reads it back with `getRefund`) to learn which.
 */
export class GatewayError extends Error {
  readonly kind: GatewayErrorKind;
  readonly retryable: boolean;
  /** The HTTP status the gateway answered, null when no answer came. */
  readonly status: number | null;
  /** The gateway's own error code (e.g. `idempotency_key_reused`), when it sent one. */
  readonly code: string | null;

  constructor(
    kind: GatewayErrorKind,
    message: string,
    options: { status?: number | null; code?: string | null; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "GatewayError";
    this.kind = kind;
    this.retryable = options.retryable ?? kind !== "rejected";
    this.status = options.status ?? null;
    this.code = options.code ?? null;
  }
}

export interface PaymentGateway {
  /** Posts a refund; the same idempotencyKey returns the same refund (never a second one). */
  createRefund(request: GatewayRefundRequest): Promise<GatewayRefund>;
  /** Reads a refund's current state by our idempotency key (for polling stuck payouts). null when the gateway never saw it. */
  getRefund(idempotencyKey: string): Promise<GatewayRefund | null>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isGatewayRefundStatus(v: unknown): v is GatewayRefundStatus {
  return typeof v === "string" && (GATEWAY_REFUND_STATUSES as readonly string[]).includes(v);
}

/** A positive whole number of minor units, without sign, leading zeros or decimals. */
export const MINOR_UNITS_PATTERN = /^[1-9][0-9]*$/;

/**
 * Reads a refund from a gateway answer or webhook; returns the problems found instead of
 * throwing, so each caller raises its own kind of error.
 */
export function parseGatewayRefund(value: unknown): { refund: GatewayRefund } | { problems: string[] } {
  if (!isRecord(value)) return { problems: ["is not an object"] };
  const problems: string[] = [];
  const text = (name: string): string => {
    const v = value[name];
    if (typeof v === "string" && v !== "") return v;
    problems.push(`${name} is missing`);
    return "";
  };
  const gatewayRefundId = text("gatewayRefundId");
  const idempotencyKey = text("idempotencyKey");
  const amountMinor = text("amountMinor");
  if (amountMinor && !MINOR_UNITS_PATTERN.test(amountMinor)) problems.push("amountMinor is not minor units");
  const currency = text("currency");
  const createdAt = text("createdAt");
  const updatedAt = text("updatedAt");
  const status = value.status;
  if (!isGatewayRefundStatus(status)) problems.push("status is not a refund status");
  const failureCode = value.failureCode ?? null;
  if (failureCode !== null && typeof failureCode !== "string") problems.push("failureCode is not a string");
  if (problems.length > 0 || !isGatewayRefundStatus(status)) return { problems };
  return {
    refund: {
      gatewayRefundId,
      idempotencyKey,
      status,
      amountMinor,
      currency,
      failureCode: typeof failureCode === "string" ? failureCode : null,
      createdAt,
      updatedAt,
    },
  };
}
