import type { GatewayRefund } from "../gateway/gateway.js";
import type { PayoutTable } from "../store/schema.js";

/**
 * The life of a payout (a refund to the original payment method), as data. Gateway answers,
 * polls and webhooks all become events; a pair (state, event) missing from PAYOUT_TRANSITIONS
 * changes nothing. Every gateway event moves a payout forward only (`PAYOUT_RANK` grows), so a
 * late, duplicate or out-of-order event is simply not a transition: a `pending` webhook after
 * `succeeded` is ignored, `succeeded` twice is a no-op.
 */
export const PAYOUT_STATES = [
  "pending",
  "submitted",
  "requires_action",
  "succeeded",
  "failed",
  "credited",
] as const satisfies readonly PayoutTable["status"][];
export type PayoutState = (typeof PAYOUT_STATES)[number];

export const PAYOUT_EVENTS = [
  /** The gateway holds the refund and is processing it (its status `pending`). */
  "accepted",
  /** The customer's bank wants the customer to do something first (`requires_action`). */
  "action_required",
  "succeeded",
  /** Failed for a reason a person must look at (`insufficient_funds`, `do_not_honor`, a rejection …). */
  "failed",
  /** Failed because the original method can no longer receive money: the amount becomes credit. */
  "method_closed",
  /** Finance sends a failed payout again, as a new attempt with a new idempotency key. */
  "retry",
] as const;
export type PayoutEvent = (typeof PAYOUT_EVENTS)[number];
/** The events a gateway's answer, poll or webhook can bring. */
export type GatewayPayoutEvent = Exclude<PayoutEvent, "retry">;

export const PAYOUT_TRANSITIONS = {
  // Submission started (or not yet): whatever the gateway reports first wins, even a final state
  // that a webhook brings before the submitting worker hears its own answer.
  pending: {
    accepted: "submitted",
    action_required: "requires_action",
    succeeded: "succeeded",
    failed: "failed",
    method_closed: "credited",
  },
  submitted: {
    action_required: "requires_action",
    succeeded: "succeeded",
    failed: "failed",
    method_closed: "credited",
  },
  requires_action: { succeeded: "succeeded", failed: "failed", method_closed: "credited" },
  succeeded: {},
  // NOTE: only a failed payout is retried; the earlier attempt's refund is final at the gateway
  // (`failed` is a terminal gateway state), so a new attempt can never pay twice.
  failed: { retry: "pending" },
  credited: {},
} as const satisfies Record<PayoutState, Partial<Record<PayoutEvent, PayoutState>>>;

export function nextPayoutState(state: PayoutState, event: PayoutEvent): PayoutState | null {
  const row: Partial<Record<PayoutEvent, PayoutState>> = PAYOUT_TRANSITIONS[state];
  return row[event] ?? null;
}

export const isPayoutState = (s: string): s is PayoutState =>
  (PAYOUT_STATES as readonly string[]).includes(s);

/** How far along a payout is; gateway events only ever move to a higher rank. */
export const PAYOUT_RANK = {
  pending: 0,
  submitted: 1,
  requires_action: 2,
  succeeded: 3,
  failed: 3,
  credited: 3,
} as const satisfies Record<PayoutState, number>;

/** States no gateway event leaves; money has either moved or a person must act. */
export const SETTLED_PAYOUT_STATES: readonly PayoutState[] = ["succeeded", "failed", "credited"];

/** States in which the gateway still owes us an answer (pending counts once submission started). */
export const UNSETTLED_PAYOUT_STATES: readonly PayoutState[] = ["pending", "submitted", "requires_action"];

/**
 * NOTE: failure codes meaning the original method can no longer receive money at all (the card
 * was closed or replaced). A refund there can never succeed, so the amount is kept as account
 * credit instead (issue "Settlement"); every other failure goes to finance.
 */
export const METHOD_CLOSED_FAILURE_CODES: readonly string[] = ["card_closed"];

/** The payout event a gateway refund's state stands for. */
export function gatewayEvent(refund: Pick<GatewayRefund, "status" | "failureCode">): GatewayPayoutEvent {
  switch (refund.status) {
    case "pending":
      return "accepted";
    case "requires_action":
      return "action_required";
    case "succeeded":
      return "succeeded";
    case "failed":
      return refund.failureCode !== null && METHOD_CLOSED_FAILURE_CODES.includes(refund.failureCode)
        ? "method_closed"
        : "failed";
  }
}

/**
 * Our id is the gateway's idempotency key: the first attempt is the payout id itself, later
 * attempts (after a failure, by finance) `${id}:${attempt}`. One key names one refund at the
 * gateway, so retries of one attempt can never pay twice.
 */
export function idempotencyKeyFor(payout: Pick<PayoutTable, "id" | "attempt">): string {
  return payout.attempt === 1 ? payout.id : `${payout.id}:${payout.attempt}`;
}

const KEY_PATTERN = /^(po_[0-9a-z]{26})(?::([1-9][0-9]{0,5}))?$/;

/** The payout and attempt an idempotency key names; null for keys we never issue. */
export function parseIdempotencyKey(key: string): { payoutId: string; attempt: number } | null {
  const match = KEY_PATTERN.exec(key);
  if (!match?.[1]) return null;
  const attempt = match[2] === undefined ? 1 : Number(match[2]);
  // `po_…:1` is never issued (attempt 1 is the bare id), so it names nothing of ours.
  if (match[2] !== undefined && attempt < 2) return null;
  return { payoutId: match[1], attempt };
}
