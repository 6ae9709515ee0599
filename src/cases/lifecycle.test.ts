import { describe, expect, it } from "vitest";
import {
  CASE_EVENTS,
  CASE_STATES,
  type CaseEvent,
  type CaseState,
  CLOCK_RUNNING_STATES,
  isCaseState,
  isOpenState,
  nextState,
  TERMINAL_STATES,
  TRANSITIONS,
} from "./lifecycle.js";

// ---------------------------------------------------------------------------------------------------------
// The whole machine, written out by hand: every state × every event. A change to TRANSITIONS must be made
// here too, on purpose. `null` means the event is illegal in that state (the API answers 409).

const EXPECTED: Record<CaseState, Record<CaseEvent, CaseState | null>> = {
  draft: {
    submit: "submitted",
    begin_review: null,
    request_info: null,
    reply: null,
    no_reply: null,
    escalate: null,
    hold_for_verification: null,
    verification_cleared: null,
    decide: null,
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: "withdrawn",
  },
  submitted: {
    submit: null,
    begin_review: "in_review",
    request_info: null,
    reply: null,
    no_reply: null,
    escalate: "escalated",
    hold_for_verification: null,
    verification_cleared: null,
    decide: "decided",
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: "withdrawn",
  },
  in_review: {
    submit: null,
    begin_review: null,
    request_info: "awaiting_customer",
    reply: null,
    no_reply: null,
    escalate: "escalated",
    hold_for_verification: "awaiting_verification",
    verification_cleared: null,
    decide: "decided",
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: "withdrawn",
  },
  awaiting_customer: {
    submit: null,
    begin_review: null,
    request_info: null,
    reply: "in_review",
    no_reply: "withdrawn",
    escalate: null,
    hold_for_verification: null,
    verification_cleared: null,
    decide: null,
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: "withdrawn",
  },
  escalated: {
    submit: null,
    begin_review: null,
    request_info: "awaiting_customer",
    reply: null,
    no_reply: null,
    escalate: null,
    hold_for_verification: "awaiting_verification",
    verification_cleared: null,
    decide: "decided",
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: "withdrawn",
  },
  awaiting_verification: {
    submit: null,
    begin_review: null,
    request_info: null,
    reply: null,
    no_reply: null,
    escalate: null,
    hold_for_verification: null,
    verification_cleared: "in_review",
    decide: "decided",
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: "withdrawn",
  },
  decided: {
    submit: null,
    begin_review: null,
    request_info: null,
    reply: null,
    no_reply: null,
    escalate: null,
    hold_for_verification: null,
    verification_cleared: null,
    decide: null,
    appeal: "appealed",
    begin_second_review: null,
    close: "closed",
    withdraw: null,
  },
  appealed: {
    submit: null,
    begin_review: null,
    request_info: null,
    reply: null,
    no_reply: null,
    escalate: null,
    hold_for_verification: null,
    verification_cleared: null,
    decide: null,
    appeal: null,
    begin_second_review: "in_second_review",
    close: "closed",
    withdraw: null,
  },
  in_second_review: {
    submit: null,
    begin_review: null,
    request_info: null,
    reply: null,
    no_reply: null,
    escalate: null,
    hold_for_verification: null,
    verification_cleared: null,
    decide: "closed",
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: null,
  },
  closed: {
    submit: null,
    begin_review: null,
    request_info: null,
    reply: null,
    no_reply: null,
    escalate: null,
    hold_for_verification: null,
    verification_cleared: null,
    decide: null,
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: null,
  },
  withdrawn: {
    submit: null,
    begin_review: null,
    request_info: null,
    reply: null,
    no_reply: null,
    escalate: null,
    hold_for_verification: null,
    verification_cleared: null,
    decide: null,
    appeal: null,
    begin_second_review: null,
    close: null,
    withdraw: null,
  },
};

const CELLS: ReadonlyArray<readonly [CaseState, CaseEvent, CaseState | null]> = CASE_STATES.flatMap((s) =>
  CASE_EVENTS.map((e) => [s, e, EXPECTED[s][e]] as const),
);

/** Every state reachable from `from` by any sequence of legal events (including `from` itself). */
function reachableFrom(from: CaseState): Set<CaseState> {
  const seen = new Set<CaseState>([from]);
  const queue: CaseState[] = [from];
  for (let s = queue.shift(); s !== undefined; s = queue.shift())
    for (const e of CASE_EVENTS) {
      const to = nextState(s, e);
      if (to !== null && !seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  return seen;
}

describe("case lifecycle", () => {
  it("has exactly the eleven states and thirteen events the table is written for", () => {
    expect([...CASE_STATES]).toEqual(Object.keys(EXPECTED));
    expect([...CASE_EVENTS]).toEqual(Object.keys(EXPECTED.draft));
    expect(CELLS).toHaveLength(143);
  });

  describe("nextState", () => {
    it.each(CELLS)("from %s on %s → %s", (state, event, expected) => {
      expect(nextState(state, event)).toBe(expected);
    });

    it("finds no transition in TRANSITIONS that the table does not list", () => {
      for (const s of CASE_STATES)
        for (const [event, to] of Object.entries(TRANSITIONS[s]))
          expect(EXPECTED[s][event as CaseEvent], `${s} on ${event}`).toBe(to);
    });
  });

  it("reaches every state from draft", () => {
    expect([...reachableFrom("draft")].sort()).toEqual([...CASE_STATES].sort());
  });

  it("has closed and withdrawn as its only terminal states", () => {
    expect([...TERMINAL_STATES].sort()).toEqual(["closed", "withdrawn"]);
  });

  it.each(CASE_STATES.filter((s) => !TERMINAL_STATES.includes(s)))("can end a case that is %s", (state) => {
    const reachable = reachableFrom(state);
    expect(TERMINAL_STATES.some((t) => reachable.has(t))).toBe(true);
  });

  describe("when the case is in its second review", () => {
    it("closes on decide, because the decision on appeal is final", () => {
      expect(nextState("in_second_review", "decide")).toBe("closed");
    });

    it("cannot be appealed again or withdrawn", () => {
      expect(nextState("in_second_review", "appeal")).toBeNull();
      expect(nextState("in_second_review", "withdraw")).toBeNull();
    });
  });

  it("accepts no_reply only while awaiting the customer", () => {
    const from = CASE_STATES.filter((s) => nextState(s, "no_reply") !== null);
    expect(from).toEqual(["awaiting_customer"]);
    expect(nextState("awaiting_customer", "no_reply")).toBe("withdrawn");
  });

  it("runs the decision clock only while the provider owes the next step", () => {
    expect([...CLOCK_RUNNING_STATES].sort()).toEqual(
      ["submitted", "in_review", "escalated", "awaiting_verification", "appealed", "in_second_review"].sort(),
    );
    expect(CLOCK_RUNNING_STATES).not.toContain("awaiting_customer");
  });

  it.each([
    ["draft", true],
    ["submitted", true],
    ["in_review", true],
    ["awaiting_customer", true],
    ["escalated", true],
    ["awaiting_verification", true],
    ["decided", false],
    ["appealed", true],
    ["in_second_review", true],
    ["closed", false],
    ["withdrawn", false],
  ] as const)("isOpenState(%s) is %s", (state, open) => {
    expect(isOpenState(state)).toBe(open);
  });

  it("recognises its own states and nothing else", () => {
    for (const s of CASE_STATES) expect(isCaseState(s)).toBe(true);
    expect(isCaseState("approved")).toBe(false);
    expect(isCaseState("")).toBe(false);
  });
});
