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
}
