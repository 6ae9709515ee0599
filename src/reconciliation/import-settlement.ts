import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { toBigInt } from "../ledger/balances.js";
import type { Services, WriteContext } from "../shared/context.js";
import { type FieldError, validationFailed } from "../shared/errors.js";
import { fileNameProblem } from "../shared/file-names.js";
import { newId } from "../shared/ids.js";
import { sha256Hex } from "../shared/secrets.js";
import { inTransaction, type Tx } from "../store/database.js";
import type { FinanceTaskTable, PayoutTable, SettlementImportTable } from "../store/schema.js";
import {
  type PayoutRecord,
  parseIdempotencyKey,
  payoutPaidPostingKey,
  type ReconciliationItem,
  type ReconciliationReport,
  reconcileSettlement,
} from "./match-settlement.js";
import { isCalendarDate, parseSettlementCsv } from "./settlement-csv.js";

export const RECONCILIATION_TASK_KIND = "reconciliation_mismatch";

export interface ImportSettlementInput {
  fileName: string;
  content: Buffer;
  /**
   * The day a file is for, when it has no lines to say so (a header only: nothing settled, so every
   * payout we settled that day is missing from it). Must agree with the lines when there are some.
   */
  settlementDate?: string;
}

export interface ImportSettlementResult {
  import: SettlementImportTable;
  report: ReconciliationReport;
  /** The same bytes were imported before: this is that import's result, and nothing was written. */
  duplicate: boolean;
  /** Finance tasks opened by this import (none for a duplicate). */
  taskIds: string[];
}

const BATCH = 500;

/** The payouts a file can name, and those we settled on its day, with their `paid` ledger entries. */
async function loadPayouts(
  tx: Tx,
  gatewayIds: readonly string[],
  payoutIds: readonly string[],
  settlementDate: string | null,
): Promise<PayoutRecord[]> {
  const rows = new Map<string, PayoutTable>();
  const selectPayouts = () => tx.selectFrom("payouts").selectAll();
  for (let i = 0; i < gatewayIds.length; i += BATCH)
    for (const r of await selectPayouts()
      .where("gateway_refund_id", "in", gatewayIds.slice(i, i + BATCH))
      .execute())
      rows.set(r.id, r);
  const wanted = payoutIds.filter((id) => !rows.has(id));
  for (let i = 0; i < wanted.length; i += BATCH)
    for (const r of await selectPayouts()
      .where("id", "in", wanted.slice(i, i + BATCH))
      .execute())
      rows.set(r.id, r);
  if (settlementDate !== null) {
    const next = new Date(Date.parse(`${settlementDate}T00:00:00Z`) + 86_400_000).toISOString();
    for (const r of await selectPayouts()
      .where("status", "=", "succeeded")
      .where("settled_at", ">=", `${settlementDate}T00:00:00.000Z`)
      .where("settled_at", "<", next)
      .execute())
      rows.set(r.id, r);
  }

  const paid = new Map<string, { id: string; amountMinor: bigint }>();
  const keys = [...rows.values()].map((p) => payoutPaidPostingKey(p.id));
  for (let i = 0; i < keys.length; i += BATCH) {
    const entries = await tx
      .selectFrom("journal_entries as je")
      .innerJoin("journal_lines as jl", "jl.entry_id", "je.id")
      .select(["je.id", "je.payout_id", "je.posting_key", "jl.currency", "jl.amount_minor"])
      .where("je.posting_key", "in", keys.slice(i, i + BATCH))
      .execute();
    for (const e of entries) {
      const payoutId = e.posting_key.slice("payout:".length, -":paid".length);
      const payout = rows.get(payoutId);
      const entry = paid.get(payoutId) ?? { id: e.id, amountMinor: 0n };
      // What the entry moved in the payout's currency: the sum of its debits (a balanced entry's credits are equal).
      const amount = toBigInt(e.amount_minor);
      if (payout && e.currency === payout.currency && amount > 0n) entry.amountMinor += amount;
      paid.set(payoutId, entry);
    }
  }
  return [...rows.values()].map((p) => ({
    id: p.id,
    organisationId: p.organisation_id,
    caseId: p.case_id,
    amountMinor: toBigInt(p.amount_minor),
    currency: p.currency,
    status: p.status,
    attempt: p.attempt,
    gatewayRefundId: p.gateway_refund_id,
    settledAt: p.settled_at,
    paidEntry: paid.get(p.id) ?? null,
  }));
}

/** One line for the finance task list: what is wrong, and with which payout or line. */
export function taskSummary(item: ReconciliationItem, settlementDate: string | null): string {
  const day = settlementDate ?? "the settlement";
  if (item.result === "missing_in_settlement")
    return `Payout ${item.payoutId} (${item.ours?.amount} ${item.ours?.currency}) is missing from the ${day} settlement`;
  if (item.result === "missing_in_records")
    return `Settlement ${day} line ${item.line}: ${item.gatewayRefundId ?? item.idempotencyKey} (${item.theirs?.amount} ${item.theirs?.currency}, ${item.theirs?.status}) is not a payout of ours`;
  const fields = item.differences.map((d) => d.field).join(", ");
  return `Settlement ${day} line ${item.line}: payout ${item.payoutId} differs in ${fields}`;
}

/**
 * Imports a gateway settlement file: reads and checks it whole (a bad file stores nothing), matches
 * it against our payouts and ledger, and stores in one transaction the report, one open
 * `reconciliation_mismatch` finance task per mismatch or missing item, and the audit-log entry. The
 * same bytes again return the first import's result and write nothing, so a retried upload or a
 * re-run of the CLI never opens duplicate tasks.
 */
export async function importSettlement(
  services: Services,
  ctx: WriteContext,
  input: ImportSettlementInput,
): Promise<ImportSettlementResult> {
  const errors: FieldError[] = [];
  const nameProblem = fileNameProblem(input.fileName);
  if (nameProblem) errors.push({ field: "fileName", code: "unsafe_filename", message: nameProblem });
  if (input.settlementDate !== undefined && !isCalendarDate(input.settlementDate))
    errors.push({
      field: "settlementDate",
      code: "invalid_date",
      message: "must be a date such as 2026-05-04",
    });
  if (errors.length) throw validationFailed(errors);
  const sha256 = sha256Hex(input.content);
  const file = parseSettlementCsv(input.content, input.fileName);
  if (
    input.settlementDate !== undefined &&
    file.settlementDate !== null &&
    file.settlementDate !== input.settlementDate
  )
    throw validationFailed([
      {
        field: "settlementDate",
        code: "date_mismatch",
        message: `the file's lines settle on ${file.settlementDate}, not ${input.settlementDate}`,
      },
    ]);
  const settlementDate = file.settlementDate ?? input.settlementDate ?? null;

  const gatewayIds = [...new Set(file.lines.flatMap((l) => (l.gatewayRefundId ? [l.gatewayRefundId] : [])))];
  const payoutIds = [
    ...new Set(file.lines.flatMap((l) => parseIdempotencyKey(l.idempotencyKey)?.payoutId ?? [])),
  ];

  try {
    return await inTransaction(services.store, async (tx) => {
      const earlier = await existingImport(tx, sha256);
      if (earlier) return earlier;
      const payouts = await loadPayouts(tx, gatewayIds, payoutIds, settlementDate);
      const report = reconcileSettlement(file, payouts, settlementDate);
      const at = services.clock.now().toISOString();
      const row: SettlementImportTable = {
        id: newId("settlementImport"),
        file_name: input.fileName,
        content_sha256: sha256,
        settlement_date: settlementDate,
        lines: report.totals.lines,
        matched: report.totals.matched,
        mismatched: report.totals.mismatched,
        missing_in_ledger: report.totals.missingInRecords,
        missing_in_settlement: report.totals.missingInSettlement,
        report: JSON.stringify(report),
        created_by: ctx.actor,
        created_at: at,
      };
      await tx.insertInto("settlement_imports").values(row).execute();
      const tasks: FinanceTaskTable[] = report.items
        .filter((i) => i.result !== "matched")
        .map((item) => ({
          id: newId("financeTask"),
          kind: RECONCILIATION_TASK_KIND,
          status: "open",
          payout_id: item.payoutId,
          settlement_import_id: row.id,
          summary: taskSummary(item, settlementDate),
          details: JSON.stringify(item),
          created_at: at,
          resolved_at: null,
          resolved_by: null,
        }));
      for (let i = 0; i < tasks.length; i += BATCH)
        await tx
          .insertInto("finance_tasks")
          .values(tasks.slice(i, i + BATCH))
          .execute();
      await appendAuditEntry(tx, services.store.capabilities, {
        actor: ctx.actor,
        action: "reconciliation.imported",
        subjectType: "settlement_import",
        subjectId: row.id,
        organisationId: null,
        summary: {
          fileName: input.fileName,
          sha256,
          settlementDate,
          ...report.totals,
          financeTasks: tasks.length,
        },
        requestId: ctx.requestId,
        at,
      });
      return { import: row, report, duplicate: false, taskIds: tasks.map((t) => t.id) };
    });
  } catch (error) {
    // Two imports of the same bytes at once: the loser hits the unique digest and gets the winner's result.
    const winner = await existingImport(services.store.db, sha256);
    if (winner) return winner;
    throw error;
  }
}

async function existingImport(
  db: Pick<Tx, "selectFrom">,
  sha256: string,
): Promise<ImportSettlementResult | null> {
  const row = await db
    .selectFrom("settlement_imports")
    .selectAll()
    .where("content_sha256", "=", sha256)
    .executeTakeFirst();
  if (!row) return null;
  return {
    import: row,
    report: JSON.parse(row.report) as ReconciliationReport,
    duplicate: true,
    taskIds: [],
  };
}
