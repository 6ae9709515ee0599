import { transfer } from "../../src/ledger/journal.js";
import { postJournalEntry } from "../../src/ledger/post-journal-entry.js";
import { createOrganisation } from "../../src/organisations/create-organisation.js";
import type { Services } from "../../src/shared/context.js";
import { newId } from "../../src/shared/ids.js";
import { inTransaction } from "../../src/store/database.js";
import type { PayoutTable } from "../../src/store/schema.js";

/**
 * Ledger and payout rows written straight to the store, for the ledger and reconciliation tests:
 * a case needs its charge, a payout its case and decision, and the money is posted through
 * `postJournalEntry` as the decision and payout flows post it. Nothing here depends on the payout
 * flow itself.
 */

export const TEST_CTX = { actor: "system:test", requestId: null };

export async function seedOrganisation(
  services: Services,
  name = `Org ${newId("organisation")}`,
  currency = "USD",
): Promise<{ organisationId: string; accountId: string }> {
  const org = await createOrganisation(services, TEST_CTX, {
    kind: "customer",
    name,
    billingAccount: { name: `${name} — billing`, currency },
    country: "GB",
  });
  return { organisationId: org.id, accountId: org.billingAccountId! };
}

/** A submitted case about one charge with the given FOCUS tags and extension columns (JSON). */
export async function seedCase(
  services: Services,
  where: { organisationId: string; accountId: string },
  charge: {
    tags?: Record<string, string> | null;
    extensions?: Record<string, string> | null;
    currency?: string;
  } = {},
): Promise<{ caseId: string; chargeId: string; ticket: string }> {
  const db = services.store.db;
  const at = services.clock.now().toISOString();
  const importId = newId("import");
  await db
    .insertInto("imports")
    .values({
      id: importId,
      organisation_id: where.organisationId,
      kind: "charges",
      file_name: "fixture.csv",
      content_sha256: importId,
      status: "succeeded",
      rows_imported: 1,
      rows_invalid: 0,
      options: "{}",
      created_by: TEST_CTX.actor,
      created_at: at,
    })
    .execute();
  const chargeId = newId("charge");
  const currency = charge.currency ?? "USD";
  await db
    .insertInto("charges")
    .values({
      id: chargeId,
      organisation_id: where.organisationId,
      account_id: where.accountId,
      import_id: importId,
      source_ref: "fixture.csv:2",
      month: "2026-04",
      service_name: "Amazon Elastic Compute Cloud",
      billed_cost: "100.00",
      billing_currency: currency,
      tags: charge.tags ? JSON.stringify(charge.tags) : null,
      extensions: charge.extensions ? JSON.stringify(charge.extensions) : null,
    })
    .execute();
  const requestId = newId("refundRequest");
  await db
    .insertInto("refund_requests")
    .values({
      id: requestId,
      organisation_id: where.organisationId,
      account_id: where.accountId,
      channel: "api",
      filed_by: TEST_CTX.actor,
      contact_confirmed: 0,
      subject: "Fixture",
      created_at: at,
    })
    .execute();
  const caseId = newId("case");
  const ticket = `RD-2026-${caseId.slice(-6).toUpperCase()}`;
  await db
    .insertInto("cases")
    .values({
      id: caseId,
      ticket_number: ticket,
      request_id: requestId,
      organisation_id: where.organisationId,
      account_id: where.accountId,
      charge_id: chargeId,
      reason: "billing_error",
      desired_outcome: "refund_original_method",
      amount: "100.00",
      reserved_amount: "100.00",
      currency,
      summary: "Fixture",
      description: "Fixture",
      impact_statement: "Fixture",
      channel: "api",
      filed_by: TEST_CTX.actor,
      state: "decided",
      queue: "default",
      assigned_role: "reviewer",
      fast_track: 0,
      risk_signals: "[]",
      time_zone: "UTC",
      target_business_days: 10,
      paused_business_days: 0,
      created_at: at,
      updated_at: at,
      version: 1,
    })
    .execute();
  return { caseId, chargeId, ticket };
}

export interface PayoutFixture {
  amountMinor: bigint;
  currency?: string;
  status: PayoutTable["status"];
  gatewayRefundId?: string | null;
  /** When we learned the gateway settled it (succeeded/credited). */
  settledAt?: string | null;
  attempt?: number;
  /** Post the `payout:…:paid` entry for a succeeded payout (default true); false leaves the ledger short. */
  postPaidEntry?: boolean;
}

/**
 * A decided refund with its payout, and the ledger entries the flows post: the decision's
 * `refund_decided` (revenue given back, owed to the customer) and, for a succeeded payout, its
 * `payout:…:paid` (refunds payable to the gateway's clearing account).
 */
export async function seedPayout(
  services: Services,
  org: { organisationId: string; accountId: string },
  p: PayoutFixture,
): Promise<PayoutTable> {
  // One refund decision (and so one payout) per case: each payout gets a case of its own.
  const where = { ...org, caseId: (await seedCase(services, org, { currency: p.currency })).caseId };
  const at = services.clock.now().toISOString();
  const currency = p.currency ?? "USD";
  const decisionId = newId("decision");
  const payout: PayoutTable = {
    id: newId("payout"),
    organisation_id: where.organisationId,
    account_id: where.accountId,
    case_id: where.caseId,
    decision_id: decisionId,
    amount_minor: Number(p.amountMinor),
    currency,
    payment_id: "pay_fixture",
    status: p.status,
    attempt: p.attempt ?? 1,
    gateway_refund_id: p.gatewayRefundId ?? null,
    failure_code: p.status === "failed" ? "card_declined" : null,
    last_error: null,
    submitted_at: at,
    settled_at: p.settledAt ?? null,
    created_at: at,
    updated_at: at,
    version: 1,
  };
  await inTransaction(services.store, async (tx) => {
    await tx
      .insertInto("decisions")
      .values({
        id: decisionId,
        case_id: where.caseId,
        sequence: 1,
        outcome: "refund_original_method",
        amount: null,
        currency,
        rationale: "Fixture",
        clauses: "[]",
        evidence: "[]",
        alternatives: "[]",
        final: 0,
        decided_by: TEST_CTX.actor,
        decided_at: at,
        policy_version: "test",
      })
      .execute();
    await tx.insertInto("payouts").values(payout).execute();
    await postJournalEntry(tx, services, TEST_CTX, {
      organisationId: where.organisationId,
      kind: "refund_decided",
      description: "Refund decided (fixture)",
      postingKey: `decision:${decisionId}:refund`,
      caseId: where.caseId,
      effectiveAt: at,
      lines: transfer(
        { code: "refunds_contra_revenue", accountId: null },
        { code: "refunds_payable", accountId: null },
        currency,
        p.amountMinor,
      ),
    });
    if (p.status === "succeeded" && p.postPaidEntry !== false)
      await postJournalEntry(tx, services, TEST_CTX, {
        organisationId: where.organisationId,
        kind: "refund_paid",
        description: "Refund paid (fixture)",
        postingKey: `payout:${payout.id}:paid`,
        caseId: where.caseId,
        payoutId: payout.id,
        effectiveAt: p.settledAt ?? at,
        lines: transfer(
          { code: "refunds_payable", accountId: null },
          { code: "gateway_clearing", accountId: null },
          currency,
          p.amountMinor,
        ),
      });
  });
  return payout;
}
