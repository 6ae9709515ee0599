import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import type { Clock } from "../../shared/clock.js";
import type { GatewayRefund, GatewayRefundStatus } from "../gateway.js";

/** A refund as the simulator keeps it: the public view plus what a settlement file needs. */
export interface SimulatedRefund extends GatewayRefund {
  paymentId: string;
  reason: string;
  metadata: Record<string, string>;
  /** When it reached `succeeded` or `failed` (the simulator's clock); its settlement day. */
  finalizedAt: string | null;
  /** Fee charged on a succeeded refund, in minor units; "0" until then. */
  feeMinor: string;
}

interface StoredRefund extends SimulatedRefund {
  /** Counts changes; names each webhook event, so a redelivered event keeps its id. */
  revision: number;
  /** Wall-clock instant the automatic settlement is due (survives a restart); null: only on demand. */
  settleDueAt: string | null;
}

export interface CreateRefundInput {
  idempotencyKey: string;
  paymentId: string;
  amountMinor: string;
  currency: string;
  reason: string;
  metadata: Record<string, string>;
}

export type CreateOutcome =
  | { kind: "created" | "replayed"; refund: SimulatedRefund }
  | { kind: "conflict"; message: string };

export interface RefundChange {
  refund: GatewayRefund;
  revision: number;
  occurredAt: string;
}

/** Refund states at the gateway, as data: `requires_action` waits for the customer. */
export const GATEWAY_TRANSITIONS = {
  pending: ["succeeded", "failed", "requires_action"],
  requires_action: ["succeeded", "failed"],
  succeeded: [],
  failed: [],
} as const satisfies Record<GatewayRefundStatus, readonly GatewayRefundStatus[]>;

export function canTransition(from: GatewayRefundStatus, to: GatewayRefundStatus): boolean {
  return (GATEWAY_TRANSITIONS[from] as readonly GatewayRefundStatus[]).includes(to);
}

export interface OutcomeRules {
  closedCards: ReadonlySet<string>;
  requiresAction: ReadonlySet<string>;
  /** Payment id → failure code (e.g. `insufficient_funds`). */
  declines: ReadonlyMap<string, string>;
}

/** Payment ids that pick their own outcome, so a test needs no configuration for them. */
const OUTCOME_PATTERNS: ReadonlyArray<{
  pattern: RegExp;
  status: GatewayRefundStatus;
  failureCode: string | null;
}> = [
  { pattern: /^pay[_-]closed[_-]/, status: "failed", failureCode: "card_closed" },
  { pattern: /^pay[_-]nsf[_-]/, status: "failed", failureCode: "insufficient_funds" },
  { pattern: /^pay[_-]dnh[_-]/, status: "failed", failureCode: "do_not_honor" },
  { pattern: /^pay[_-]action[_-]/, status: "requires_action", failureCode: null },
];

/** How a pending refund settles, decided by the payment it goes back to. */
export function settlementOutcome(
  paymentId: string,
  rules: OutcomeRules,
): { status: GatewayRefundStatus; failureCode: string | null } {
  if (rules.closedCards.has(paymentId)) return { status: "failed", failureCode: "card_closed" };
  const declined = rules.declines.get(paymentId);
  if (declined !== undefined) return { status: "failed", failureCode: declined };
  if (rules.requiresAction.has(paymentId)) return { status: "requires_action", failureCode: null };
  const matched = OUTCOME_PATTERNS.find((p) => p.pattern.test(paymentId));
  if (matched) return { status: matched.status, failureCode: matched.failureCode };
  return { status: "succeeded", failureCode: null };
}

export interface SimulatorCredentials {
  apiKey: string;
  webhookSecret: string;
}

interface StateFile {
  format: "refund-desk-gateway-simulator/1";
  credentials: SimulatorCredentials | null;
  refunds: StoredRefund[];
}

/** Writes the whole file next to its place, flushes it, then renames: a reader never sees half. */
export function writeFileAtomically(path: string, data: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

function publicView(r: StoredRefund): SimulatedRefund {
  const { revision: _revision, settleDueAt: _due, ...view } = r;
  return { ...view, metadata: { ...view.metadata } };
}

export function gatewayView(r: SimulatedRefund): GatewayRefund {
  return {
    gatewayRefundId: r.gatewayRefundId,
    idempotencyKey: r.idempotencyKey,
    status: r.status,
    amountMinor: r.amountMinor,
    currency: r.currency,
    failureCode: r.failureCode,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/**
 * The simulator's refunds, by idempotency key. Every method runs start to end without
 * awaiting, so two concurrent requests with one key can never both create. With a state
 * file, each change is on disk before the method returns (and so before any answer).
 */
export class RefundBook {
  readonly #byKey = new Map<string, StoredRefund>();
  readonly #byId = new Map<string, StoredRefund>();
  readonly #seed: number;
  readonly #clock: Clock;
  readonly #stateFile: string | null;
  readonly #onChange: (change: RefundChange) => void;
  #credentials: SimulatorCredentials | null = null;

  constructor(options: {
    seed: number;
    clock: Clock;
    stateFile: string | null;
    onChange: (change: RefundChange) => void;
  }) {
    this.#seed = options.seed;
    this.#clock = options.clock;
    this.#stateFile = options.stateFile;
    this.#onChange = options.onChange;
    if (this.#stateFile && existsSync(this.#stateFile)) this.#load(this.#stateFile);
  }

  /** Credentials remembered from an earlier run with the same state file, if any. */
  get storedCredentials(): SimulatorCredentials | null {
    return this.#credentials;
  }

  set credentials(credentials: SimulatorCredentials) {
    this.#credentials = credentials;
    this.#save();
  }

  create(input: CreateRefundInput, settleDueAt: string | null): CreateOutcome {
    const existing = this.#byKey.get(input.idempotencyKey);
    if (existing) {
      // What the money is must match; reason and metadata may be re-rendered by a retry.
      const differs = (["paymentId", "amountMinor", "currency"] as const).filter(
        (f) => existing[f] !== input[f],
      );
      if (differs.length > 0)
        return {
          kind: "conflict",
          message: `Idempotency-Key ${input.idempotencyKey} was used for a refund with a different ${differs.join(", ")}`,
        };
      return { kind: "replayed", refund: publicView(existing) };
    }
    const now = this.#clock.now().toISOString();
    const refund: StoredRefund = {
      gatewayRefundId: this.#refundId(input.idempotencyKey),
      idempotencyKey: input.idempotencyKey,
      status: "pending",
      amountMinor: input.amountMinor,
      currency: input.currency,
      failureCode: null,
      createdAt: now,
      updatedAt: now,
      paymentId: input.paymentId,
      reason: input.reason,
      metadata: { ...input.metadata },
      finalizedAt: null,
      feeMinor: "0",
      revision: 1,
      settleDueAt,
    };
    this.#byKey.set(refund.idempotencyKey, refund);
    this.#byId.set(refund.gatewayRefundId, refund);
    this.#save();
    this.#onChange({ refund: gatewayView(refund), revision: refund.revision, occurredAt: now });
    return { kind: "created", refund: publicView(refund) };
  }

  /** Moves a refund along `GATEWAY_TRANSITIONS`; null when it is unknown or may not move so. */
  transition(
    gatewayRefundId: string,
    status: GatewayRefundStatus,
    failureCode: string | null,
    feeMinor: string,
  ): SimulatedRefund | null {
    const refund = this.#byId.get(gatewayRefundId);
    if (!refund || !canTransition(refund.status, status)) return null;
    const now = this.#clock.now().toISOString();
    refund.status = status;
    refund.failureCode = status === "failed" ? (failureCode ?? "do_not_honor") : null;
    refund.updatedAt = now;
    refund.revision += 1;
    refund.settleDueAt = null;
    if (status === "succeeded" || status === "failed") refund.finalizedAt = now;
    if (status === "succeeded") refund.feeMinor = feeMinor;
    this.#save();
    this.#onChange({ refund: gatewayView(refund), revision: refund.revision, occurredAt: now });
    return publicView(refund);
  }

  byKey(idempotencyKey: string): SimulatedRefund | null {
    const r = this.#byKey.get(idempotencyKey);
    return r ? publicView(r) : null;
  }

  byId(gatewayRefundId: string): SimulatedRefund | null {
    const r = this.#byId.get(gatewayRefundId);
    return r ? publicView(r) : null;
  }

  /** In creation order. */
  all(): SimulatedRefund[] {
    return [...this.#byKey.values()].map(publicView);
  }

  /** Pending refunds with when their automatic settlement is due. */
  pending(): Array<{ gatewayRefundId: string; settleDueAt: string | null }> {
    return [...this.#byKey.values()]
      .filter((r) => r.status === "pending")
      .map((r) => ({ gatewayRefundId: r.gatewayRefundId, settleDueAt: r.settleDueAt }));
  }

  clear(): void {
    this.#byKey.clear();
    this.#byId.clear();
    this.#save();
  }

  /** Derived from the key, so a replay after a restart (or a reset) names the same refund. */
  #refundId(idempotencyKey: string): string {
    const digest = createHash("sha256").update(`${this.#seed}:${idempotencyKey}`).digest("hex");
    return `re_sim_${digest.slice(0, 24)}`;
  }

  #load(path: string): void {
    const state = JSON.parse(readFileSync(path, "utf8")) as StateFile;
    if (state.format !== "refund-desk-gateway-simulator/1")
      throw new Error(`${path} is not a gateway simulator state file`);
    this.#credentials = state.credentials;
    for (const r of state.refunds) {
      this.#byKey.set(r.idempotencyKey, r);
      this.#byId.set(r.gatewayRefundId, r);
    }
  }

  #save(): void {
    if (!this.#stateFile) return;
    const state: StateFile = {
      format: "refund-desk-gateway-simulator/1",
      credentials: this.#credentials,
      refunds: [...this.#byKey.values()],
    };
    writeFileAtomically(this.#stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }
}
