/**
 * KYC of one account, as data: the stored status moves only along KYC_TRANSITIONS;
 * "expired" is derived from the verification's expiry, never stored.
 */
export const KYC_STATUSES = ["unverified", "pending", "verified", "rejected"] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];
export type EffectiveKycStatus = KycStatus | "expired";

export const KYC_EVENTS = ["submit", "approve", "reject"] as const;
export type KycEvent = (typeof KYC_EVENTS)[number];

export const KYC_TRANSITIONS = {
  unverified: { submit: "pending" },
  // Submitting again while pending replaces the submission (new documents, corrected name).
  pending: { submit: "pending", approve: "verified", reject: "rejected" },
  // Re-verification: before or after expiry, a fresh submission goes back to review.
  verified: { submit: "pending" },
  rejected: { submit: "pending" },
} as const satisfies Record<KycStatus, Partial<Record<KycEvent, KycStatus>>>;

export function nextKycStatus(status: KycStatus, event: KycEvent): KycStatus | null {
  const row: Partial<Record<KycEvent, KycStatus>> = KYC_TRANSITIONS[status];
  return row[event] ?? null;
}

export type KycType = "individual" | "enterprise";

export interface KycFacts {
  id: string;
  is_billing: number;
  kyc_type: KycType | null;
  kyc_status: KycStatus;
  kyc_legal_name: string | null;
  kyc_expires_at: string | null;
}

export interface EffectiveKyc {
  status: EffectiveKycStatus;
  /** `billing_account` when a member account relies on its billing account's verification. */
  via: "own" | "billing_account" | null;
  expiresAt: string | null;
}

/** Legal names compare after Unicode compatibility folding, case folding and space collapsing. */
export function normaliseLegalName(name: string): string {
  return name.normalize("NFKC").toLocaleLowerCase("en").replace(/\s+/g, " ").trim();
}

function ownStatus(a: KycFacts, now: string): EffectiveKycStatus {
  if (a.kyc_status === "verified" && a.kyc_expires_at !== null && a.kyc_expires_at <= now) return "expired";
  return a.kyc_status;
}

/**
 * NOTE: a member account may rely on its billing account's *enterprise* verification only
 * when the legal name it declares matches the verified legal name (same legal entity).
 */
export function effectiveKyc(account: KycFacts, billingAccount: KycFacts | null, now: string): EffectiveKyc {
  const own = ownStatus(account, now);
  if (own === "verified") return { status: own, via: "own", expiresAt: account.kyc_expires_at };
  if (
    billingAccount &&
    billingAccount.id !== account.id &&
    billingAccount.is_billing === 1 &&
    billingAccount.kyc_type === "enterprise" &&
    ownStatus(billingAccount, now) === "verified" &&
    account.kyc_legal_name !== null &&
    billingAccount.kyc_legal_name !== null &&
    normaliseLegalName(account.kyc_legal_name) === normaliseLegalName(billingAccount.kyc_legal_name)
  ) {
    return { status: "verified", via: "billing_account", expiresAt: billingAccount.kyc_expires_at };
  }
  return { status: own, via: own === "unverified" ? null : "own", expiresAt: account.kyc_expires_at };
}

/** What an uploaded KYC document is, as the customer declares it. */
export const KYC_DOCUMENT_KINDS = [
  "passport",
  "national_id",
  "driving_licence",
  "business_licence",
  "proof_of_address",
  "other",
] as const;
export type KycDocumentKind = (typeof KYC_DOCUMENT_KINDS)[number];

export const isKycDocumentKind = (k: string): k is KycDocumentKind =>
  (KYC_DOCUMENT_KINDS as readonly string[]).includes(k);

/**
 * The form identity numbers are hashed in, so "AB 12-34" and "ab1234" link the same person.
 * NFKC first turns full-width digits and letters into ASCII; every Unicode dash counts as a dash.
 */
export function normaliseIdentityNumber(raw: string): string {
  return raw
    .normalize("NFKC")
    .replace(/[\s\p{Pd}\u2212]/gu, "")
    .toUpperCase();
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A verification made at `verifiedAt` lapses `validityDays` whole days later, to the millisecond. */
export function kycExpiry(verifiedAt: string, validityDays: number): string {
  return new Date(Date.parse(verifiedAt) + validityDays * DAY_MS).toISOString();
}
