/**
 * The life of a refund case, as data. Every change of state goes through `nextState`; a pair
 * (state, event) missing from TRANSITIONS is illegal and changes nothing (the API answers 409).
 */
export const CASE_STATES = [
  "draft",
  "submitted",
  "in_review",
  "awaiting_customer",
  "escalated",
  "awaiting_verification",
  "decided",
  "appealed",
  "in_second_review",
  "closed",
  "withdrawn",
] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const CASE_EVENTS = [
  "submit",
  "begin_review",
  "request_info",
  "reply",
  "no_reply",
  "escalate",
  "hold_for_verification",
  "verification_cleared",
  "decide",
  "appeal",
  "begin_second_review",
  "close",
  "withdraw",
] as const;
export type CaseEvent = (typeof CASE_EVENTS)[number];

export const TRANSITIONS = {
  draft: { submit: "submitted", withdraw: "withdrawn" },
  // The automatic initial review moves a submitted case on: to a reviewer's queue, straight to a
  // senior reviewer above the escalation threshold, or to a fast-track decision.
  submitted: { begin_review: "in_review", escalate: "escalated", decide: "decided", withdraw: "withdrawn" },
  in_review: {
    request_info: "awaiting_customer",
    escalate: "escalated",
    hold_for_verification: "awaiting_verification",
    decide: "decided",
    withdraw: "withdrawn",
  },
  // The decision clock stands still here; the reply returns the case to review (an escalated
  // case keeps its senior assignment), silence past the deadline withdraws it.
  awaiting_customer: { reply: "in_review", no_reply: "withdrawn", withdraw: "withdrawn" },
  escalated: {
    request_info: "awaiting_customer",
    hold_for_verification: "awaiting_verification",
    decide: "decided",
    withdraw: "withdrawn",
  },
  awaiting_verification: { verification_cleared: "in_review", decide: "decided", withdraw: "withdrawn" },
  decided: { appeal: "appealed", close: "closed" },
  appealed: { begin_second_review: "in_second_review", close: "closed" },
  // NOTE: the decision on appeal is final, so deciding closes the case.
  in_second_review: { decide: "closed" },
  closed: {},
  withdrawn: {},
} as const satisfies Record<CaseState, Partial<Record<CaseEvent, CaseState>>>;

export function nextState(state: CaseState, event: CaseEvent): CaseState | null {
  const row: Partial<Record<CaseEvent, CaseState>> = TRANSITIONS[state];
  return row[event] ?? null;
}

export const isCaseState = (s: string): s is CaseState => (CASE_STATES as readonly string[]).includes(s);

/** States in which a case waits on the provider: the decision clock runs and it can be overdue. */
export const CLOCK_RUNNING_STATES: readonly CaseState[] = [
  "submitted",
  "in_review",
  "escalated",
  "awaiting_verification",
  "appealed",
  "in_second_review",
];

/** States no event leaves. */
export const TERMINAL_STATES: readonly CaseState[] = CASE_STATES.filter(
  (s) => Object.keys(TRANSITIONS[s]).length === 0,
);

/** While open, a case holds its requested amount against the charge's refundable remainder. */
export const isOpenState = (s: CaseState): boolean => !TERMINAL_STATES.includes(s) && s !== "decided";
