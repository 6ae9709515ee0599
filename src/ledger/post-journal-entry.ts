import { sql } from "kysely";
import { type AuditEntryInput, appendAuditEntry, pendingAuditRow } from "../audit-log/append-audit-entry.js";
import { minorUnitsForStore } from "../money/index.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { DialectCapabilities, Tx } from "../store/database.js";
import type { JournalEntryTable } from "../store/schema.js";
import { PER_ACCOUNT_CODES } from "./chart.js";
import { type JournalEntryInput, type JournalLineInput, journalProblems } from "./journal.js";

const MAX_EXACT_MINOR = BigInt(Number.MAX_SAFE_INTEGER);

const accountKey = (code: string, accountId: string | null, currency: string) =>
  `${code}\u0000${accountId ?? ""}\u0000${currency}`;

/** The customer account a line's ledger account belongs to: only per-account codes have one. */
const ownerOf = (line: JournalLineInput) => (PER_ACCOUNT_CODES.includes(line.code) ? line.accountId : null);

/**
 * The ledger account of every line, created on first use: one query finds those that exist (rather
 * than one per line), and the missing ones are inserted. Two transactions creating the same ledger
 * account at once must both succeed: the insert skips a row another writer holds (waiting for it
 * to commit on PostgreSQL), and the lookup afterwards finds whichever row won.
 */
async function ledgerAccountIds(
  tx: Tx,
  organisationId: string,
  lines: readonly JournalLineInput[],
  at: string,
): Promise<string[]> {
  const find = async () => {
    const rows = await tx
      .selectFrom("ledger_accounts")
      .select(["id", "code", "account_id", "currency"])
      .where("organisation_id", "=", organisationId)
      .where("code", "in", [...new Set(lines.map((l) => l.code))])
      .where("currency", "in", [...new Set(lines.map((l) => l.currency))])
      .execute();
    return new Map(rows.map((r) => [accountKey(r.code, r.account_id, r.currency), r.id]));
  };
  let ids = await find();
  const missing = new Map<string, JournalLineInput>();
  for (const line of lines) {
    const key = accountKey(line.code, ownerOf(line), line.currency);
    if (!ids.has(key)) missing.set(key, line);
  }
  if (missing.size > 0) {
    await tx
      .insertInto("ledger_accounts")
      .values(
        [...missing.values()].map((line) => ({
          id: newId("ledgerAccount"),
          organisation_id: organisationId,
          account_id: ownerOf(line),
          code: line.code,
          currency: line.currency,
          created_at: at,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
    ids = await find();
  }
  return lines.map((line) => {
    const id = ids.get(accountKey(line.code, ownerOf(line), line.currency));
    if (id === undefined)
      throw new Error(`ledger account for ${line.code} ${line.currency} could not be created`);
    return id;
  });
}

/**
 * Posts one balanced entry inside the caller's transaction, with its audit-log entry. Exactly once:
 * an entry with the same posting key already posted is returned instead of a second one. The
 * database refuses an unbalanced entry too (migration 0006), so this check is the friendly one.
 */
export async function postJournalEntry(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  entry: JournalEntryInput,
): Promise<{ entry: JournalEntryTable; created: boolean }> {
  const problems = journalProblems(entry);
  // Amounts are read back as JavaScript numbers on both engines: past 2^53 they would not be exact.
  for (const [i, l] of entry.lines.entries())
    if (l.amountMinor > MAX_EXACT_MINOR || l.amountMinor < -MAX_EXACT_MINOR)
      problems.push(`line ${i} exceeds ${MAX_EXACT_MINOR} minor units`);
  if (problems.length)
    throw new AppError("internal", `Unbalanced journal entry ${entry.postingKey}: ${problems.join("; ")}`);
  const at = services.clock.now().toISOString();
  const audit = (entryId: string): AuditEntryInput => ({
    actor: ctx.actor,
    action: "ledger.posted",
    subjectType: "journal_entry",
    subjectId: entryId,
    organisationId: entry.organisationId,
    summary: {
      kind: entry.kind,
      postingKey: entry.postingKey,
      lines: entry.lines.map((l) => ({
        code: l.code,
        currency: l.currency,
        amountMinor: String(l.amountMinor),
      })),
    },
    requestId: ctx.requestId,
    at,
  });
  const { audited, ...result } = await insertJournalEntry(
    tx,
    ctx,
    entry,
    at,
    services.store.capabilities,
    audit,
  );
  if (result.created && !audited)
    await appendAuditEntry(tx, services.store.capabilities, audit(result.entry.id));
  return result;
}

/**
 * The ledger rows of one entry (lines, then the header the database checks them against), or the
 * entry already posted under its key. `audit` is the entry's audit-log entry, written in the same
 * statement where the engine allows (`audited`); the caller appends it otherwise. Every write path
 * goes through `postJournalEntry`; this is separate so bench/ledger.ts can measure the audit log.
 */
export async function insertJournalEntry(
  tx: Tx,
  ctx: WriteContext,
  entry: JournalEntryInput,
  at: string,
  caps: DialectCapabilities,
  audit?: (entryId: string) => AuditEntryInput,
): Promise<{ entry: JournalEntryTable; created: boolean; audited: boolean }> {
  const id = newId("journalEntry");
  const header: JournalEntryTable = {
    id,
    organisation_id: entry.organisationId,
    kind: entry.kind,
    description: entry.description,
    posting_key: entry.postingKey,
    case_id: entry.caseId ?? null,
    payout_id: entry.payoutId ?? null,
    credit_id: entry.creditId ?? null,
    invoice_id: entry.invoiceId ?? null,
    reverses_entry_id: entry.reversesEntryId ?? null,
    line_count: entry.lines.length,
    effective_at: entry.effectiveAt,
    created_by: ctx.actor,
    created_at: at,
  };
  // PostgreSQL: one statement when the ledger accounts exist (every posting but an account's first).
  if (caps.writableCtes && (await insertInOneStatement(tx, entry, header, audit?.(id))))
    return { entry: header, created: true, audited: audit !== undefined };
  const existing = await tx
    .selectFrom("journal_entries")
    .selectAll()
    .where("posting_key", "=", entry.postingKey)
    .executeTakeFirst();
  if (existing) return { entry: existing, created: false, audited: false };
  const accounts = await ledgerAccountIds(tx, entry.organisationId, entry.lines, at);
  const lines = entry.lines.map((line, i) => ({
    id: newId("journalLine"),
    entry_id: id,
    ledger_account_id: accounts[i]!,
    currency: line.currency,
    amount_minor: minorUnitsForStore(line.amountMinor),
  }));
  // Lines first, then the header: the header's trigger checks the lines balance.
  await tx.insertInto("journal_lines").values(lines).execute();
  await tx.insertInto("journal_entries").values(header).execute();
  return { entry: header, created: true, audited: false };
}

/**
 * Lines and header in one statement: each line finds its ledger account, nothing is written when
 * the posting key is taken or an account is missing (false: the caller takes the general path),
 * and the header is inserted only after every line (its trigger then sees them all, as it does
 * when they come in two statements).
 */
async function insertInOneStatement(
  tx: Tx,
  entry: JournalEntryInput,
  header: JournalEntryTable,
  audit: AuditEntryInput | undefined,
): Promise<boolean> {
  const n = entry.lines.length;
  const input = sql.join(
    entry.lines.map(
      (line) =>
        sql`(${newId("journalLine")}::text, ${line.code}::text, ${ownerOf(line) ?? ""}::text, ${line.currency}::text, ${minorUnitsForStore(line.amountMinor)}::bigint)`,
    ),
  );
  const h = header;
  const result = await sql<{ id: string }>`
    with input (line_id, code, account_id, currency, amount_minor) as (values ${input}),
    resolved as (
      select input.line_id, input.currency, input.amount_minor, a.id as ledger_account_id
      from input join ledger_accounts a
        on a.organisation_id = ${h.organisation_id} and coalesce(a.account_id, '') = input.account_id
        and a.code = input.code and a.currency = input.currency
      where not exists (select 1 from journal_entries where posting_key = ${h.posting_key})),
    lines as (
      insert into journal_lines (id, entry_id, ledger_account_id, currency, amount_minor)
      select line_id, ${h.id}, ledger_account_id, currency, amount_minor from resolved
      where (select count(*) from resolved) = ${n}
      returning id),
    header as (
      insert into journal_entries (id, organisation_id, kind, description, posting_key, case_id, payout_id,
        credit_id, invoice_id, reverses_entry_id, line_count, effective_at, created_by, created_at)
      select ${h.id}, ${h.organisation_id}, ${h.kind}, ${h.description}, ${h.posting_key}, ${h.case_id},
        ${h.payout_id}, ${h.credit_id}, ${h.invoice_id}, ${h.reverses_entry_id}, ${h.line_count},
        ${h.effective_at}, ${h.created_by}, ${h.created_at}
      where (select count(*) from lines) = ${n}
      returning id)
    ${audit ? auditedWith(audit) : sql``}
    select id from header`.execute(tx);
  return result.rows.length === 1;
}

/** The entry's audit-log row, inserted only when the header was (it reads the header's CTE). */
function auditedWith(input: AuditEntryInput) {
  const a = pendingAuditRow(input);
  return sql`, audited as (
      insert into audit_log_pending (id, at, actor, action, subject_type, subject_id, organisation_id, summary,
        request_id, hash_input)
      select ${a.id}, ${a.at}, ${a.actor}, ${a.action}, ${a.subject_type}, ${a.subject_id}, ${a.organisation_id},
        ${a.summary}, ${a.request_id}, ${a.hash_input}
      from header)`;
}
