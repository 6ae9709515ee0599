import { type Kysely, sql } from "kysely";
import type { DialectCapabilities } from "../database.js";

/**
 * The double-entry ledger. Lines are written first, then their entry's header carrying the line
 * count; a trigger on the header refuses an entry whose lines do not balance per currency (or are
 * missing), so an unbalanced entry can never commit whatever code wrote it. Entries and lines are
 * immutable: corrections are new reversing entries.
 */
export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const big = caps.bigintType;
  await db.schema
    .createTable("ledger_accounts")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    // The customer account a balance belongs to (credits are held per account); null for the organisation's books.
    .addColumn("account_id", "text", (c) => c.references("accounts.id"))
    .addColumn("code", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  // One ledger account per (organisation, customer account, code, currency); '' stands for "none".
  await sql`create unique index ledger_accounts_key on ledger_accounts (organisation_id, coalesce(account_id, ''), code, currency)`.execute(
    db,
  );

  await db.schema
    .createTable("journal_entries")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("organisation_id", "text", (c) => c.notNull().references("organisations.id"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    // Doubles as the idempotency key of the posting: `decision:dec_…:reversal`, `payout:po_…:succeeded`.
    .addColumn("posting_key", "text", (c) => c.notNull().unique())
    .addColumn("case_id", "text")
    .addColumn("payout_id", "text")
    .addColumn("credit_id", "text")
    .addColumn("invoice_id", "text")
    .addColumn("reverses_entry_id", "text")
    .addColumn("line_count", "integer", (c) => c.notNull())
    .addColumn("effective_at", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("journal_entries_by_org")
    .on("journal_entries")
    .columns(["organisation_id", "effective_at"])
    .execute();
  await db.schema.createIndex("journal_entries_by_case").on("journal_entries").columns(["case_id"]).execute();

  await db.schema
    .createTable("journal_lines")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("entry_id", "text", (c) =>
      c.notNull().references("journal_entries.id").modifyEnd(sql`deferrable initially deferred`),
    )
    .addColumn("ledger_account_id", "text", (c) => c.notNull().references("ledger_accounts.id"))
    .addColumn("currency", "text", (c) => c.notNull())
    // Minor units of the currency, signed: debits positive, credits negative.
    .addColumn("amount_minor", big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex("journal_lines_by_entry").on("journal_lines").columns(["entry_id"]).execute();
  await db.schema
    .createIndex("journal_lines_by_account")
    .on("journal_lines")
    .columns(["ledger_account_id"])
    .execute();

  if (caps.rowLocks) await postgresTriggers(db);
  else await sqliteTriggers(db);
}

async function sqliteTriggers(db: Kysely<unknown>): Promise<void> {
  await sql`
    create trigger journal_entry_balanced after insert on journal_entries
    begin
      select raise(abort, 'journal entry does not balance per currency')
      where exists (
        select 1 from journal_lines where entry_id = new.id group by currency having sum(amount_minor) <> 0
      );
      select raise(abort, 'journal entry line count does not match its lines')
      where (select count(*) from journal_lines where entry_id = new.id) <> new.line_count or new.line_count < 2;
    end`.execute(db);
  await sql`
    create trigger journal_line_after_header before insert on journal_lines
    when exists (select 1 from journal_entries where id = new.entry_id)
    begin
      select raise(abort, 'a posted journal entry cannot get new lines');
    end`.execute(db);
  for (const table of ["journal_entries", "journal_lines"])
    for (const op of ["update", "delete"])
      await sql`
        create trigger ${sql.raw(`${table}_no_${op}`)} before ${sql.raw(op)} on ${sql.raw(table)}
        begin
          select raise(abort, 'the ledger is append-only: post a reversing entry instead');
        end`.execute(db);
}

async function postgresTriggers(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function journal_entry_balanced() returns trigger language plpgsql as $$
    begin
      if exists (
        select 1 from journal_lines where entry_id = new.id group by currency having sum(amount_minor) <> 0
      ) then
        raise exception 'journal entry does not balance per currency';
      end if;
      if (select count(*) from journal_lines where entry_id = new.id) <> new.line_count or new.line_count < 2 then
        raise exception 'journal entry line count does not match its lines';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger journal_entry_balanced after insert on journal_entries
    for each row execute function journal_entry_balanced()`.execute(db);
  await sql`
    create function journal_line_after_header() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from journal_entries where id = new.entry_id) then
        raise exception 'a posted journal entry cannot get new lines';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger journal_line_after_header before insert on journal_lines
    for each row execute function journal_line_after_header()`.execute(db);
  await sql`
    create function ledger_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'the ledger is append-only: post a reversing entry instead';
    end $$`.execute(db);
  for (const table of ["journal_entries", "journal_lines"])
    await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.raw(table)}
      for each row execute function ledger_append_only()`.execute(db);
}
