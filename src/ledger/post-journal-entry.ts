import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";
import type { JournalEntryTable } from "../store/schema.js";
import { PER_ACCOUNT_CODES } from "./chart.js";
import { type JournalEntryInput, type JournalLineInput, journalProblems } from "./journal.js";

/** The ledger account for a line, created on first use. */
async function ledgerAccountId(
  tx: Tx,
  organisationId: string,
  line: JournalLineInput,
  at: string,
): Promise<string> {
  const accountId = PER_ACCOUNT_CODES.includes(line.code) ? line.accountId : null;
  let q = tx
    .selectFrom("ledger_accounts")
    .select("id")
    .where("organisation_id", "=", organisationId)
    .where("code", "=", line.code)
    .where("currency", "=", line.currency);
  q = accountId === null ? q.where("account_id", "is", null) : q.where("account_id", "=", accountId);
  const found = await q.executeTakeFirst();
  if (found) return found.id;
  const id = newId("ledgerAccount");
  await tx
    .insertInto("ledger_accounts")
    .values({
      id,
      organisation_id: organisationId,
      account_id: accountId,
      code: line.code,
      currency: line.currency,
      created_at: at,
    })
    .execute();
  return id;
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
  if (problems.length)
    throw new AppError("internal", `Unbalanced journal entry ${entry.postingKey}: ${problems.join("; ")}`);
  const existing = await tx
    .selectFrom("journal_entries")
    .selectAll()
    .where("posting_key", "=", entry.postingKey)
    .executeTakeFirst();
  if (existing) return { entry: existing, created: false };
  const at = services.clock.now().toISOString();
  const id = newId("journalEntry");
  const lines = [];
  for (const line of entry.lines)
    lines.push({
      id: newId("journalLine"),
      entry_id: id,
      ledger_account_id: await ledgerAccountId(tx, entry.organisationId, line, at),
      currency: line.currency,
      amount_minor: Number(line.amountMinor),
    });
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
  await appendAuditEntry(tx, services.store.capabilities, {
    actor: ctx.actor,
    action: "ledger.posted",
    subjectType: "journal_entry",
    subjectId: id,
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
  return { entry: row, created: true };
}
