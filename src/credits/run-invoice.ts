import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { transfer } from "../ledger/journal.js";
import { postJournalEntry } from "../ledger/post-journal-entry.js";
import { currency as currencyOf, minorUnitsForStore } from "../money/index.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, conflict, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction, type Tx } from "../store/database.js";
import type { CreditGrantTable, InvoiceTable } from "../store/schema.js";
import {
  applyCredits,
  type CreditAllocation,
  type CreditGrant,
  compareCharges,
  isExpired,
} from "./apply-credits.js";
import { enqueueCreditExpirySweep } from "./expire-credits.js";
import { type InvoicePeriodInput, parseInvoicePeriod } from "./invoice-period.js";
import { roundInvoiceLines } from "./round-invoice-lines.js";

export interface RunInvoiceInput extends InvoicePeriodInput {
  accountId: string;
  /** ISO 4217; defaults to the account's currency. */
  currency?: string | undefined;
}

/** One line of an invoice as stored in `invoices.lines` (JSON): a charge and the credits it took. */
export interface StoredInvoiceLine {
  chargeId: string;
  sourceRef: string;
  serviceName: string | null;
  regionId: string | null;
  chargePeriodStart: string | null;
  /** The charge's exact billed cost, as imported. */
  billedCost: string;
  /** The line in minor units (integer strings, exact): the billed cost after the invoice's one rounding. */
  amountMinor: string;
  credits: Array<{ creditId: string; amountMinor: string }>;
  creditedMinor: string;
  dueMinor: string;
}

export interface RunInvoiceResult {
  invoice: InvoiceTable;
  /** False when this account's invoice for the period already existed and was returned as it was. */
  created: boolean;
}

/** A number column's value (credit_grants, invoices): exact, as the store guard keeps it within ±2^53. */
const toRowNumber = (minor: bigint): number => Number(minorUnitsForStore(minor));

export function grantOf(row: CreditGrantTable): CreditGrant {
  return {
    id: row.id,
    currency: row.currency,
    remainingMinor: BigInt(row.remaining_minor),
    scope: {
      services: JSON.parse(row.services) as string[],
      regions: JSON.parse(row.regions) as string[],
    },
    priority: row.priority,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  };
}

/**
 * Runs one account's invoice for a period from its imported charges and consumes its credits, in one
 * transaction: the invoice row, a `consumed` credit use per credit and charge, the credits' new
 * remainders (`used` at zero), ONE ledger entry `credit_consumed` (Dr customer_credit of the account,
 * Cr accounts_receivable; posting key `invoice:<id>:credits`) when credits were used, and the audit-log
 * entry.
 *
 * NOTE: an invoice is per account — the billing account's own charges, or one member account's — and
 * per currency, because credits are held per account (the account whose case granted them). An
 * organisation's consolidated bill is the sum of its accounts' invoices.
 * NOTE: exactly once: an account has one invoice per period start and currency; running it again
 * returns the first unchanged (and consumes nothing), whatever was imported or granted since. Periods
 * of one account and currency never overlap, so no charge is invoiced twice.
 * NOTE: only a period that has ended is invoiced, so the invoice sees the whole period's charges.
 */
export async function runInvoice(
  services: Services,
  ctx: WriteContext,
  input: RunInvoiceInput,
): Promise<RunInvoiceResult> {
  const period = parseInvoicePeriod(input);
  if (input.currency !== undefined) currencyOf(input.currency);
  const now = services.clock.now().toISOString();
  const { capabilities } = services.store;

  return inTransaction(services.store, async (tx) => {
    // The account row lock serialises invoice runs of one account (PostgreSQL; SQLite has one writer).
    let accountQuery = tx
      .selectFrom("accounts")
      .select(["id", "organisation_id", "currency"])
      .where("id", "=", input.accountId);
    if (capabilities.rowLocks) accountQuery = accountQuery.forUpdate();
    const account = await accountQuery.executeTakeFirst();
    if (!account) throw notFound("Account");
    const code = input.currency ?? account.currency;

    const existing = await tx
      .selectFrom("invoices")
      .selectAll()
      .where("account_id", "=", account.id)
      .where("period_start", "=", period.start)
      .where("currency", "=", code)
      .executeTakeFirst();
    if (existing) {
      if (existing.period_end !== period.end)
        throw conflict(`Invoice ${existing.id} already covers a period starting at ${period.start}`, {
          invoiceId: existing.id,
          periodEnd: existing.period_end,
        });
      return { invoice: existing, created: false };
    }
    if (period.end > now)
      throw validationFailed([
        {
          field: input.period !== undefined ? "period" : "periodEnd",
          code: "period_not_ended",
          message: `the period ends at ${period.end}; an invoice is run once its period is over`,
        },
      ]);
    const overlapping = await tx
      .selectFrom("invoices")
      .select(["id", "period_start", "period_end"])
      .where("account_id", "=", account.id)
      .where("currency", "=", code)
      .where("period_start", "<", period.end)
      .where("period_end", ">", period.start)
      .executeTakeFirst();
    if (overlapping)
      throw conflict(
        `Invoice ${overlapping.id} (${overlapping.period_start} to ${overlapping.period_end}) overlaps this period`,
        { invoiceId: overlapping.id },
      );

    const charges = await loadCharges(tx, account, code, period.start, period.end);
    let grantsQuery = tx
      .selectFrom("credit_grants")
      .selectAll()
      .where("account_id", "=", account.id)
      .where("currency", "=", code)
      .where("status", "=", "active")
      .orderBy("id");
    if (capabilities.rowLocks) grantsQuery = grantsQuery.forUpdate();
    const grantRows = await grantsQuery.execute();

    const amounts = roundInvoiceLines(
      charges.map((c) => c.billed_cost ?? "0"),
      code,
    );
    const allocation = applyCredits({
      currency: code,
      at: now,
      charges: charges.map((c, i) => ({
        id: c.id,
        serviceName: c.service_name,
        regionId: c.region_id,
        billedMinor: amounts[i]!,
        currency: code,
        periodStart: c.charge_period_start,
      })),
      grants: grantRows.map(grantOf),
    });

    const invoice: InvoiceTable = {
      id: newId("invoice"),
      organisation_id: account.organisation_id,
      account_id: account.id,
      period_start: period.start,
      period_end: period.end,
      currency: code,
      charges_minor: toRowNumber(allocation.totals.chargesMinor),
      credits_minor: toRowNumber(allocation.totals.creditsMinor),
      due_minor: toRowNumber(allocation.totals.dueMinor),
      lines: JSON.stringify(storedLines(allocation, charges)),
      created_by: ctx.actor,
      created_at: now,
    };
    await tx.insertInto("invoices").values(invoice).execute();
    await recordConsumption(tx, invoice, allocation, grantRows, now);

    if (allocation.totals.creditsMinor > 0n)
      // NOTE: using a credit settles part of what the customer owes on the invoice: the liability held
      // as customer credit is released against the receivable.
      await postJournalEntry(tx, services, ctx, {
        organisationId: account.organisation_id,
        kind: "credit_consumed",
        description: `Account credits consumed by invoice ${invoice.id} (${period.start} to ${period.end})`,
        postingKey: `invoice:${invoice.id}:credits`,
        invoiceId: invoice.id,
        effectiveAt: now,
        lines: transfer(
          { code: "customer_credit", accountId: account.id },
          { code: "accounts_receivable", accountId: null },
          code,
          allocation.totals.creditsMinor,
        ),
      });

    await appendAuditEntry(tx, capabilities, {
      actor: ctx.actor,
      action: "invoice.created",
      subjectType: "invoice",
      subjectId: invoice.id,
      organisationId: account.organisation_id,
      summary: {
        accountId: account.id,
        periodStart: period.start,
        periodEnd: period.end,
        currency: code,
        lines: allocation.lines.length,
        chargesMinor: String(allocation.totals.chargesMinor),
        creditsMinor: String(allocation.totals.creditsMinor),
        dueMinor: String(allocation.totals.dueMinor),
        credits: allocation.uses
          .filter((u) => u.usedMinor > 0n)
          .map((u) => ({ creditId: u.creditId, usedMinor: String(u.usedMinor) })),
      },
      requestId: ctx.requestId,
      at: now,
    });

    // This account's credits with something left get their expiry swept on time (already due: now).
    const left = new Map(allocation.uses.map((u) => [u.creditId, u.remainingMinor]));
    const nextExpiry = grantRows
      .filter((g) => (left.get(g.id) ?? BigInt(g.remaining_minor)) > 0n)
      .map((g) => (isExpired(g.expires_at, now) ? Date.parse(now) : Date.parse(g.expires_at)))
      .reduce((m, t) => Math.min(m, t), Number.POSITIVE_INFINITY);
    if (Number.isFinite(nextExpiry)) await enqueueCreditExpirySweep(tx, new Date(nextExpiry).toISOString());
    return { invoice, created: true };
  });
}

/**
 * The account's charges in the currency whose charge period starts in [start, end). Stored instants
 * are ISO text of varying precision (`…00Z`, `…00.123456Z`), which sorts as text only to the second:
 * the query reads a second more on each side, and the instants decide (and the charge order, the
 * same as the allocation's, which the rounding's ties follow).
 */
async function loadCharges(
  tx: Tx,
  account: { id: string; organisation_id: string },
  code: string,
  start: string,
  end: string,
) {
  const lo = Date.parse(start);
  const hi = Date.parse(end);
  let q = tx
    .selectFrom("charges")
    .select(["id", "source_ref", "service_name", "region_id", "charge_period_start", "billed_cost"])
    // The organisation leads the charges' indexes (by account, by month).
    .where("organisation_id", "=", account.organisation_id)
    .where("account_id", "=", account.id);
  const months = monthsOf(lo, hi);
  if (months.length <= 36) q = q.where("month", "in", months);
  const rows = await q
    .where("billing_currency", "=", code)
    .where("charge_period_start", ">=", new Date(lo - 1000).toISOString())
    .where("charge_period_start", "<", new Date(hi + 1000).toISOString())
    .orderBy("charge_period_start")
    .orderBy("id")
    .execute();
  return rows
    .filter((r) => {
      const at = Date.parse(r.charge_period_start ?? "");
      return at >= lo && at < hi;
    })
    .sort((a, b) =>
      compareCharges(
        { id: a.id, periodStart: a.charge_period_start },
        { id: b.id, periodStart: b.charge_period_start },
      ),
    );
}

/** `YYYY-MM` (UTC) of every month [lo, hi) touches: the charges' `month` column. */
function monthsOf(lo: number, hi: number): string[] {
  const months: string[] = [];
  const last = new Date(hi - 1).toISOString().slice(0, 7);
  const d = new Date(lo);
  let month = d.toISOString().slice(0, 7);
  months.push(month);
  // At most 37: a longer period is read without the month filter.
  while (month < last && months.length <= 36) {
    d.setUTCMonth(d.getUTCMonth() + 1, 1);
    month = d.toISOString().slice(0, 7);
    months.push(month);
  }
  return months;
}

function storedLines(
  allocation: CreditAllocation,
  charges: ReadonlyArray<{
    id: string;
    source_ref: string;
    service_name: string | null;
    region_id: string | null;
    charge_period_start: string | null;
    billed_cost: string | null;
  }>,
): StoredInvoiceLine[] {
  const byId = new Map(charges.map((c) => [c.id, c]));
  return allocation.lines.map((l) => {
    const c = byId.get(l.chargeId)!;
    return {
      chargeId: l.chargeId,
      sourceRef: c.source_ref,
      serviceName: c.service_name,
      regionId: c.region_id,
      chargePeriodStart: c.charge_period_start,
      billedCost: c.billed_cost ?? "0",
      amountMinor: String(l.billedMinor),
      credits: l.credits.map((a) => ({ creditId: a.creditId, amountMinor: String(a.amountMinor) })),
      creditedMinor: String(l.creditedMinor),
      dueMinor: String(l.dueMinor),
    };
  });
}

/** A `consumed` use per credit and charge, and each credit's new remainder (`used` at zero). */
async function recordConsumption(
  tx: Tx,
  invoice: InvoiceTable,
  allocation: CreditAllocation,
  grantRows: readonly CreditGrantTable[],
  now: string,
): Promise<void> {
  const uses = allocation.lines.flatMap((l) =>
    l.credits.map((a) => ({
      id: newId("creditUse"),
      credit_id: a.creditId,
      invoice_id: invoice.id,
      charge_id: l.chargeId,
      kind: "consumed",
      amount_minor: minorUnitsForStore(a.amountMinor),
      created_at: now,
    })),
  );
  // Batches keep each statement well under SQLite's limit on bound parameters.
  for (let i = 0; i < uses.length; i += 500)
    await tx
      .insertInto("credit_uses")
      .values(uses.slice(i, i + 500))
      .execute();
  const rows = new Map(grantRows.map((g) => [g.id, g]));
  for (const use of allocation.uses) {
    if (use.usedMinor === 0n) continue;
    const row = rows.get(use.creditId)!;
    const updated = await tx
      .updateTable("credit_grants")
      .set({
        remaining_minor: toRowNumber(use.remainingMinor),
        status: use.remainingMinor === 0n ? "used" : "active",
        version: row.version + 1,
      })
      .where("id", "=", row.id)
      .where("version", "=", row.version)
      .executeTakeFirst();
    // The rows are locked (PostgreSQL) or the writer is alone (SQLite): a miss is a bug, never a race lost.
    if (updated.numUpdatedRows !== 1n)
      throw new AppError("internal", `Credit ${row.id} changed while invoice ${invoice.id} was consuming it`);
  }
}
