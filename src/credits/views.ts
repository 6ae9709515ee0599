import type { Selectable } from "kysely";
import { Type } from "typebox";
import { Money, minorUnitsFromStore } from "../money/index.js";
import type { Db } from "../store/database.js";
import type { CreditGrantTable, CreditUseTable, InvoiceTable } from "../store/schema.js";
import { compareGrants, isExpired } from "./apply-credits.js";
import { grantOf, type StoredInvoiceLine } from "./run-invoice.js";

/** Minor units as the API shows money: an exact decimal string with the currency's decimals. */
export const amountText = (minor: number | bigint | string, currency: string): string =>
  Money.fromMinorUnits(minorUnitsFromStore(minor), currency).toFixedMinor();

const Amount = (description: string) => Type.String({ description });
const Scope = Type.Object({
  services: Type.Array(Type.String(), { description: "Empty: any service" }),
  regions: Type.Array(Type.String(), { description: "Empty: any region" }),
});

/** A credit's scope as stored (JSON arrays). */
const scopeOf = (row: Pick<CreditGrantTable, "services" | "regions">) => ({
  services: JSON.parse(row.services) as string[],
  regions: JSON.parse(row.regions) as string[],
});

export const InvoiceSummaryView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  accountId: Type.String(),
  periodStart: Type.String(),
  periodEnd: Type.String({ description: "Exclusive" }),
  currency: Type.String(),
  charges: Amount("Sum of the lines"),
  credits: Amount("Account credits consumed"),
  due: Amount("Charges minus credits"),
  createdBy: Type.String(),
  createdAt: Type.String(),
});

export const InvoiceLineView = Type.Object({
  chargeId: Type.String(),
  sourceRef: Type.String(),
  serviceName: Type.Union([Type.String(), Type.Null()]),
  regionId: Type.Union([Type.String(), Type.Null()]),
  chargePeriodStart: Type.Union([Type.String(), Type.Null()]),
  billedCost: Type.String({ description: "The charge's exact billed cost, as imported" }),
  amount: Amount("The line after the invoice's one rounding to the minor unit"),
  credited: Amount("Credits applied to the line"),
  due: Amount("Amount minus credited"),
  credits: Type.Array(Type.Object({ creditId: Type.String(), amount: Type.String() })),
});

export const ConsumedCreditView = Type.Object({
  creditId: Type.String(),
  caseId: Type.Union([Type.String(), Type.Null()]),
  amount: Amount("Consumed by this invoice"),
  scope: Scope,
  priority: Type.Integer(),
  expiresAt: Type.String(),
});

export const InvoiceView = Type.Object({
  ...InvoiceSummaryView.properties,
  creditsConsumed: Type.Array(ConsumedCreditView, { description: "In the order they were spent" }),
  lines: Type.Array(InvoiceLineView, { description: "One per charge, in charge order" }),
});

export function invoiceSummaryView(row: Omit<InvoiceTable, "lines">) {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    accountId: row.account_id,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    currency: row.currency,
    charges: amountText(row.charges_minor, row.currency),
    credits: amountText(row.credits_minor, row.currency),
    due: amountText(row.due_minor, row.currency),
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/** The invoice with its lines and the credits it consumed, in spending order. */
export async function invoiceView(db: Db, row: InvoiceTable) {
  const lines = JSON.parse(row.lines) as StoredInvoiceLine[];
  const used = new Map<string, bigint>();
  for (const l of lines)
    for (const c of l.credits)
      used.set(c.creditId, (used.get(c.creditId) ?? 0n) + minorUnitsFromStore(c.amountMinor));
  const grants =
    used.size === 0
      ? []
      : await db
          .selectFrom("credit_grants")
          .selectAll()
          .where("id", "in", [...used.keys()])
          .execute();
  grants.sort((a, b) => compareGrants(grantOf(a), grantOf(b)));
  const money = (minor: number | bigint | string) => amountText(minor, row.currency);
  return {
    ...invoiceSummaryView(row),
    creditsConsumed: grants.map((g) => ({
      creditId: g.id,
      caseId: g.case_id,
      amount: money(used.get(g.id) ?? 0n),
      scope: scopeOf(g),
      priority: g.priority,
      expiresAt: g.expires_at,
    })),
    lines: lines.map((l) => ({
      chargeId: l.chargeId,
      sourceRef: l.sourceRef,
      serviceName: l.serviceName,
      regionId: l.regionId,
      chargePeriodStart: l.chargePeriodStart,
      billedCost: l.billedCost,
      amount: money(l.amountMinor),
      credited: money(l.creditedMinor),
      due: money(l.dueMinor),
      credits: l.credits.map((c) => ({ creditId: c.creditId, amount: money(c.amountMinor) })),
    })),
  };
}

export type InvoiceViewShape = Awaited<ReturnType<typeof invoiceView>>;

export const CreditView = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  caseId: Type.Union([Type.String(), Type.Null()]),
  decisionId: Type.Union([Type.String(), Type.Null()]),
  source: Type.String({ description: "`decision`, `payout_fallback`, …" }),
  currency: Type.String(),
  amount: Amount("Granted"),
  remaining: Amount("Not yet consumed or expired"),
  scope: Scope,
  priority: Type.Integer({ description: "Lower is spent first" }),
  expiresAt: Type.String(),
  status: Type.Union([Type.Literal("active"), Type.Literal("used"), Type.Literal("expired")], {
    description: "`expired` as soon as the expiry passes, even before the sweep reverses it in the ledger",
  }),
  createdAt: Type.String(),
  uses: Type.Array(
    Type.Object({
      kind: Type.String({ description: "`consumed` by an invoice, `expired`, `withdrawn_on_appeal`" }),
      invoiceId: Type.Union([Type.String(), Type.Null()]),
      amount: Type.String(),
      at: Type.String(),
    }),
    { description: "Per invoice (summed over its charges) and per expiry or withdrawal, oldest first" },
  ),
});

export function creditView(row: CreditGrantTable, uses: readonly Selectable<CreditUseTable>[], now: string) {
  // Summed per invoice: an invoice may take a credit from many charges.
  const grouped = new Map<string, { kind: string; invoiceId: string | null; minor: bigint; at: string }>();
  for (const u of [...uses].sort((a, b) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0,
  )) {
    const key = `${u.kind}\u0000${u.invoice_id ?? u.id}`;
    const g = grouped.get(key);
    if (g) g.minor += BigInt(u.amount_minor);
    else
      grouped.set(key, {
        kind: u.kind,
        invoiceId: u.invoice_id,
        minor: BigInt(u.amount_minor),
        at: u.created_at,
      });
  }
  const status = row.status === "active" && isExpired(row.expires_at, now) ? "expired" : row.status;
  return {
    id: row.id,
    accountId: row.account_id,
    caseId: row.case_id,
    decisionId: row.decision_id,
    source: row.source,
    currency: row.currency,
    amount: amountText(row.amount_minor, row.currency),
    remaining: amountText(row.remaining_minor, row.currency),
    scope: scopeOf(row),
    priority: row.priority,
    expiresAt: row.expires_at,
    status,
    createdAt: row.created_at,
    uses: [...grouped.values()].map((g) => ({
      kind: g.kind,
      invoiceId: g.invoiceId,
      amount: amountText(g.minor, row.currency),
      at: g.at,
    })),
  };
}
