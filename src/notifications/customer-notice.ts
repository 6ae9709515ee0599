/**
 * What a customer is told about their case: the event types a webhook endpoint can subscribe
 * to, and the notice an operation hands to `notifyCustomer` inside its transaction.
 */
export const CASE_EVENT_TYPES = [
  "case.submitted",
  "case.fast_tracked",
  "case.info_requested",
  "case.info_reminder",
  "case.info_answered",
  "case.escalated",
  "case.awaiting_verification",
  "case.decided",
  "case.appealed",
  "case.withdrawn",
  "case.closed",
  // A refund to the original payment method on its way through the gateway (src/settlement/).
  "refund.submitted",
  "refund.requires_action",
  "refund.succeeded",
  "refund.failed",
  "refund.credited",
] as const;

export type CaseEventType = (typeof CASE_EVENT_TYPES)[number];

/** An endpoint subscribed to this receives every event type, including ones added later. */
export const ALL_EVENTS = "*";

export const isCaseEventType = (t: string): t is CaseEventType =>
  (CASE_EVENT_TYPES as readonly string[]).includes(t);

export interface EmailAttachment {
  filename: string;
  /** An absolute path on this machine (e.g. a rendered letter under DATA_DIR); never a URL. */
  path: string;
  contentType: string;
}

export interface CustomerNotice {
  type: CaseEventType;
  organisationId: string;
  /** The case id. */
  subjectId: string;
  occurredAt: string;
  /** The webhook's `data`. */
  data: Record<string, unknown>;
  email: { subject: string; text: string; attachments?: EmailAttachment[] } | null;
}
