import { cell } from "../audit/report/render-csv.js";
import type { Db } from "../store/database.js";
import type { JournalEntryTable } from "../store/schema.js";
import { formatMinor, linesOf, type Period } from "./balances.js";
import { isLedgerCode, type LedgerCode } from "./chart.js";

/**
 * The accounting export: every journal line of a period as one CSV row for the general ledger,
 * with the configured GL code of its ledger code and, for lines of a case, the cost centre of the
 * charge the case is about, so the accounting side can charge refunds back to internal teams.
 */
export const EXPORT_COLUMNS = [
  "entry_id",
  "effective_at",
  "organisation_id",
  "kind",
  "posting_key",
  "case_ticket",
  "gl_code",
  "ledger_code",
  "account_id",
  "currency",
  "debit",
  "credit",
  "cost_centre",
  "description",
] as const;

/**
 * Keys that name a cost centre, compared after lower-casing and dropping a provider prefix (`user:`,
 * AWS's user-defined tag prefix; `x_`, FOCUS's extension prefix) and every character that is not a
 * letter or digit: `CostCentre`, `cost-centre`, `cost_center`, `costcenter`, `Cost Center`,
 * `user:CostCentre`, `x_CostCentre` all count; `CostCentreOwner` does not.
 */
const COST_CENTRE_KEYS = new Set(["costcentre", "costcenter"]);

export function isCostCentreKey(key: string): boolean {
  const bare = key
    .toLowerCase()
    .replace(/^(user:|x_)/, "")
    .replace(/[^a-z0-9]/g, "");
  return COST_CENTRE_KEYS.has(bare);
}

/**
 * The cost centre of a charge: from its FOCUS `Tags` first (the customer's own tagging), else from
 * its extension columns (`x_CostCentre`). Within one JSON object the first matching key in sorted
 * order wins, so the answer does not depend on the order a provider wrote the keys in. Empty values
 * and values that are not strings do not count.
 */
export function costCentreOf(tags: string | null, extensions: string | null): string | null {
  for (const json of [tags, extensions]) {
    if (!json) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      continue;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) continue;
    const keys = Object.keys(parsed).filter(isCostCentreKey).sort();
    for (const key of keys) {
      const value = (parsed as Record<string, unknown>)[key];
      if (typeof value === "string" && value.trim() !== "") return value.trim();
    }
  }
  return null;
}

export interface ExportOptions {
  /** One organisation's lines, or every organisation's (the CLI without `--organisation`). */
  organisationId?: string;
  period: Period;
  glCodes: Readonly<Record<LedgerCode, string>>;
  /** Entries read per query; the export streams, so its memory does not grow with the period. */
  batchSize?: number;
}

interface CaseInfo {
  ticket: string;
  costCentre: string;
}

/**
 * The export as CSV text in chunks (RFC 4180, CRLF, header first), ordered by effective time, entry
 * and line. Amounts are exact decimals in major units with the currency's minor digits (`12.34`,
 * JPY `1200`); a line fills `debit` or `credit` and leaves the other empty. Cells a spreadsheet would
 * run as a formula are neutralised as in the audit's CSV report.
 */
export async function* exportJournalCsv(db: Db, options: ExportOptions): AsyncGenerator<string> {
  yield `${EXPORT_COLUMNS.join(",")}\r\n`;
  const batchSize = options.batchSize ?? 1000;
  const cases = new Map<string, CaseInfo>();
  let after: { effectiveAt: string; id: string } | null = null;
  for (;;) {
    let q = db.selectFrom("journal_entries").selectAll();
    if (options.organisationId) q = q.where("organisation_id", "=", options.organisationId);
    if (options.period.from) q = q.where("effective_at", ">=", options.period.from);
    if (options.period.to) q = q.where("effective_at", "<", options.period.to);
    if (after) {
      const { effectiveAt, id } = after;
      q = q.where((eb) =>
        eb.or([
          eb("effective_at", ">", effectiveAt),
          eb.and([eb("effective_at", "=", effectiveAt), eb("id", ">", id)]),
        ]),
      );
    }
    const entries: JournalEntryTable[] = await q
      .orderBy("effective_at")
      .orderBy("id")
      .limit(batchSize)
      .execute();
    if (entries.length === 0) return;
    const last = entries[entries.length - 1]!;
    after = { effectiveAt: last.effective_at, id: last.id };
    await loadCases(
      db,
      entries.map((e) => e.case_id).filter((id): id is string => id !== null && !cases.has(id)),
      cases,
    );
    const lines = await linesOf(
      db,
      entries.map((e) => e.id),
    );
    let chunk = "";
    for (const entry of entries) {
      const info = entry.case_id ? cases.get(entry.case_id) : undefined;
      for (const line of lines.get(entry.id) ?? []) {
        const amount = formatMinor(
          line.amountMinor < 0n ? -line.amountMinor : line.amountMinor,
          line.currency,
        );
        const gl = isLedgerCode(line.code) ? options.glCodes[line.code] : "";
        const row = [
          entry.id,
          entry.effective_at,
          entry.organisation_id,
          entry.kind,
          entry.posting_key,
          info?.ticket ?? "",
          gl,
          line.code,
          line.accountId ?? "",
          line.currency,
          line.amountMinor > 0n ? amount : "",
          line.amountMinor < 0n ? amount : "",
          info?.costCentre ?? "",
          entry.description,
        ];
        chunk += `${row.map(cell).join(",")}\r\n`;
      }
    }
    yield chunk;
    if (entries.length < batchSize) return;
  }
}

/** Ticket numbers and cost centres of the cases not seen yet, read once per export. */
async function loadCases(db: Db, caseIds: readonly string[], into: Map<string, CaseInfo>): Promise<void> {
  const ids = [...new Set(caseIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom("cases")
      .leftJoin("charges", "charges.id", "cases.charge_id")
      .select(["cases.id", "cases.ticket_number", "charges.tags", "charges.extensions"])
      .where("cases.id", "in", ids.slice(i, i + 500))
      .execute();
    for (const r of rows)
      into.set(r.id, { ticket: r.ticket_number ?? "", costCentre: costCentreOf(r.tags, r.extensions) ?? "" });
  }
  // A case id with no case row (it cannot happen through the application) exports blank, once.
  for (const id of ids) if (!into.has(id)) into.set(id, { ticket: "", costCentre: "" });
}

/** The whole export as one string, for tests and small periods. */
export async function exportJournalCsvText(db: Db, options: ExportOptions): Promise<string> {
  let out = "";
  for await (const chunk of exportJournalCsv(db, options)) out += chunk;
  return out;
}
