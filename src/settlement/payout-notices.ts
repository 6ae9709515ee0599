import { Money } from "../money/index.js";
import type { CaseEventType, CustomerNotice } from "../notifications/customer-notice.js";
import type { Tx } from "../store/database.js";
import type { CaseTable, PayoutTable } from "../store/schema.js";
import type { PayoutState } from "./payout-state.js";

/** The customer event each payout state is announced as (none for `pending`: nothing happened yet). */
export const PAYOUT_NOTICE_TYPES = {
  pending: null,
  submitted: "refund.submitted",
  requires_action: "refund.requires_action",
  succeeded: "refund.succeeded",
  failed: "refund.failed",
  credited: "refund.credited",
} as const satisfies Record<PayoutState, CaseEventType | null>;

export const payoutAmount = (p: Pick<PayoutTable, "amount_minor" | "currency">): string =>
  Money.fromMinorUnits(BigInt(p.amount_minor), p.currency).toFixedMinor();

/**
 * The last four digits of the card the refunded payment was made with, when we know the card:
 * the payment's instrument fingerprint (kept only as a keyed hash) names a payment method of one
 * of the organisation's accounts, whose label carries the digits (e.g. `Visa •••• 4242`).
 */
export async function cardEnding(tx: Tx, payout: PayoutTable): Promise<string | null> {
  if (!payout.payment_id) return null;
  const payment = await tx
    .selectFrom("payments")
    .select("instrument_fingerprint_id")
    .where("organisation_id", "=", payout.organisation_id)
    .where("payment_id", "=", payout.payment_id)
    .executeTakeFirst();
  if (!payment?.instrument_fingerprint_id) return null;
  const method = await tx
    .selectFrom("payment_methods")
    .innerJoin("identity_fingerprints", "identity_fingerprints.id", "payment_methods.fingerprint_id")
    .innerJoin("accounts", "accounts.id", "payment_methods.account_id")
    .select("payment_methods.label as label")
    .where("accounts.organisation_id", "=", payout.organisation_id)
    .where("identity_fingerprints.kind", "=", "payment_instrument")
    .where("identity_fingerprints.keyed_hash", "=", payment.instrument_fingerprint_id)
    .where("payment_methods.type", "=", "card")
    .orderBy("payment_methods.created_at", "desc")
    .executeTakeFirst();
  const digits = method ? /(\d{4})\D*$/.exec(method.label) : null;
  return digits?.[1] ?? null;
}

export interface PayoutNoticeFacts {
  payout: PayoutTable;
  case: Pick<CaseTable, "id" | "ticket_number" | "organisation_id">;
  state: PayoutState;
  at: string;
  /** For `credited`: the card's last four digits and the credit grant. */
  cardEnding?: string | null;
  credit?: { id: string; expiresAt: string } | null;
}

/** What the customer is told when a payout reaches `state`: a webhook event and an e-mail. */
export function payoutNotice(facts: PayoutNoticeFacts): CustomerNotice | null {
  const type = PAYOUT_NOTICE_TYPES[facts.state];
  if (type === null) return null;
  const { payout } = facts;
  const ticket = facts.case.ticket_number ?? facts.case.id;
  const amount = `${payoutAmount(payout)} ${payout.currency}`;
  const data = {
    caseId: facts.case.id,
    ticketNumber: facts.case.ticket_number,
    payoutId: payout.id,
    status: facts.state,
    amount: payoutAmount(payout),
    currency: payout.currency,
    failureCode: payout.failure_code,
    ...(facts.credit ? { creditId: facts.credit.id, creditExpiresAt: facts.credit.expiresAt } : {}),
  };
  const email = ((): CustomerNotice["email"] => {
    switch (facts.state) {
      case "submitted":
        return {
          subject: `[${ticket}] Your refund of ${amount} is on its way`,
          text:
            `We have sent your refund of ${amount} for ${ticket} to your original payment method.\n\n` +
            "Banks usually take 5 to 10 business days to show it on your statement.",
        };
      case "requires_action":
        return {
          subject: `[${ticket}] Your bank needs you to confirm your refund`,
          text:
            `Your bank has asked for your confirmation before it accepts the refund of ${amount} for ${ticket}.\n\n` +
            "Please follow the instructions your bank or card issuer sent you; the refund completes once you confirm.",
        };
      case "succeeded":
        return {
          subject: `[${ticket}] Your refund of ${amount} has been paid`,
          text: `Your refund of ${amount} for ${ticket} has been paid to your original payment method.`,
        };
      case "failed":
        return {
          subject: `[${ticket}] We could not pay your refund yet`,
          text:
            `Your refund of ${amount} for ${ticket} could not be paid to your original payment method` +
            `${payout.failure_code ? ` (${payout.failure_code.replaceAll("_", " ")})` : ""}.\n\n` +
            "Our finance team has been told and will contact you about how to pay it.",
        };
      case "credited": {
        const card = facts.cardEnding ? `your card ending ${facts.cardEnding}` : "the card you paid with";
        const expiry = facts.credit ? ` It can be used until ${facts.credit.expiresAt.slice(0, 10)}.` : "";
        return {
          subject: `[${ticket}] Your refund of ${amount} is on your account as credit`,
          text:
            `We tried to refund ${amount} for ${ticket}, but ${card} could not receive the refund: ` +
            "the card has been closed.\n\n" +
            `The amount is on your account as credit instead, and your next invoices use it up.${expiry}`,
        };
      }
      case "pending":
        return null;
    }
  })();
  return {
    type,
    organisationId: facts.case.organisation_id,
    subjectId: facts.case.id,
    occurredAt: facts.at,
    data,
    email,
  };
}
