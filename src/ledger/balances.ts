import { sql } from "kysely";
import { DateTime } from "luxon";
import { Money } from "../money/index.js";
import { type FieldError, validationFailed } from "../shared/errors.js";
import type { Db } from "../store/database.js";
import type { Page, PageRequest } from "../store/pagination.js";
import { fetchPage } from "../store/pagination.js";
import type { JournalEntryTable } from "../store/schema.js";
import { isLedgerCode, LEDGER_CODES, type LedgerCode, normalBalance } from "./chart.js";

/**
 * Reading the ledger: balances are never stored, they are sums of the immutable journal lines
 * (TigerBeetle's rule), so they cannot drift from the entries that explain them. Sums are taken in
 * SQL and cast to text, because PostgreSQL's sum of a bigint is a numeric (a string in `pg`) and a
 * JavaScript number would lose exactness past 2^53; every amount here is a bigint or a decimal string.
 */

/** A count of minor units as an exact decimal in major units: 1234n USD → "12.34", JPY 5n → "5". */
export function formatMinor(units: bigint, currencyCode: string): string {
  return Money.fromMinorUnits(units, currencyCode).toFixedMinor();
}

/** Integers read back from either engine (number, numeric text or bigint) as a bigint. */
export function toBigInt(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`ledger amount ${value} is not an exact integer`);
    return BigInt(value);
  }
  return BigInt(value);
}

export interface LedgerBalance {
  ledgerAccountId: string;
  code: LedgerCode;
  title: string;
  type: string;
  normalBalance: "debit" | "credit";
  /** The customer account for per-account codes (customer_credit); null for the organisation's books. */
  accountId: string | null;
  currency: string;
  debitMinor: bigint;
  creditMinor: bigint;
  /** On the code's normal side: debit − credit for assets and expenses, credit − debit for liabilities. */
  balanceMinor: bigint;
}

/** One balance from its debit and credit totals, signed on the code's normal side. */
export function balanceOf(code: LedgerCode, debitMinor: bigint, creditMinor: bigint): bigint {
  return normalBalance(code) === "debit" ? debitMinor - creditMinor : creditMinor - debitMinor;
}

const debitSum = sql<string>`cast(coalesce(sum(case when jl.amount_minor > 0 then jl.amount_minor else 0 end), 0) as text)`;
const creditSum = sql<string>`cast(coalesce(sum(case when jl.amount_minor < 0 then -jl.amount_minor else 0 end), 0) as text)`;

/** Every ledger account of an organisation with its totals, in chart order, then currency and account. */
export async function ledgerBalances(
  db: Db,
  organisationId: string,
  options: { currency?: string; asOf?: string } = {},
): Promise<LedgerBalance[]> {
  const asOf = options.asOf;
  let q = db
    .selectFrom("ledger_accounts as la")
    // The as-of condition sits in the join, so an account whose lines are all later still shows (at 0).
    .leftJoin("journal_lines as jl", (join) => {
      const onAccount = join.onRef("jl.ledger_account_id", "=", "la.id");
      if (!asOf) return onAccount;
      return onAccount.on((eb) =>
        eb.exists(
          eb
            .selectFrom("journal_entries as je")
            .select("je.id")
            .whereRef("je.id", "=", "jl.entry_id")
            .where("je.effective_at", "<", asOf),
        ),
      );
    })
    .select(["la.id", "la.code", "la.account_id", "la.currency"])
    .select([debitSum.as("debit"), creditSum.as("credit")])
    .where("la.organisation_id", "=", organisationId);
  if (options.currency) q = q.where("la.currency", "=", options.currency);
  const rows = await q.groupBy(["la.id", "la.code", "la.account_id", "la.currency"]).execute();
  const order = Object.keys(LEDGER_CODES);
  return rows
    .filter((r): r is typeof r & { code: LedgerCode } => isLedgerCode(r.code))
    .map((r) => {
      const debitMinor = toBigInt(r.debit);
      const creditMinor = toBigInt(r.credit);
      const meta = LEDGER_CODES[r.code];
      return {
        ledgerAccountId: r.id,
        code: r.code,
        title: meta.title,
        type: meta.type,
        normalBalance: normalBalance(r.code),
        accountId: r.account_id,
        currency: r.currency,
        debitMinor,
        creditMinor,
        balanceMinor: balanceOf(r.code, debitMinor, creditMinor),
      };
    })
    .sort(
      (a, b) =>
        order.indexOf(a.code) - order.indexOf(b.code) ||
        a.currency.localeCompare(b.currency) ||
        (a.accountId ?? "").localeCompare(b.accountId ?? ""),
    );
}

export interface TrialBalanceRow {
  code: LedgerCode;
  title: string;
  normalBalance: "debit" | "credit";
  debitMinor: bigint;
  creditMinor: bigint;
  balanceMinor: bigint;
}

export interface TrialBalance {
  currency: string;
  rows: TrialBalanceRow[];
  totalDebitMinor: bigint;
  totalCreditMinor: bigint;
  /** Debits minus credits over every line in the currency: 0 when the books balance. */
  differenceMinor: bigint;
  balanced: boolean;
}

/**
 * The provider-wide trial balance, one per currency (amounts in different currencies never add up):
 * per ledger code the total debits and credits over every organisation, and the check that debits
 * equal credits. The database refuses unbalanced entries, so a non-zero difference means the data
 * was altered outside the application.
 */
export async function trialBalance(
  db: Db,
  options: { organisationId?: string } = {},
): Promise<TrialBalance[]> {
  let q = db
    .selectFrom("journal_lines as jl")
    .innerJoin("ledger_accounts as la", "la.id", "jl.ledger_account_id")
    .select(["la.code", "jl.currency"])
    .select([debitSum.as("debit"), creditSum.as("credit")]);
  if (options.organisationId) q = q.where("la.organisation_id", "=", options.organisationId);
  const rows = await q.groupBy(["la.code", "jl.currency"]).execute();
  const byCurrency = new Map<string, TrialBalance>();
  const order = Object.keys(LEDGER_CODES);
  for (const r of rows) {
    let tb = byCurrency.get(r.currency);
    if (!tb) {
      tb = {
        currency: r.currency,
        rows: [],
        totalDebitMinor: 0n,
        totalCreditMinor: 0n,
        differenceMinor: 0n,
        balanced: true,
      };
      byCurrency.set(r.currency, tb);
    }
    const debitMinor = toBigInt(r.debit);
    const creditMinor = toBigInt(r.credit);
    tb.totalDebitMinor += debitMinor;
    tb.totalCreditMinor += creditMinor;
    // A code this build does not know still counts in the totals; it just has no title.
    const code = r.code as LedgerCode;
    tb.rows.push({
      code,
      title: isLedgerCode(r.code) ? LEDGER_CODES[code].title : r.code,
      normalBalance: isLedgerCode(r.code) ? normalBalance(code) : "debit",
      debitMinor,
      creditMinor,
      balanceMinor: isLedgerCode(r.code)
        ? balanceOf(code, debitMinor, creditMinor)
        : debitMinor - creditMinor,
    });
  }
  const result = [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency));
  for (const tb of result) {
    tb.differenceMinor = tb.totalDebitMinor - tb.totalCreditMinor;
    tb.balanced = tb.differenceMinor === 0n;
    tb.rows.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
  }
  return result;
}

/** A period over `effective_at`: `from` inclusive, `to` exclusive, both ISO UTC instants (or open). */
export interface Period {
  from: string | null;
  to: string | null;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * `from`/`to` as people write them: dates (`2026-05-01`, whole UTC days, both inclusive — `to`
 * `2026-05-31` takes in all of the 31st) or ISO instants with an offset (`from` inclusive, `to`
 * exclusive). Normalised to the stored form (`…T…:…:….000Z`) so the text comparison is exact.
 */
export function parsePeriod(
  from: string | undefined,
  to: string | undefined,
  fields: { from: string; to: string } = { from: "from", to: "to" },
): Period {
  const errors: FieldError[] = [];
  const parse = (value: string | undefined, field: string, end: boolean): string | null => {
    if (value === undefined || value === "") return null;
    let at: DateTime | null = null;
    if (DATE_ONLY.test(value)) {
      const day = DateTime.fromISO(value, { zone: "utc" });
      if (day.isValid) at = end ? day.plus({ days: 1 }) : day;
    } else if (INSTANT.test(value)) {
      const instant = DateTime.fromISO(value, { setZone: true });
      if (instant.isValid) at = instant.toUTC();
    }
    if (!at) {
      errors.push({
        field,
        code: "invalid_date",
        message: "must be a date (2026-05-31) or an ISO 8601 instant with an offset (2026-05-31T12:00:00Z)",
      });
      return null;
    }
    return `${at.toISO({ suppressMilliseconds: false, includeOffset: false })}Z`;
  };
  const period = { from: parse(from, fields.from, false), to: parse(to, fields.to, true) };
  if (!errors.length && period.from && period.to && period.from >= period.to)
    errors.push({ field: fields.to, code: "invalid_period", message: `must be after ${fields.from}` });
  if (errors.length) throw validationFailed(errors);
  return period;
}

export interface JournalLineView {
  id: string;
  code: string;
  accountId: string | null;
  currency: string;
  amountMinor: bigint;
}

export interface JournalEntryWithLines {
  entry: JournalEntryTable;
  lines: JournalLineView[];
}

export interface EntryFilter {
  organisationId: string;
  code?: LedgerCode;
  /** A customer account: entries with a line on one of its per-account ledger accounts. */
  accountId?: string;
  caseId?: string;
  period?: Period;
}

/**
 * Entries of an organisation with their lines, in posting order (ids are time-sortable), one page at
 * a time. `code` and `accountId` select entries with at least one line on such a ledger account; the
 * entry is then shown whole, so its other side is visible too.
 */
export async function listJournalEntries(
  db: Db,
  filter: EntryFilter,
  page: PageRequest,
): Promise<Page<JournalEntryWithLines>> {
  let q = db
    .selectFrom("journal_entries as je")
    .selectAll("je")
    .where("je.organisation_id", "=", filter.organisationId);
  if (filter.caseId) q = q.where("je.case_id", "=", filter.caseId);
  if (filter.period?.from) q = q.where("je.effective_at", ">=", filter.period.from);
  if (filter.period?.to) q = q.where("je.effective_at", "<", filter.period.to);
  if (filter.code || filter.accountId) {
    const { code, accountId } = filter;
    q = q.where((eb) => {
      let sub = eb
        .selectFrom("journal_lines as jl")
        .innerJoin("ledger_accounts as la", "la.id", "jl.ledger_account_id")
        .select("jl.id")
        .whereRef("jl.entry_id", "=", "je.id");
      if (code) sub = sub.where("la.code", "=", code);
      if (accountId) sub = sub.where("la.account_id", "=", accountId);
      return eb.exists(sub);
    });
  }
  const { items, nextCursor } = await fetchPage(q, "je.id", "asc", page);
  const lines = await linesOf(
    db,
    items.map((e) => e.id),
  );
  return { items: items.map((entry) => ({ entry, lines: lines.get(entry.id) ?? [] })), nextCursor };
}

/** The lines of some entries, in the order they were written, keyed by entry id. */
export async function linesOf(db: Db, entryIds: readonly string[]): Promise<Map<string, JournalLineView[]>> {
  const out = new Map<string, JournalLineView[]>();
  // Bounded batches keep the parameter count far below either engine's limit.
  for (let i = 0; i < entryIds.length; i += 500) {
    const batch = entryIds.slice(i, i + 500);
    const rows = await db
      .selectFrom("journal_lines as jl")
      .innerJoin("ledger_accounts as la", "la.id", "jl.ledger_account_id")
      .select(["jl.id", "jl.entry_id", "jl.currency", "jl.amount_minor", "la.code", "la.account_id"])
      .where("jl.entry_id", "in", batch)
      .orderBy("jl.entry_id")
      .orderBy("jl.id")
      .execute();
    for (const r of rows) {
      const list = out.get(r.entry_id) ?? [];
      list.push({
        id: r.id,
        code: r.code,
        accountId: r.account_id,
        currency: r.currency,
        amountMinor: toBigInt(r.amount_minor),
      });
      out.set(r.entry_id, list);
    }
  }
  return out;
}
