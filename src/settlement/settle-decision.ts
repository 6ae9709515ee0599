import { sql } from "kysely";
import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { enqueueCreditExpirySweep } from "../credits/expire-credits.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import { transfer } from "../ledger/journal.js";
import { postJournalEntry } from "../ledger/post-journal-entry.js";
import { Money } from "../money/index.js";
import type { Services, WriteContext } from "../shared/context.js";
import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";
import type { CaseTable, CreditGrantTable, DecisionTable, PayoutTable } from "../store/schema.js";

/** Credits from SLA breaches are an expense; every other refund or credit gives revenue back. */
const debitCodeFor = (row: Pick<CaseTable, "reason">) =>
  row.reason === "sla_breach" ? ("sla_credit_expense" as const) : ("refunds_contra_revenue" as const);

/**
 * A decision becomes money, inside the decision's own transaction, exactly once (posting keys are
 * derived from the decision id):
 * - a refund to the original payment method: the internal reversal (revenue given back, owed to
 *   the customer) and a `pending` payout, whose gateway posting is the `payout.submit` job;
 * - an account credit: a scoped, expiring credit grant and its ledger entry;
 * - a service adjustment or a denial moves no money.
 */
export async function settleDecision(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  row: CaseTable,
  decision: DecisionTable,
): Promise<{ payout: PayoutTable | null; credit: CreditGrantTable | null }> {
  if (decision.amount === null) return { payout: null, credit: null };
  const amount = Money.of(decision.amount, decision.currency);
  let minor = amount.toMinorUnits();
  if (minor <= 0n) return { payout: null, credit: null };
  const at = decision.decided_at;
  // NOTE: a decision on appeal replaces the first. What the first one has not yet given (an unused
  // credit) is withdrawn; what it gave or is paying out counts, so only the difference moves now.
  if (decision.sequence === 2) {
    const given = await undoFirstDecision(tx, services, ctx, row);
    if (given > minor) await openOverpaidTask(tx, services, ctx, row, decision, given - minor);
    minor -= given;
    if (minor <= 0n) return { payout: null, credit: null };
  }

  if (decision.outcome === "refund_original_method" || decision.outcome === "partial_refund") {
    await postJournalEntry(tx, services, ctx, {
      organisationId: row.organisation_id,
      kind: "refund_decided",
      description: `Refund decided on ${row.ticket_number}`,
      postingKey: `decision:${decision.id}:refund`,
      caseId: row.id,
      effectiveAt: at,
      lines: transfer(
        { code: debitCodeFor(row), accountId: null },
        { code: "refunds_payable", accountId: null },
        decision.currency,
        minor,
      ),
    });
    const charge = await tx
      .selectFrom("charges")
      .select(["invoice_id"])
      .where("id", "=", row.charge_id)
      .executeTakeFirst();
    const payment = charge?.invoice_id
      ? await tx
          .selectFrom("payments")
          .select("payment_id")
          .where("organisation_id", "=", row.organisation_id)
          .where("invoice_id", "=", charge.invoice_id)
          .orderBy("paid_at")
          .executeTakeFirst()
      : undefined;
    const payout: PayoutTable = {
      id: newId("payout"),
      organisation_id: row.organisation_id,
      account_id: row.account_id,
      case_id: row.id,
      decision_id: decision.id,
      amount_minor: Number(minor),
      currency: decision.currency,
      payment_id: payment?.payment_id ?? (charge?.invoice_id ? `invoice:${charge.invoice_id}` : null),
      status: "pending",
      attempt: 1,
      gateway_refund_id: null,
      failure_code: null,
      last_error: null,
      submitted_at: null,
      settled_at: null,
      created_at: at,
      updated_at: at,
      version: 1,
    };
    await tx.insertInto("payouts").values(payout).execute();
    await enqueueJob(tx, { kind: "payout.submit", payload: { payoutId: payout.id }, at, maxAttempts: 10 });
    return { payout, credit: null };
  }

  if (decision.outcome === "account_credit") {
    const scope = decision.credit_scope
      ? (JSON.parse(decision.credit_scope) as { services: string[]; regions: string[] })
      : { services: [], regions: [] };
    const credit: CreditGrantTable = {
      id: newId("creditGrant"),
      organisation_id: row.organisation_id,
      account_id: row.account_id,
      case_id: row.id,
      decision_id: decision.id,
      payout_id: null,
      source: "decision",
      currency: decision.currency,
      amount_minor: Number(minor),
      remaining_minor: Number(minor),
      services: JSON.stringify(scope.services),
      regions: JSON.stringify(scope.regions),
      priority: 100,
      expires_at: decision.credit_expires_at ?? at,
      status: "active",
      created_at: at,
      version: 1,
    };
    await tx.insertInto("credit_grants").values(credit).execute();
    await enqueueCreditExpirySweep(tx, credit.expires_at);
    await postJournalEntry(tx, services, ctx, {
      organisationId: row.organisation_id,
      kind: "credit_granted",
      description: `Account credit granted on ${row.ticket_number}`,
      postingKey: `decision:${decision.id}:credit`,
      caseId: row.id,
      creditId: credit.id,
      effectiveAt: at,
      lines: transfer(
        { code: debitCodeFor(row), accountId: null },
        { code: "customer_credit", accountId: row.account_id },
        decision.currency,
        minor,
      ),
    });
    return { payout: null, credit };
  }
  return { payout: null, credit: null };
}

/**
 * Before an appeal's decision moves money, the first decision's unspent credit is withdrawn.
 * Returns what the first decision gave or is giving (a payout that has not failed, credit already
 * consumed): the second decision then moves only the difference.
 */
async function undoFirstDecision(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  row: CaseTable,
): Promise<bigint> {
  const first = await tx
    .selectFrom("decisions")
    .selectAll()
    .where("case_id", "=", row.id)
    .where("sequence", "=", 1)
    .executeTakeFirst();
  if (!first) return 0n;
  // A payout of the first decision that has not failed is money on its way (or already there).
  const payout = await tx
    .selectFrom("payouts")
    .select(["amount_minor", "status"])
    .where("decision_id", "=", first.id)
    .executeTakeFirst();
  let given = payout && payout.status !== "failed" ? BigInt(payout.amount_minor) : 0n;
  // The account first, then its credit: the order invoices and expiry lock them in, so no deadlock.
  const lock = services.store.capabilities.rowLocks ? sql`for update` : sql``;
  await sql`select id from accounts where id = ${row.account_id} ${lock}`.execute(tx);
  const credit = (
    await sql<CreditGrantTable>`select * from credit_grants where decision_id = ${first.id} ${lock}`.execute(
      tx,
    )
  ).rows[0];
  if (credit) {
    const consumed = await tx
      .selectFrom("credit_uses")
      .select("amount_minor")
      .where("credit_id", "=", credit.id)
      .where("kind", "=", "consumed")
      .execute();
    given += consumed.reduce((sum, u) => sum + BigInt(u.amount_minor), 0n);
  }
  if (credit && credit.status === "active" && credit.remaining_minor > 0) {
    await tx
      .updateTable("credit_grants")
      .set({ status: "expired", remaining_minor: 0, version: credit.version + 1 })
      .where("id", "=", credit.id)
      .execute();
    await tx
      .insertInto("credit_uses")
      .values({
        id: newId("creditUse"),
        credit_id: credit.id,
        invoice_id: null,
        charge_id: null,
        kind: "withdrawn_on_appeal",
        amount_minor: BigInt(credit.remaining_minor),
        created_at: services.clock.now().toISOString(),
      })
      .execute();
    await postJournalEntry(tx, services, ctx, {
      organisationId: row.organisation_id,
      kind: "reversal",
      description: `Credit withdrawn: ${row.ticket_number} was decided again on appeal`,
      postingKey: `credit:${credit.id}:withdrawn`,
      caseId: row.id,
      creditId: credit.id,
      effectiveAt: services.clock.now().toISOString(),
      lines: transfer(
        { code: "customer_credit", accountId: row.account_id },
        { code: debitCodeFor(row), accountId: null },
        credit.currency,
        BigInt(credit.remaining_minor),
      ),
    });
  }
  return given;
}

/** The appeal granted less than the first decision already gave: money cannot be clawed back by itself. */
async function openOverpaidTask(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  row: CaseTable,
  decision: DecisionTable,
  overMinor: bigint,
): Promise<void> {
  const at = services.clock.now().toISOString();
  const id = newId("financeTask");
  await tx
    .insertInto("finance_tasks")
    .values({
      id,
      kind: "appeal_overpaid",
      status: "open",
      payout_id: null,
      settlement_import_id: null,
      summary: `${row.ticket_number}: the decision on appeal grants ${overMinor} minor units of ${decision.currency} less than was already given`,
      details: JSON.stringify({ caseId: row.id, decisionId: decision.id, overMinor: String(overMinor) }),
      created_at: at,
      resolved_at: null,
      resolved_by: null,
    })
    .execute();
  await appendAuditEntry(tx, services.store.capabilities, {
    actor: ctx.actor,
    action: "finance_task.opened",
    subjectType: "finance_task",
    subjectId: id,
    organisationId: row.organisation_id,
    summary: { kind: "appeal_overpaid", caseId: row.id, overMinor: String(overMinor) },
    requestId: ctx.requestId,
    at,
  });
}
