import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { minorUnitsForStore } from "../money/index.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";
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
  const result = await insertJournalEntry(tx, ctx, entry, at);
  if (!result.created) return result;
  await appendAuditEntry(tx, services.store.capabilities, {
    actor: ctx.actor,
    action: "ledger.posted",
    subjectType: "journal_entry",
    subjectId: result.entry.id,
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
  return result;
}

/**
 * The ledger rows of one entry (lines, then the header the database checks them against), or the
 * entry already posted under its key. No audit-log entry: every write path goes through
 * `postJournalEntry`; this is separate only so bench/ledger.ts can measure what the audit log costs.
 */
export async function insertJournalEntry(
  tx: Tx,
  ctx: WriteContext,
  entry: JournalEntryInput,
  at: string,
): Promise<{ entry: JournalEntryTable; created: boolean }> {
  const existing = await tx
    .selectFrom("journal_entries")
    .selectAll()
    .where("posting_key", "=", entry.postingKey)
    .executeTakeFirst();
  if (existing) return { entry: existing, created: false };
  const id = newId("journalEntry");
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
  const row: JournalEntryTable = {
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
    line_count: lines.length,
    effective_at: entry.effectiveAt,
    created_by: ctx.actor,
    created_at: at,
  };
  await tx.insertInto("journal_entries").values(row).execute();
  return { entry: row, created: true };
}
