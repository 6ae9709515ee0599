import { Readable } from "node:stream";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { principalOf } from "../http/auth.js";
import { Id, pageOf, pageQueryWith, problemResponses } from "../http/schemas.js";
import { guardOrganisation, require } from "../identity/guard.js";
import { isCurrencyCode } from "../money/index.js";
import type { Services } from "../shared/context.js";
import { validationFailed } from "../shared/errors.js";
import { pageRequest } from "../store/pagination.js";
import { exportJournalCsv } from "./accounting-export.js";
import {
  formatMinor,
  type JournalEntryWithLines,
  type LedgerBalance,
  ledgerBalances,
  listJournalEntries,
  parsePeriod,
  type TrialBalance,
  trialBalance,
} from "./balances.js";
import { LEDGER_CODES, type LedgerCode } from "./chart.js";

const CODES = Object.keys(LEDGER_CODES) as LedgerCode[];
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const DateOrInstant = (description: string) =>
  Type.String({ maxLength: 40, description: `${description}: a date (2026-05-31) or an ISO 8601 instant` });

/** Exact decimals in major units (`12.34`), with the minor-unit integers beside them as strings. */
const Amounts = {
  debit: Type.String(),
  credit: Type.String(),
  balance: Type.String({ description: "On the code's normal side (debit − credit, or credit − debit)" }),
  debitMinor: Type.String(),
  creditMinor: Type.String(),
  balanceMinor: Type.String(),
};

const BalanceView = Type.Object({
  ledgerAccountId: Type.String(),
  code: Type.String(),
  title: Type.String(),
  type: Type.String(),
  normalBalance: Type.Enum(["debit", "credit"] as const),
  accountId: Nullable(Type.String()),
  currency: Type.String(),
  ...Amounts,
});

const LineView = Type.Object({
  id: Type.String(),
  code: Type.String(),
  accountId: Nullable(Type.String()),
  currency: Type.String(),
  amountMinor: Type.String({ description: "Signed minor units: debits positive, credits negative" }),
  debit: Nullable(Type.String()),
  credit: Nullable(Type.String()),
});

const EntryView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  kind: Type.String(),
  description: Type.String(),
  postingKey: Type.String(),
  caseId: Nullable(Type.String()),
  payoutId: Nullable(Type.String()),
  creditId: Nullable(Type.String()),
  invoiceId: Nullable(Type.String()),
  reversesEntryId: Nullable(Type.String()),
  effectiveAt: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  lines: Type.Array(LineView),
});

const TrialBalanceView = Type.Object({
  currency: Type.String(),
  balanced: Type.Boolean(),
  totalDebit: Type.String(),
  totalCredit: Type.String(),
  difference: Type.String(),
  rows: Type.Array(
    Type.Object({
      code: Type.String(),
      title: Type.String(),
      normalBalance: Type.Enum(["debit", "credit"] as const),
      ...Amounts,
    }),
  ),
});

function amounts(debitMinor: bigint, creditMinor: bigint, balanceMinor: bigint, currency: string) {
  return {
    debit: formatMinor(debitMinor, currency),
    credit: formatMinor(creditMinor, currency),
    balance: formatMinor(balanceMinor, currency),
    debitMinor: debitMinor.toString(),
    creditMinor: creditMinor.toString(),
    balanceMinor: balanceMinor.toString(),
  };
}

export function balanceView(b: LedgerBalance) {
  return {
    ledgerAccountId: b.ledgerAccountId,
    code: b.code,
    title: b.title,
    type: b.type,
    normalBalance: b.normalBalance,
    accountId: b.accountId,
    currency: b.currency,
    ...amounts(b.debitMinor, b.creditMinor, b.balanceMinor, b.currency),
  };
}

export function entryView({ entry, lines }: JournalEntryWithLines) {
  return {
    id: entry.id,
    organisationId: entry.organisation_id,
    kind: entry.kind,
    description: entry.description,
    postingKey: entry.posting_key,
    caseId: entry.case_id,
    payoutId: entry.payout_id,
    creditId: entry.credit_id,
    invoiceId: entry.invoice_id,
    reversesEntryId: entry.reverses_entry_id,
    effectiveAt: entry.effective_at,
    createdAt: entry.created_at,
    createdBy: entry.created_by,
    lines: lines.map((l) => ({
      id: l.id,
      code: l.code,
      accountId: l.accountId,
      currency: l.currency,
      amountMinor: l.amountMinor.toString(),
      debit: l.amountMinor > 0n ? formatMinor(l.amountMinor, l.currency) : null,
      credit: l.amountMinor < 0n ? formatMinor(-l.amountMinor, l.currency) : null,
    })),
  };
}

export function trialBalanceView(tb: TrialBalance) {
  return {
    currency: tb.currency,
    balanced: tb.balanced,
    totalDebit: formatMinor(tb.totalDebitMinor, tb.currency),
    totalCredit: formatMinor(tb.totalCreditMinor, tb.currency),
    difference: formatMinor(tb.differenceMinor, tb.currency),
    rows: tb.rows.map((r) => ({
      code: r.code,
      title: r.title,
      normalBalance: r.normalBalance,
      ...amounts(r.debitMinor, r.creditMinor, r.balanceMinor, tb.currency),
    })),
  };
}

/** The ledger explorer: balances, entries by ledger code, account, case and period, and the GL export. */
export async function ledgerRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["ledger"];
  const db = services.store.db;

  app.get(
    "/organisations/:organisationId/ledger/balances",
    {
      schema: {
        tags,
        summary: "Balances of the organisation's ledger accounts, derived from the journal lines",
        params: Type.Object({ organisationId: Id("Organisation id") }),
        querystring: Type.Object(
          {
            currency: Type.Optional(Type.String({ minLength: 3, maxLength: 3 })),
            asOf: Type.Optional(DateOrInstant("Only entries effective before this (a date counts whole)")),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ organisationId: Type.String(), items: Type.Array(BalanceView) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "ledger.read",
        request.params.organisationId,
      );
      const { currency, asOf } = request.query;
      if (currency !== undefined && !isCurrencyCode(currency))
        throw validationFailed([
          { field: "currency", code: "unknown_currency", message: "is not an upper-case ISO 4217 code" },
        ]);
      const period = parsePeriod(undefined, asOf, { from: "asOf", to: "asOf" });
      const items = await ledgerBalances(db, org.id, { currency, asOf: period.to ?? undefined });
      return { organisationId: org.id, items: items.map(balanceView) };
    },
  );

  app.get(
    "/organisations/:organisationId/ledger/entries",
    {
      schema: {
        tags,
        summary: "Journal entries with their lines, in posting order",
        description:
          "Filters: `code` (entries with a line on that ledger code), `accountId` (a line on that customer " +
          "account's credit), `caseId`, and the period `from`/`to` over the effective time — dates count whole " +
          "UTC days, both inclusive; instants are from inclusive, to exclusive.",
        params: Type.Object({ organisationId: Id("Organisation id") }),
        querystring: pageQueryWith({
          code: Type.Optional(Type.Enum(CODES)),
          accountId: Type.Optional(Id("Customer account id")),
          caseId: Type.Optional(Id("Case id")),
          from: Type.Optional(DateOrInstant("Effective from")),
          to: Type.Optional(DateOrInstant("Effective until")),
        }),
        response: { 200: pageOf(EntryView), ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "ledger.read",
        request.params.organisationId,
      );
      const q = request.query;
      const period = parsePeriod(q.from, q.to);
      const page = pageRequest(q.limit, q.cursor, /^jnl_[0-9a-z]{26}$/);
      const { items, nextCursor } = await listJournalEntries(
        db,
        {
          organisationId: org.id,
          code: q.code as LedgerCode | undefined,
          accountId: q.accountId,
          caseId: q.caseId,
          period,
        },
        page,
      );
      return { items: items.map(entryView), nextCursor };
    },
  );

  app.get(
    "/organisations/:organisationId/ledger/export.csv",
    {
      schema: {
        tags,
        summary: "The accounting export: the period's journal lines as CSV, with GL codes and cost centres",
        description:
          "Columns: entry_id, effective_at, organisation_id, kind, posting_key, case_ticket, gl_code, ledger_code, " +
          "account_id, currency, debit, credit, cost_centre, description. Amounts are exact decimals in major units.",
        params: Type.Object({ organisationId: Id("Organisation id") }),
        querystring: Type.Object(
          { from: DateOrInstant("Effective from"), to: DateOrInstant("Effective until") },
          { additionalProperties: false },
        ),
        response: { 200: Type.Unknown({ description: "text/csv" }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "ledger.read",
        request.params.organisationId,
      );
      // Checked before the first byte is sent: a bad period is a problem document, not a broken CSV.
      const period = parsePeriod(request.query.from, request.query.to);
      const stream = Readable.from(
        exportJournalCsv(db, { organisationId: org.id, period, glCodes: services.config.glCodes }),
      );
      return reply
        .header("content-type", "text/csv; charset=utf-8")
        .header(
          "content-disposition",
          `attachment; filename="ledger-${org.id}-${request.query.from}-${request.query.to}.csv"`,
        )
        .header("cache-control", "private, no-store")
        .send(stream);
    },
  );

  app.get(
    "/ledger/trial-balance",
    {
      schema: {
        tags,
        summary: "Provider-wide trial balance per currency: debits must equal credits",
        querystring: Type.Object(
          { organisationId: Type.Optional(Id("Only this organisation's books")) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            balanced: Type.Boolean({ description: "Every currency's debits equal its credits" }),
            currencies: Type.Array(TrialBalanceView),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      require(principalOf(request), "reconciliation.run", { organisationId: null }, "Route");
      const currencies = await trialBalance(db, { organisationId: request.query.organisationId });
      return { balanced: currencies.every((c) => c.balanced), currencies: currencies.map(trialBalanceView) };
    },
  );
}
