import { describe, expect, it } from "vitest";
import {
  gatewayEvent,
  idempotencyKeyFor,
  nextPayoutState,
  PAYOUT_EVENTS,
  PAYOUT_RANK,
  PAYOUT_STATES,
  type PayoutEvent,
  type PayoutState,
  parseIdempotencyKey,
} from "./payout-state.js";

/** Every legal (state, event) pair and where it leads; everything else must be refused. */
const EXPECTED: Partial<Record<`${PayoutState}×${PayoutEvent}`, PayoutState>> = {
  "pending×accepted": "submitted",
  "pending×action_required": "requires_action",
  "pending×succeeded": "succeeded",
  "pending×failed": "failed",
  "pending×method_closed": "credited",
  "submitted×action_required": "requires_action",
  "submitted×succeeded": "succeeded",
  "submitted×failed": "failed",
  "submitted×method_closed": "credited",
  "requires_action×succeeded": "succeeded",
  "requires_action×failed": "failed",
  "requires_action×method_closed": "credited",
  "failed×retry": "pending",
};

const GATEWAY_EVENTS = PAYOUT_EVENTS.filter((e) => e !== "retry");

describe("payout state machine", () => {
  for (const state of PAYOUT_STATES)
    for (const event of PAYOUT_EVENTS) {
      const expected = EXPECTED[`${state}×${event}`] ?? null;
      it(`${state} × ${event} → ${expected ?? "refused"}`, () => {
        expect(nextPayoutState(state, event)).toBe(expected);
      });
    }

  it("moves forward only on gateway events, so a late or out-of-order event is never a transition", () => {
    for (const state of PAYOUT_STATES)
      for (const event of GATEWAY_EVENTS) {
        const next = nextPayoutState(state, event);
        if (next !== null) expect(PAYOUT_RANK[next]).toBeGreaterThan(PAYOUT_RANK[state]);
      }
  });

  it("ends in the same state whatever order a refund's events arrive in, duplicates included", () => {
    const histories: PayoutEvent[][] = [
      ["accepted", "succeeded"],
      ["accepted", "action_required", "succeeded"],
      ["accepted", "method_closed"],
      ["accepted", "failed"],
    ];
    const permutations = <T>(xs: T[]): T[][] =>
      xs.length <= 1
        ? [xs]
        : xs.flatMap((x, i) => permutations(xs.filter((_, j) => j !== i)).map((p) => [x, ...p]));
    for (const history of histories) {
      const final = history.at(-1) as PayoutEvent;
      const expected = nextPayoutState("pending", final);
      for (const order of permutations([...history, ...history])) {
        let state: PayoutState = "pending";
        for (const event of order) state = nextPayoutState(state, event) ?? state;
        expect(state, order.join(" → ")).toBe(expected);
      }
    }
  });

  it("reads a gateway refund as an event: card_closed becomes credit, other failures stay failures", () => {
    expect(gatewayEvent({ status: "pending", failureCode: null })).toBe("accepted");
    expect(gatewayEvent({ status: "requires_action", failureCode: null })).toBe("action_required");
    expect(gatewayEvent({ status: "succeeded", failureCode: null })).toBe("succeeded");
    expect(gatewayEvent({ status: "failed", failureCode: "card_closed" })).toBe("method_closed");
    expect(gatewayEvent({ status: "failed", failureCode: "insufficient_funds" })).toBe("failed");
    expect(gatewayEvent({ status: "failed", failureCode: null })).toBe("failed");
  });
});

describe("payout idempotency keys", () => {
  const id = "po_01kaz6m4x3q1t8v9w2y5z7b0cd";

  it("are the payout id for the first attempt and id:attempt after", () => {
    expect(idempotencyKeyFor({ id, attempt: 1 })).toBe(id);
    expect(idempotencyKeyFor({ id, attempt: 2 })).toBe(`${id}:2`);
    expect(parseIdempotencyKey(id)).toEqual({ payoutId: id, attempt: 1 });
    expect(parseIdempotencyKey(`${id}:12`)).toEqual({ payoutId: id, attempt: 12 });
  });

  it("name nothing of ours when we never issued them", () => {
    for (const key of [`${id}:1`, `${id}:0`, `${id}:x`, "re_123", `${id}:2:3`, ""])
      expect(parseIdempotencyKey(key), key).toBeNull();
  });
});
