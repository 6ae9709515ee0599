import { Type } from "typebox";
import type { KycDocumentTable, KycReviewTable, PaymentMethodTable } from "../store/schema.js";

/**
 * KYC objects as the API shows them. Response schemas double as an allow-list: a column not
 * named here (ciphertext, keyed hashes) is never serialised.
 */
const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);

export const KycDocumentView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
  sha256: Type.String(),
  createdAt: Type.String(),
});

export const KycReviewView = Type.Object({
  decision: Type.String(),
  reason: Type.String(),
  decidedBy: Type.String(),
  at: Type.String(),
});

export const KycStatusView = Type.Object({
  accountId: Type.String(),
  status: Type.String({ description: "unverified, pending, verified, rejected or expired" }),
  via: Nullable(Type.String({ description: "own, or billing_account when relying on it" })),
  type: Nullable(Type.String()),
  legalName: Nullable(Type.String()),
  submittedAt: Nullable(Type.String()),
  verifiedAt: Nullable(Type.String()),
  expiresAt: Nullable(Type.String()),
  rejectionReason: Nullable(Type.String()),
  documents: Type.Array(KycDocumentView),
  reviews: Type.Array(KycReviewView),
});

export const PaymentMethodView = Type.Object({
  id: Type.String(),
  type: Type.String(),
  label: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
});

export const IdentityLinkView = Type.Object({
  accountId: Type.String(),
  accountName: Type.String(),
  organisationId: Type.String(),
  organisationName: Type.String(),
  shared: Type.Array(Type.String()),
  review: Type.Union([
    Type.Object({
      verdict: Type.Union([Type.Literal("suspected_abuse"), Type.Literal("legitimate")]),
      reason: Type.String(),
      reviewedBy: Type.String(),
      reviewedAt: Type.String(),
    }),
    Type.Null(),
  ]),
});

export type DocumentMeta = Omit<KycDocumentTable, "ciphertext" | "uploaded_by" | "account_id">;

export function kycDocumentView(d: DocumentMeta) {
  return {
    id: d.id,
    kind: d.kind,
    contentType: d.content_type,
    sizeBytes: d.size_bytes,
    sha256: d.sha256,
    createdAt: d.created_at,
  };
}

export function kycReviewView(r: KycReviewTable) {
  return { decision: r.decision, reason: r.reason, decidedBy: r.decided_by, at: r.created_at };
}

export function paymentMethodView(
  p: Pick<PaymentMethodTable, "id" | "type" | "label" | "status" | "created_at">,
) {
  return { id: p.id, type: p.type, label: p.label, status: p.status, createdAt: p.created_at };
}
