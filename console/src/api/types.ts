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
  impactStatement: string;
  review: CaseReview | null;
  nextSteps: string[];
  timeline: TimelineEvent[];
  evidence: Evidence[];
  informationRequests: InformationRequest[];
  decisions: Decision[];
  appeal: { id: string; argument: string; filedAt: string } | null;
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
