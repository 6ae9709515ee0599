/** What can go wrong at the simulated gateway, switched on by options or `POST /_sim/faults`. */

export interface WebhookFaults {
  /** Chance (0–1) that an event is sent twice, with the same `webhook-id`. */
  duplicateRate: number;
  /** Delay each copy by a random time within `reorderWindowMs`, so events overtake each other. */
  reorder: boolean;
  reorderWindowMs: number;
  /** Chance (0–1) that an event is never sent at all. */
  lossRate: number;
}

/**
 * `alter_amount`: the first line's amount is one minor unit higher; `omit_line`: the last
 * line is left out; `unknown_line`: a line for a refund the gateway never had is appended.
 */
export const SETTLEMENT_DRIFTS = ["alter_amount", "omit_line", "unknown_line"] as const;
export type SettlementDrift = (typeof SETTLEMENT_DRIFTS)[number];

export const AFTER_COMMIT_MODES = ["error", "drop"] as const;
export type AfterCommitMode = (typeof AFTER_COMMIT_MODES)[number];

export interface GatewayFaults {
  /** Answer the next n create calls with 503 before doing anything. */
  failNext: number;
  /** Create (or find) the refund, then fail the answer: the caller cannot know it succeeded. */
  failAfterCommitNext: number;
  /** `error`: answer 500; `drop`: close the connection without an answer. */
  failAfterCommitMode: AfterCommitMode;
  /** Delay every `/v1/` answer (after a create is committed). */
  latencyMs: number;
  webhooks: WebhookFaults;
  settlementDrift: SettlementDrift[];
}

export type GatewayFaultsInput = Partial<Omit<GatewayFaults, "webhooks" | "settlementDrift">> & {
  webhooks?: Partial<WebhookFaults>;
  settlementDrift?: SettlementDrift | readonly SettlementDrift[];
};

export const NO_FAULTS: GatewayFaults = {
  failNext: 0,
  failAfterCommitNext: 0,
  failAfterCommitMode: "error",
  latencyMs: 0,
  webhooks: { duplicateRate: 0, reorder: false, reorderWindowMs: 250, lossRate: 0 },
  settlementDrift: [],
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Merges a change into the current faults; anything not mentioned is kept. Checks values
 * that arrive as JSON, returning every problem at once.
 */
export function mergeFaults(current: GatewayFaults, input: unknown): GatewayFaults | { problems: string[] } {
  if (!isRecord(input)) return { problems: ["the faults must be a JSON object"] };
  const problems: string[] = [];
  const count = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
    problems.push(`${name} must be a whole number ≥ 0`);
    return fallback;
  };
  const rate = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value === "number" && value >= 0 && value <= 1) return value;
    problems.push(`${name} must be a number from 0 to 1`);
    return fallback;
  };
  const known = new Set([
    "failNext",
    "failAfterCommitNext",
    "failAfterCommitMode",
    "latencyMs",
    "webhooks",
    "settlementDrift",
  ]);
  for (const key of Object.keys(input)) if (!known.has(key)) problems.push(`${key} is not a fault`);

  // In field order, so the problems read in the order of the type.
  const failNext = count("failNext", input.failNext, current.failNext);
  const failAfterCommitNext = count(
    "failAfterCommitNext",
    input.failAfterCommitNext,
    current.failAfterCommitNext,
  );
  let mode = current.failAfterCommitMode;
  const m = input.failAfterCommitMode;
  if (m !== undefined) {
    if ((AFTER_COMMIT_MODES as readonly unknown[]).includes(m)) mode = m as AfterCommitMode;
    else problems.push(`failAfterCommitMode must be one of ${AFTER_COMMIT_MODES.join(", ")}`);
  }

  const latencyMs = count("latencyMs", input.latencyMs, current.latencyMs);

  const w = input.webhooks ?? {};
  const webhooks = { ...current.webhooks };
  if (!isRecord(w)) problems.push("webhooks must be an object");
  else {
    webhooks.duplicateRate = rate("webhooks.duplicateRate", w.duplicateRate, webhooks.duplicateRate);
    webhooks.lossRate = rate("webhooks.lossRate", w.lossRate, webhooks.lossRate);
    webhooks.reorderWindowMs = count("webhooks.reorderWindowMs", w.reorderWindowMs, webhooks.reorderWindowMs);
    if (w.reorder !== undefined) {
      if (typeof w.reorder === "boolean") webhooks.reorder = w.reorder;
      else problems.push("webhooks.reorder must be true or false");
    }
  }

  let drift = current.settlementDrift;
  const d = input.settlementDrift;
  if (d !== undefined) {
    const list: unknown[] = d === null ? [] : Array.isArray(d) ? d : [d];
    const bad = list.filter((x) => !(SETTLEMENT_DRIFTS as readonly unknown[]).includes(x));
    if (bad.length > 0) problems.push(`settlementDrift must be among ${SETTLEMENT_DRIFTS.join(", ")}`);
    else drift = [...new Set(list as SettlementDrift[])];
  }

  const merged: GatewayFaults = {
    failNext,
    failAfterCommitNext,
    failAfterCommitMode: mode,
    latencyMs,
    webhooks,
    settlementDrift: drift,
  };
  return problems.length > 0 ? { problems } : merged;
}
