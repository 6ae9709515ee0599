import { Webhook } from "standardwebhooks";
import { type Services, SYSTEM_ACTORS } from "../shared/context.js";
import { AppError, type FieldError, validationFailed } from "../shared/errors.js";
import { rejectNulCharacters } from "../shared/nul-characters.js";
import { inTransaction } from "../store/database.js";
import { applyKycDecision, decisionErrors, type KycDecision } from "./decide-kyc.js";

export const KYC_VERIFIER_SOURCE = "kyc-verifier";

export interface KycVerdictDelivery {
  /** Exactly the bytes that were signed. */
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
  requestId: string | null;
}

export type KycVerdictResult =
  | { duplicate: true }
  | { applied: true; status: KycDecision }
  | { applied: false; reason: string };

const SIGNATURE_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

function verifier(secret: string | null): Webhook {
  if (!secret) throw new AppError("unavailable", "The KYC verifier webhook is not configured");
  try {
    return new Webhook(secret);
  } catch (cause) {
    // A malformed secret is our misconfiguration, not the sender's fault: let it retry later.
    throw new AppError("unavailable", "The KYC verifier webhook secret is not valid", { cause });
  }
}

function verifiedMessageId(delivery: KycVerdictDelivery, webhook: Webhook): string {
  const headers: Record<string, string> = {};
  for (const name of SIGNATURE_HEADERS) {
    const value = delivery.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  try {
    // Checks the HMAC over id, timestamp and body, and the timestamp against the wall clock.
    webhook.verify(delivery.rawBody, headers, { jsonParse: false });
  } catch (cause) {
    throw new AppError("invalid_webhook_signature", "The webhook signature or timestamp is not valid", {
      cause,
    });
  }
  const id = headers["webhook-id"];
  if (!id) throw new AppError("invalid_webhook_signature", "The webhook-id header is missing");
  return id;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

type Parsed =
  | { kind: "verdict"; accountId: string; verdict: KycDecision; reason: string }
  | { kind: "ignored"; type: string };

function parseVerdict(rawBody: string): Parsed {
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch (cause) {
    throw new AppError("malformed_request", "The webhook body is not JSON", { cause });
  }
  rejectNulCharacters(payload);
  if (!isRecord(payload) || typeof payload.type !== "string")
    throw validationFailed([{ field: "type", code: "required", message: "is required" }]);
  // Event types added by the sender later are acknowledged, not retried forever.
  if (payload.type !== "kyc.verdict") return { kind: "ignored", type: payload.type };
  const data = isRecord(payload.data) ? payload.data : {};
  const errors: FieldError[] = [];
  if (typeof data.accountId !== "string" || data.accountId === "")
    errors.push({ field: "data.accountId", code: "required", message: "is required" });
  const verdict = typeof data.verdict === "string" ? data.verdict : "";
  const reason = typeof data.reason === "string" ? data.reason : "";
  errors.push(
    ...decisionErrors({ decision: verdict, reason }).map((e) => ({
      ...e,
      field: e.field === "decision" ? "data.verdict" : `data.${e.field}`,
    })),
  );
  if (errors.length || typeof data.accountId !== "string") throw validationFailed(errors);
  return {
    kind: "verdict",
    accountId: data.accountId,
    verdict: verdict === "verified" ? "verified" : "rejected",
    reason,
  };
}

/**
 * The automated verifier's verdict, signed per Standard Webhooks. Verified before anything is
 * read; recorded under its `webhook-id` in the same transaction as its effect, so a redelivery
 * changes nothing. Verdicts that cannot apply are acknowledged (2xx), as senders retry others.
 */
export async function receiveKycVerdict(
  services: Services,
  delivery: KycVerdictDelivery,
): Promise<KycVerdictResult> {
  const webhook = verifier(services.config.kycWebhookSecret);
  const messageId = verifiedMessageId(delivery, webhook);
  const parsed = parseVerdict(delivery.rawBody);
  const ctx = { actor: SYSTEM_ACTORS.kycVerifier, requestId: delivery.requestId };
  const now = services.clock.now().toISOString();

  return inTransaction(services.store, async (tx): Promise<KycVerdictResult> => {
    const recorded = await tx
      .insertInto("processed_webhooks")
      .values({ source: KYC_VERIFIER_SOURCE, message_id: messageId, received_at: now })
      .onConflict((oc) => oc.columns(["source", "message_id"]).doNothing())
      .executeTakeFirst();
    if (Number(recorded.numInsertedOrUpdatedRows ?? 0n) !== 1) return { duplicate: true };
    if (parsed.kind === "ignored")
      return { applied: false, reason: `event type ${parsed.type} is not handled` };
    const outcome = await applyKycDecision(tx, services, ctx, {
      accountId: parsed.accountId,
      decision: parsed.verdict,
      reason: parsed.reason,
      at: now,
      source: `webhook:${messageId}`,
    });
    if (outcome.applied) return { applied: true, status: outcome.status };
    return {
      applied: false,
      reason:
        outcome.reason === "unknown_account"
          ? "unknown_account"
          : `not_pending: the account is ${outcome.currentState}`,
    };
  });
}
