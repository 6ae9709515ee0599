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

export interface AuditLogHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  request_hash: string;
  state: "in_progress" | "completed";
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
