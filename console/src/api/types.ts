/**
 * The API's shapes as the console reads them (see /openapi.json). Written by hand from the server's
 * views: the console is a client of the public API like any other, not a sharer of server code.
 */

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/** RFC 9457 problem details; `code` is the server's closed vocabulary, plus `network` for a failed fetch. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  requestId?: string;
  errors?: FieldError[];
  currentState?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface UserSession {
  kind: "user";
  user: { id: string; email: string; name: string };
  memberships: Array<{ organisationId: string; role: string }>;
  providerRoles: string[];
  csrfToken: string | null;
}

export interface Organisation {
  id: string;
  kind: string;
  name: string;
  billingAccountId: string | null;
  country: string | null;
  timeZone: string | null;
}

export interface Account {
  id: string;
  organisationId: string;
  name: string;
  externalId: string | null;
  isBillingAccount: boolean;
  currency: string;
  kyc: { status: string };
}

export interface Charge {
  id: string;
  accountId: string;
  sourceRef: string;
  providerName: string | null;
  invoiceId: string | null;
  chargePeriodStart: string | null;
  chargePeriodEnd: string | null;
  chargeCategory: string | null;
  chargeFrequency: string | null;
  chargeDescription: string | null;
  serviceName: string | null;
  regionId: string | null;
  resourceId: string | null;
  skuId: string | null;
  pricingQuantity: string | null;
  pricingUnit: string | null;
  listUnitPrice: string | null;
  contractedUnitPrice: string | null;
  billedCost: string | null;
  billingCurrency: string | null;
}

export interface Finding {
  id: string;
  kind: string;
  accountId: string | null;
  charges: string[];
  amount: string;
  currency: string;
  outcome: string;
  claimable: boolean;
  explanation: string;
  clauses: string[];
  status: string;
  firstFoundAt: string;
}

export interface AuditRun {
  id: string;
  status: string;
  asOf: string;
  findings: number | null;
  refundable: Record<string, string> | null;
  finishedAt: string | null;
}

export interface CaseSummary {
  id: string;
  ticketNumber: string | null;
  organisationId: string;
  accountId: string;
  chargeId: string;
  findingId: string | null;
  reason: string;
  desiredOutcome: string;
  amount: string;
  currency: string;
  summary: string;
  channel: string;
  state: string;
  queue: string;
  assignedRole: string;
  assigneeId: string | null;
  fastTrack: boolean;
  riskSignals: string[];
  timeZone: string;
  expectedDecisionBy: { date: string; at: string } | null;
  overdue: boolean;
  clockPaused: boolean;
  submittedAt: string | null;
  decidedAt: string | null;
  appealBy: string | null;
  version: number;
  createdAt: string;
}

export interface ReviewCheck {
  code: string;
  result: string;
  detail: string;
}

export interface CaseReview {
  /** When the automatic review ran (absent on reviews stored before it was recorded). */
  reviewedAt?: string;
  checks: ReviewCheck[];
  policy: {
    productRuleId: string | null;
    eligible: boolean | null;
    clauses: string[];
    exclusion: { clauseId: string; reason: string } | null;
  };
  riskSignals: string[];
}

export interface Decision {
  id: string;
  sequence: number;
  final: boolean;
  outcome: string;
  amount: string | null;
  currency: string;
  rationale: string;
  clauses: Array<{ id: string; title: string; text: string }>;
  credit: { services: string[]; regions: string[]; expiresAt: string } | null;
  adjustment: string | null;
  appealBy: string | null;
  decidedAt: string;
  letter: string;
}

export interface Evidence {
  id: string;
  kind: string;
  label: string;
  contentType: string | null;
  sizeBytes: number | null;
  text: string | null;
  createdAt: string;
}

export interface InformationRequest {
  id: string;
  questions: string[];
  businessDays: number;
  askedAt: string;
  dueDate: string;
  dueAt: string;
  status: string;
  answer: string | null;
  answeredAt: string | null;
}

export interface TimelineEvent {
  id: string;
  at: string;
  actor: string;
  type: string;
  fromState: string | null;
  toState: string | null;
  note: string;
}

export interface CaseDetail extends CaseSummary {
  description: string;
  filedBy?: string;
  onBehalfOf?: string | null;
  impactStatement: string;
  review: CaseReview | null;
  nextSteps: string[];
  timeline: TimelineEvent[];
  evidence: Evidence[];
  informationRequests: InformationRequest[];
  decisions: Decision[];
  appeal: { id: string; argument: string; filedAt: string } | null;
}

/** One charge's billed quantity against the usage records of its resource (the request builder's table). */
export interface BilledVersusActualRow {
  chargeId: string;
  sourceRef: string;
  resourceId: string | null;
  billedQuantity: string | null;
  /** Null: the usage cannot be compared with this charge (no period, no unit, no records in its unit). */
  actualQuantity: string | null;
  unit: string | null;
  billedCost: string;
  differenceQuantity: string | null;
}

/** An SLA-breach case's outages in its charge period and each month's availability against the SLA. */
export interface CaseSla {
  serviceName: string | null;
  regionId: string | null;
  periodStart: string;
  periodEnd: string;
  entry: { clauseId: string; scope: string; thresholdPercent: string; sourceUrl: string } | null;
  months: Array<{
    /** UTC calendar month, YYYY-MM. */
    month: string;
    /** Integer milliseconds, as a string. */
    downtimeMs: string;
    availabilityPercent: string;
    creditPercent: string | null;
  }>;
  incidents: Array<{
    incidentId: string;
    regionId: string;
    start: string;
    end: string;
    statusPageUrl: string | null;
  }>;
}

/** `GET /cases/{id}/analysis`: what the customer's own evidence says about the charge. */
export interface CaseAnalysis {
  billedVersusActual: { rows: BilledVersusActualRow[]; note: string } | null;
  sla: CaseSla | null;
  /** Why the evidence could not be compared (malformed billing data), or null. */
  unavailable: string | null;
}

export interface LintIssue {
  code: string;
  severity: string;
  field: string;
  message: string;
  excerpt: string | null;
  start: number | null;
  end: number | null;
  suggestion: string | null;
}

export interface BuiltRequest {
  subject: string;
  executiveSummary: string;
  timeline: Array<{ at: string; utc: string; timeZone: string; event: string }>;
  evidenceList: string[];
  requestedResolution: string;
  totals: Array<{ currency: string; amount: string }>;
}

export interface Preview {
  request: BuiltRequest;
  lint: LintIssue[];
}

export interface Filed {
  requestId: string;
  subject: string;
  lint: LintIssue[];
  cases: CaseSummary[];
}

/** A bill or evidence file uploaded for import (GET /imports/{id}); `error` names file, line and column. */
export interface ImportProgress {
  phase: string;
  rowsDone: number;
  rowsTotal: number | null;
  rowsPerSecond: number | null;
  etaSeconds: number | null;
}

export interface ImportError {
  code?: string;
  detail?: string;
  file?: string;
  line?: number;
  row?: number;
  column?: string;
  expected?: string;
  found?: string;
}

export interface ImportJob {
  id: string;
  organisationId: string;
  kind: string;
  fileName: string;
  format: string | null;
  status: string;
  rowsTotal: number | null;
  rowsImported: number;
  rowsInvalid: number;
  duplicateOf: string | null;
  progress: ImportProgress | null;
  error: ImportError | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface KycDocument {
  id: string;
  kind: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  createdAt: string;
}

export interface KycStatus {
  accountId: string;
  status: string;
  via: string | null;
  type: string | null;
  legalName: string | null;
  submittedAt: string | null;
  verifiedAt: string | null;
  expiresAt: string | null;
  rejectionReason: string | null;
  documents: KycDocument[];
  reviews: Array<{ decision: string; reason: string; decidedBy: string; at: string }>;
}

/** A refund to the customer's payment method, as the customer sees it (GET /organisations/{id}/payouts). */
export interface CustomerPayout {
  id: string;
  caseId: string;
  ticketNumber: string | null;
  accountId: string;
  amount: string;
  currency: string;
  status: string;
  failureCode: string | null;
  submittedAt: string | null;
  settledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A pending KYC submission in compliance's queue (GET /kyc/queue), oldest first. */
export interface KycQueueItem {
  accountId: string;
  accountName: string;
  organisationId: string;
  organisationName: string;
  type: string | null;
  legalName: string | null;
  submittedAt: string;
}

/** Another account sharing an identity number or a payment instrument (GET /accounts/{id}/links). */
export interface IdentityLink {
  accountId: string;
  accountName: string;
  organisationId: string;
  organisationName: string;
  shared: string[];
  /** Compliance's latest verdict on the link, if any. */
  review: {
    verdict: "suspected_abuse" | "legitimate";
    reason: string;
    reviewedBy: string;
    reviewedAt: string;
  } | null;
}

/** An audit-log entry (GET /organisations/{id}/audit-log); `summary` depends on the action. */
export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  summary: unknown;
  requestId: string | null;
}

/** A payout as finance sees it (GET /payouts): the gateway's side too. */
export interface Payout extends CustomerPayout {
  organisationId: string;
  decisionId: string;
  amountMinor: string;
  paymentId: string | null;
  attempt: number;
  idempotencyKey: string;
  gatewayRefundId: string | null;
  lastError: string | null;
  version: number;
}

export interface ReconciliationTotals {
  lines: number;
  matched: number;
  mismatched: number;
  missingInRecords: number;
  missingInSettlement: number;
}

export interface ReconciliationSummary {
  id: string;
  fileName: string;
  sha256: string;
  settlementDate: string | null;
  totals: ReconciliationTotals;
  allMatched: boolean;
  createdBy: string;
  createdAt: string;
}

export interface ReconciliationItem {
  result: "matched" | "mismatched" | "missing_in_records" | "missing_in_settlement";
  line: number | null;
  payoutId: string | null;
  organisationId: string | null;
  matchedBy: string | null;
  gatewayRefundId: string | null;
  idempotencyKey: string | null;
  theirs: { amount: string; currency: string; status: string; type: string } | null;
  ours: { amount: string; currency: string; status: string; attempt: number } | null;
  differences: Array<{ field: string; ours: string | null; theirs: string | null; message: string }>;
  note: string | null;
}

export interface Reconciliation extends ReconciliationSummary {
  settled: Array<{ currency: string; refunds: string; fees: string }>;
  items: ReconciliationItem[];
}

export interface FinanceTask {
  id: string;
  kind: string;
  status: string;
  payoutId: string | null;
  settlementImportId: string | null;
  summary: string;
  details: unknown;
  createdAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

/** Exact decimals in major units; the `…Minor` integers beside them as strings. */
export interface LedgerAmounts {
  debit: string;
  credit: string;
  balance: string;
}

export interface LedgerBalance extends LedgerAmounts {
  ledgerAccountId: string;
  code: string;
  title: string;
  type: string;
  normalBalance: "debit" | "credit";
  accountId: string | null;
  currency: string;
}

export interface JournalLine {
  id: string;
  code: string;
  accountId: string | null;
  currency: string;
  debit: string | null;
  credit: string | null;
}

export interface JournalEntry {
  id: string;
  organisationId: string;
  kind: string;
  description: string;
  postingKey: string;
  caseId: string | null;
  payoutId: string | null;
  effectiveAt: string;
  lines: JournalLine[];
}

export interface TrialBalanceCurrency {
  currency: string;
  balanced: boolean;
  totalDebit: string;
  totalCredit: string;
  difference: string;
  rows: Array<LedgerAmounts & { code: string; title: string; normalBalance: "debit" | "credit" }>;
}

export interface TrialBalance {
  balanced: boolean;
  currencies: TrialBalanceCurrency[];
}

/** One group of the dashboard (a reason, a service or a month) in one currency. */
export interface DashboardGroup {
  key: string;
  currency: string;
  filed: number;
  decided: number;
  approved: number;
  requested: string;
  granted: string;
}

/** GET /dashboard: money as exact decimal strings per currency; rates between 0 and 1. */
export interface Dashboard {
  organisationId: string | null;
  from: string | null;
  to: string | null;
  cases: {
    filed: number;
    decided: number;
    approved: number;
    denied: number;
    approvalRate: number | null;
    medianSecondsToDecision: number | null;
    decidedWithTarget: number;
    decidedWithinTarget: number;
    withinTargetRate: number | null;
  };
  totals: Array<{ currency: string; filed: number; approved: number; requested: string; granted: string }>;
  byReason: DashboardGroup[];
  byService: DashboardGroup[];
  byMonth: DashboardGroup[];
  findings: Array<{ kind: string; currency: string; count: number; amount: string }>;
}

/** An account credit (GET /accounts/{id}/credits): exact decimal amounts in the credit's currency. */
export interface Credit {
  id: string;
  accountId: string;
  caseId: string | null;
  decisionId: string | null;
  source: string;
  currency: string;
  amount: string;
  remaining: string;
  scope: { services: string[]; regions: string[] };
  priority: number;
  expiresAt: string;
  /** `expired` as soon as the expiry passes. */
  status: "active" | "used" | "expired";
  createdAt: string;
}

export interface CreditsPage extends Page<Credit> {
  balances: Array<{ currency: string; remaining: string }>;
}

/** A member of a customer organisation (GET /organisations/{id}/members). */
export interface Member {
  id: string;
  userId: string;
  email: string;
  name: string;
  role: string;
  createdAt: string;
}

/** An API token of the organisation (GET /organisations/{id}/tokens); the secret is never listed. */
export interface ApiToken {
  id: string;
  name: string;
  /** null: every account of the organisation. */
  accountIds: string[] | null;
  permissions: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** POST /organisations/{id}/tokens: the only answer that carries the secret. */
export interface CreatedApiToken {
  id: string;
  name: string;
  token: string;
  accountIds: string[] | null;
  permissions: string[];
  createdAt: string;
}
