/**
 * What a customer (or a support agent for them) has drafted so far: the input of `buildRequest` and
 * `lintRequest`. Plain data, JSON in and out, so the console can post it to `POST /cases/preview` as it is.
 */
import { type Dec, parseDecimal } from "../money/index.js";
import { AppError } from "../shared/errors.js";
import type { CaseChannel, CaseReason, DesiredOutcome } from "./vocabulary.js";

/** One billed line item (a FOCUS row) the request is about, as the billing store holds it. */
export interface DraftLineItem {
  chargeId: string;
  /** `FILE:LINE` (CSV) or `FILE:ROW` (Parquet) of the imported row. */
  sourceRef: string;
  providerName: string | null;
  serviceName: string | null;
  resourceId: string | null;
  resourceName: string | null;
  regionId: string | null;
  invoiceId: string | null;
  skuId: string | null;
  chargeDescription: string | null;
  chargeCategory: string | null;
  /** ISO 8601 with an offset or `Z`. */
  chargePeriodStart: string | null;
  chargePeriodEnd: string | null;
  pricingQuantity: string | null;
  pricingUnit: string | null;
  consumedQuantity: string | null;
  /** Exact decimal string. */
  billedCost: string;
  currency: string;
}

/** When a resource really ran (a usage-file record); `start`/`end` are ISO 8601 with an offset or `Z`. */
export interface DraftUsage {
  resourceId: string;
  start: string;
  end: string;
  quantity: string | null;
  unit: string | null;
  sourceRef: string;
}

export interface DraftIncident {
  incidentId: string;
  serviceName: string;
  regionId: string;
  start: string;
  end: string;
  statusPageUrl: string | null;
}

export interface DraftEvidence {
  kind: "file" | "transcript" | "email" | "reference";
  /** File name, "Chat transcript 2026-05-03", "usage usage.jsonl:12". */
  label: string;
}

export interface RequestDraft {
  reason: CaseReason;
  desiredOutcome: DesiredOutcome;
  /** Requested amount per line item (exact decimal strings); null → the whole billed cost. */
  amounts: Record<string, string | null>;
  summary: string;
  description: string;
  impactStatement: string;
  customer: {
    organisationName: string;
    accountName: string;
    accountExternalId: string | null;
    /** IANA time zone, e.g. "Asia/Shanghai". */
    timeZone: string;
  };
  filedBy: {
    name: string;
    channel: CaseChannel;
    /** An agent logging for a customer: the customer contact. */
    onBehalfOf: string | null;
  };
  lineItems: DraftLineItem[];
  usage: DraftUsage[];
  incidents: DraftIncident[];
  evidence: DraftEvidence[];
  /** When the request comes from an audit finding. */
  finding: { id: string; kind: string; explanation: string; figures: Record<string, string> } | null;
}

/** The free-text fields a customer writes; the lint scans them, the property tests fuzz them. */
export const TEXT_FIELDS = ["summary", "description", "impactStatement"] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

/**
 * The amount the customer typed for a line item, or null for "the whole billed cost". Own properties only,
 * so a charge id such as "constructor" never reads something off Object.prototype.
 */
export function requestedAmountText(draft: RequestDraft, chargeId: string): string | null {
  return Object.hasOwn(draft.amounts, chargeId) ? (draft.amounts[chargeId] ?? null) : null;
}

/**
 * An exact decimal, or null when the text is not one. Only for customer-typed values that the lint reports
 * (amount_exceeds_billed); anything else that fails is a bug and is rethrown.
 */
export function tryDecimal(text: string): Dec | null {
  try {
    return parseDecimal(text, "amount");
  } catch (error) {
    if (error instanceof AppError && error.code === "validation_failed") return null;
    throw error;
  }
}
