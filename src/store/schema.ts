import type { ColumnType } from "kysely";

/**
 * Table shapes shared by both engines. Conventions that keep SQLite and PostgreSQL rows
 * identical: timestamps are ISO 8601 UTC strings (`2026-05-03T09:12:00.000Z`, sortable as
 * text), booleans are integers 0/1, JSON is text, binary is a blob/bytea (Buffer).
 */

export interface OrganisationTable {
  id: string;
  kind: "provider" | "customer";
  name: string;
  /** The account that pays for the organisation's consolidated bill (null for the provider). */
  billing_account_id: string | null;
  /** ISO 3166-1 alpha-2: whose public holidays count in business-day deadlines. */
  country: string | null;
  /** IANA time zone the customer's deadlines and letters are shown in. */
  time_zone: string | null;
  created_at: string;
}

export interface AccountTable {
  id: string;
  organisation_id: string;
  name: string;
  /** The provider's own id for the account (FOCUS `BillingAccountId` / `SubAccountId`). */
  external_id: string | null;
  is_billing: number;
  currency: string;
  kyc_type: "individual" | "enterprise" | null;
  kyc_status: "unverified" | "pending" | "verified" | "rejected";
  kyc_legal_name: string | null;
  kyc_submitted_at: string | null;
  kyc_verified_at: string | null;
  kyc_expires_at: string | null;
  kyc_rejection_reason: string | null;
  created_at: string;
  /** Optimistic-concurrency counter, bumped by every update. */
  version: number;
}

export interface UserTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  failed_logins: number;
  locked_until: string | null;
  disabled: number;
  created_at: string;
}

export interface MembershipTable {
  id: string;
  user_id: string;
  organisation_id: string;
  role: string;
  created_at: string;
}

export interface SessionTable {
  id: string;
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

export interface ApiTokenTable {
  id: string;
  organisation_id: string;
  name: string;
  token_hash: string;
  /** JSON array of account ids, or null for every account of the organisation. */
  account_ids: string | null;
  /** JSON array of permissions such as `refunds:write`. */
  permissions: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface KycDocumentTable {
  id: string;
  account_id: string;
  kind: string;
  content_type: string;
  size_bytes: number;
  /** SHA-256 of the plaintext, hex: duplicates of one upload are stored once per account. */
  sha256: string;
  /** AES-256-GCM: 12-byte nonce ‖ ciphertext ‖ 16-byte tag. */
  ciphertext: Buffer;
  uploaded_by: string;
  created_at: string;
}

export interface KycReviewTable {
  id: string;
  account_id: string;
  decision: "verified" | "rejected";
  reason: string;
  decided_by: string;
  created_at: string;
}

export interface IdentityFingerprintTable {
  id: string;
  account_id: string;
  kind: "identity_number" | "payment_instrument";
  /** HMAC-SHA-256 keyed with the secret key: equal inputs link accounts, the input is not kept. */
  keyed_hash: string;
  created_at: string;
}

export interface PaymentMethodTable {
  id: string;
  account_id: string;
  type: "card" | "bank_account" | "wallet";
  label: string;
  fingerprint_id: string;
  status: "active" | "closed";
  created_at: string;
}

export interface ProcessedWebhookTable {
  source: string;
  message_id: string;
  received_at: string;
}

export interface AuditLogTable {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  organisation_id: string | null;
  summary: string;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

/** PostgreSQL only: entries written by open transactions, linked into `audit_log` at commit. */
export interface AuditLogPendingTable {
  id: string;
  at: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  organisation_id: string | null;
  summary: string;
  request_id: string | null;
  hash_input: string;
}

export interface AuditLogHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  request_hash: string;
  /** `committed`: the request's effect committed (in its own transaction), its answer not yet recorded. */
  state: "in_progress" | "committed" | "completed";
  status_code: number | null;
  response_body: string | null;
  content_type: string | null;
  created_at: string;
}

export interface Database {
  organisations: OrganisationTable;
  accounts: AccountTable;
  users: UserTable;
  memberships: MembershipTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  kyc_documents: KycDocumentTable;
  kyc_reviews: KycReviewTable;
  identity_fingerprints: IdentityFingerprintTable;
  payment_methods: PaymentMethodTable;
  processed_webhooks: ProcessedWebhookTable;
  audit_log: AuditLogTable;
  audit_log_head: AuditLogHeadTable;
  audit_log_pending: AuditLogPendingTable;
  idempotency_keys: IdempotencyKeyTable;
  imports: ImportTable;
  charges: ChargeTable;
  usage_intervals: UsageIntervalTable;
  subscriptions: SubscriptionTable;
  incidents: IncidentTable;
  promotions: PromotionTable;
  payments: PaymentTable;
  jobs: JobTable;
  audit_runs: AuditRunTable;
  findings: FindingTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptTable;
  email_messages: EmailMessageTable;
  ticket_counters: TicketCounterTable;
  refund_requests: RefundRequestTable;
  cases: CaseTable;
  case_events: CaseEventTable;
  case_evidence: CaseEvidenceTable;
  information_requests: InformationRequestTable;
  decisions: DecisionTable;
  appeals: AppealTable;
  identity_link_reviews: IdentityLinkReviewTable;
  ledger_accounts: LedgerAccountTable;
  journal_entries: JournalEntryTable;
  journal_lines: JournalLineTable;
  payouts: PayoutTable;
  credit_grants: CreditGrantTable;
  invoices: InvoiceTable;
  credit_uses: CreditUseTable;
  settlement_imports: SettlementImportTable;
  finance_tasks: FinanceTaskTable;
}

/** A charge as stored: FOCUS columns in snake_case, all text (exact decimals, ISO UTC times). */
export interface ChargeTable {
  id: string;
  organisation_id: string;
  account_id: string;
  import_id: string;
  source_ref: string;
  /** `YYYY-MM` of ChargePeriodStart (UTC), for month filters. */
  month: string;
  billing_account_id: string | null;
  billing_account_name: string | null;
  sub_account_id: string | null;
  sub_account_name: string | null;
  provider_name: string | null;
  publisher_name: string | null;
  invoice_issuer_name: string | null;
  invoice_id: string | null;
  billing_period_start: string | null;
  billing_period_end: string | null;
  charge_period_start: string | null;
  charge_period_end: string | null;
  charge_category: string | null;
  charge_class: string | null;
  charge_frequency: string | null;
  charge_description: string | null;
  service_name: string | null;
  service_category: string | null;
  region_id: string | null;
  region_name: string | null;
  availability_zone: string | null;
  resource_id: string | null;
  resource_name: string | null;
  resource_type: string | null;
  sku_id: string | null;
  sku_price_id: string | null;
  pricing_category: string | null;
  consumed_quantity: string | null;
  consumed_unit: string | null;
  pricing_quantity: string | null;
  pricing_unit: string | null;
  list_unit_price: string | null;
  contracted_unit_price: string | null;
  billed_cost: string | null;
  effective_cost: string | null;
  list_cost: string | null;
  contracted_cost: string | null;
  billing_currency: string | null;
  commitment_discount_id: string | null;
  commitment_discount_status: string | null;
  commitment_discount_type: string | null;
  commitment_discount_category: string | null;
  commitment_discount_quantity: string | null;
  commitment_discount_unit: string | null;
  tags: string | null;
  extensions: string | null;
}

export interface ImportTable {
  id: string;
  organisation_id: string;
  kind: string;
  file_name: string;
  content_sha256: string;
  format: string | null;
  status: "queued" | "running" | "succeeded" | "failed";
  rows_total: number | null;
  rows_imported: number;
  rows_invalid: number;
  /** Problem details of a failed import, JSON. */
  error: string | null;
  /** The earlier import of the same bytes, when this one was a no-op. */
  duplicate_of: string | null;
  /** Content-addressed copy of an uploaded file awaiting its job. */
  upload_path: string | null;
  /** JSON: format override, report-invalid, default currency. */
  options: string;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

interface EvidenceRow {
  id: string;
  organisation_id: string;
  import_id: string;
  source_ref: string;
}

export interface UsageIntervalTable extends EvidenceRow {
  resource_id: string;
  start_at: string;
  end_at: string;
  quantity: string | null;
  unit: string | null;
}

export interface SubscriptionTable extends EvidenceRow {
  subscription_id: string;
  account_ref: string;
  resource_id: string | null;
  service_name: string;
  term: string;
  started_at: string;
  renews_at: string | null;
  auto_renew: number;
  cancelled_at: string | null;
}

export interface IncidentTable extends EvidenceRow {
  incident_id: string;
  service_name: string;
  region_id: string;
  /** JSON array. */
  resource_ids: string;
  start_at: string;
  end_at: string;
  status_page_url: string | null;
}

export interface PromotionTable extends EvidenceRow {
  promotion_id: string;
  code: string | null;
  account_ref: string;
  service_names: string;
  region_ids: string;
  discount_percent: string | null;
  credit_amount: string | null;
  currency: string | null;
  valid_from: string;
  valid_to: string;
}

export interface PaymentTable extends EvidenceRow {
  payment_id: string;
  account_ref: string;
  invoice_id: string | null;
  method: string;
  /** Keyed hash of the instrument fingerprint (identity_fingerprints), never the fingerprint. */
  instrument_fingerprint_id: string | null;
  amount: string;
  currency: string;
  paid_at: string;
}

export interface JobTable {
  id: string;
  kind: string;
  payload: string;
  status: "queued" | "running" | "succeeded" | "dead";
  attempts: number;
  max_attempts: number;
  run_after: string;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface AuditRunTable {
  id: string;
  organisation_id: string;
  status: "running" | "succeeded" | "failed";
  as_of: string;
  policy_version: string | null;
  charges: number | null;
  findings: number | null;
  /** JSON: refundable amount per currency. */
  refundable: string | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface FindingTable {
  organisation_id: string;
  /** `f-…`: deterministic from the kind and the charges (docs/audit-rules.md). */
  id: string;
  account_id: string | null;
  /** The provider's account id the finding names (SubAccountId, else BillingAccountId). */
  provider_account_id: string;
  kind: string;
  amount: string;
  currency: string;
  outcome: string;
  claimable: number;
  /** JSON array of `FILE:LINE` references. */
  charge_refs: string;
  explanation: string;
  evidence: string;
  clauses: string;
  details: string;
  /** `open`; later `filed` once a case is made of it, or `resolved` when a re-run no longer finds it. */
  status: "open" | "filed" | "resolved";
  audit_run_id: string;
  first_found_at: string;
  updated_at: string;
}

/** Where a customer organisation receives signed webhooks (Standard Webhooks). */
export interface WebhookEndpointTable {
  id: string;
  organisation_id: string;
  url: string;
  description: string;
  /** JSON array of event types, or `["*"]` for all. */
  events: string;
  /** The `whsec_…` signing secret, AES-256-GCM under the "webhook-secrets" key, bound to the id. */
  secret_ciphertext: Buffer;
  status: "active" | "disabled";
  created_by: string;
  created_at: string;
}

/** One event for one endpoint; its id is the `webhook-id`, the same on every retry. */
export interface WebhookDeliveryTable {
  id: string;
  endpoint_id: string;
  organisation_id: string;
  event_type: string;
  subject_id: string;
  /** JSON text: exactly the bytes signed and sent. */
  payload: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

export interface WebhookDeliveryAttemptTable {
  delivery_id: string;
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export interface EmailMessageTable {
  id: string;
  organisation_id: string;
  subject_id: string;
  event_type: string;
  /** JSON array of `{ name, address }`. */
  recipients: string;
  subject: string;
  text: string;
  /** JSON array of `{ filename, path, contentType }`. */
  attachments: string;
  status: "pending" | "sent" | "failed";
  message_id: string | null;
  /** The `.eml` written when no SMTP server is configured. */
  file_path: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface TicketCounterTable {
  year: number;
  last: number;
}

/** What a customer filed at once: one case per line item, grouped here. */
export interface RefundRequestTable {
  id: string;
  organisation_id: string;
  account_id: string;
  channel: string;
  filed_by: string;
  /** The customer contact a support agent filed for (phone, chat). */
  on_behalf_of: string | null;
  contact_confirmed: number;
  subject: string;
  created_at: string;
}

export interface CaseTable {
  id: string;
  /** `RD-2026-000123`, given at submission; null while a draft. */
  ticket_number: string | null;
  request_id: string;
  organisation_id: string;
  account_id: string;
  charge_id: string;
  finding_id: string | null;
  reason: string;
  desired_outcome: string;
  /** Requested amount, exact decimal in the charge's currency. */
  amount: string;
  /** What this case holds against the charge's refundable remainder: requested, then granted (0 when denied). */
  reserved_amount: string;
  currency: string;
  summary: string;
  description: string;
  impact_statement: string;
  channel: string;
  filed_by: string;
  on_behalf_of: string | null;
  state: string;
  /** The review queue: the product rule that applies (e.g. `alibaba-subscription`). */
  queue: string;
  assigned_role: "reviewer" | "senior_reviewer";
  assignee_id: string | null;
  fast_track: number;
  /** JSON: the automatic initial review (checks, policy evaluation, risk signals). */
  review: string | null;
  /** JSON array of risk signal codes. */
  risk_signals: string;
  country: string | null;
  time_zone: string;
  target_business_days: number;
  /** Business days the decision clock stood still while the case awaited the customer. */
  paused_business_days: number;
  paused_since: string | null;
  /** Expected decision date (local to the customer) and the instant it ends. */
  due_date: string | null;
  due_at: string | null;
  submitted_at: string | null;
  decided_at: string | null;
  closed_at: string | null;
  appeal_by: string | null;
  /** JSON: a reviewer's refund decision held until the account's KYC is verified. */
  pending_decision: string | null;
  created_at: string;
  updated_at: string;
  /** Optimistic concurrency: every update bumps it; a write naming an older version gets 409. */
  version: number;
}

export interface CaseEventTable {
  id: string;
  case_id: string;
  at: string;
  actor: string;
  type: string;
  from_state: string | null;
  to_state: string | null;
  note: string;
  data: string;
}

export interface CaseEvidenceTable {
  id: string;
  case_id: string;
  kind: "file" | "transcript" | "email" | "reference";
  label: string;
  content_type: string | null;
  size_bytes: number | null;
  /** Files are stored content-addressed under DATA_DIR/evidence by this digest. */
  sha256: string | null;
  text: string | null;
  reference_type: string | null;
  reference_id: string | null;
  /** When it was added: with the request, answering a request for information, or with an appeal. */
  phase: "request" | "information" | "appeal" | "review";
  added_by: string;
  created_at: string;
}

export interface InformationRequestTable {
  id: string;
  case_id: string;
  questions: string;
  business_days: number;
  asked_by: string;
  asked_at: string;
  due_date: string;
  due_at: string;
  remind_at: string;
  reminded_at: string | null;
  status: "open" | "answered" | "expired" | "cancelled";
  answer: string | null;
  answered_by: string | null;
  answered_at: string | null;
}

export interface DecisionTable {
  id: string;
  case_id: string;
  /** 1: the first decision; 2: the decision on appeal, which is final. */
  sequence: number;
  outcome: string;
  amount: string | null;
  currency: string;
  rationale: string;
  clauses: string;
  evidence: string;
  alternatives: string;
  credit_scope: string | null;
  credit_expires_at: string | null;
  adjustment: string | null;
  proration: string | null;
  final: number;
  appeal_by: string | null;
  decided_by: string;
  decided_at: string;
  policy_version: string;
  letter_path: string | null;
  letter_sha256: string | null;
}

export interface AppealTable {
  id: string;
  case_id: string;
  decision_id: string;
  argument: string;
  filed_by: string;
  filed_at: string;
  assigned_to: string;
}

export interface IdentityLinkReviewTable {
  id: string;
  /** The pair in id order, so one link has one key. */
  account_a: string;
  account_b: string;
  verdict: "suspected_abuse" | "legitimate";
  reason: string;
  reviewed_by: string;
  created_at: string;
}

export interface LedgerAccountTable {
  id: string;
  organisation_id: string;
  account_id: string | null;
  code: string;
  currency: string;
  created_at: string;
}

/** Immutable (the database refuses updates and deletes); corrections are reversing entries. */
export interface JournalEntryTable {
  id: string;
  organisation_id: string;
  kind: string;
  description: string;
  posting_key: string;
  case_id: string | null;
  payout_id: string | null;
  credit_id: string | null;
  invoice_id: string | null;
  reverses_entry_id: string | null;
  line_count: number;
  effective_at: string;
  created_by: string;
  created_at: string;
}

/**
 * Signed integer minor units in a 64-bit column. Written as bigint, which both drivers bind exactly;
 * read back as a JS integer (src/store/database.ts), exact because writes stay within ±2^53
 * (src/money/minor-units.ts).
 */
export type MinorUnits = ColumnType<number, bigint, bigint>;

export interface JournalLineTable {
  id: string;
  entry_id: string;
  ledger_account_id: string;
  currency: string;
  /** Signed minor units: debits positive, credits negative. */
  amount_minor: MinorUnits;
}

/** A refund to the original payment method: `pending → submitted → succeeded | failed | requires_action`. */
export interface PayoutTable {
  id: string;
  organisation_id: string;
  account_id: string;
  case_id: string;
  decision_id: string;
  amount_minor: number;
  currency: string;
  /** The original payment's id at the gateway (from the payments evidence), when known. */
  payment_id: string | null;
  status: "pending" | "submitted" | "succeeded" | "failed" | "requires_action" | "credited";
  attempt: number;
  gateway_refund_id: string | null;
  failure_code: string | null;
  last_error: string | null;
  submitted_at: string | null;
  settled_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/** Money held on a customer account, scoped and expiring, consumed by later invoices. */
export interface CreditGrantTable {
  id: string;
  organisation_id: string;
  account_id: string;
  case_id: string | null;
  decision_id: string | null;
  payout_id: string | null;
  /** `decision` (an account-credit outcome), `payout_fallback` (the card could not take the refund), … */
  source: string;
  currency: string;
  amount_minor: number;
  remaining_minor: number;
  /** JSON arrays; empty means any service / any region. */
  services: string;
  regions: string;
  /** Lower is consumed first. */
  priority: number;
  expires_at: string;
  status: "active" | "used" | "expired";
  created_at: string;
  version: number;
}

export interface InvoiceTable {
  id: string;
  organisation_id: string;
  account_id: string;
  period_start: string;
  period_end: string;
  currency: string;
  charges_minor: number;
  credits_minor: number;
  due_minor: number;
  /** JSON: per charge, the billed amount and the credits applied to it. */
  lines: string;
  created_by: string;
  created_at: string;
}

export interface CreditUseTable {
  id: string;
  credit_id: string;
  invoice_id: string | null;
  charge_id: string | null;
  /** `consumed` by an invoice, or `expired`. */
  kind: string;
  amount_minor: MinorUnits;
  created_at: string;
}

export interface SettlementImportTable {
  id: string;
  file_name: string;
  content_sha256: string;
  settlement_date: string | null;
  lines: number;
  matched: number;
  mismatched: number;
  missing_in_ledger: number;
  missing_in_settlement: number;
  /** JSON: every line's result. */
  report: string;
  created_by: string;
  created_at: string;
}

/** Work for `finance`: a reconciliation mismatch, a payout that needs a person. */
export interface FinanceTaskTable {
  id: string;
  kind: string;
  status: "open" | "resolved";
  payout_id: string | null;
  settlement_import_id: string | null;
  summary: string;
  details: string;
  created_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
}
