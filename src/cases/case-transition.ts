import { sql, type Updateable } from "kysely";
import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, conflict, notFound } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Tx } from "../store/database.js";
import type { CaseTable } from "../store/schema.js";
import { type CaseEvent, type CaseState, nextState } from "./lifecycle.js";

/**
 * The one way a case changes: inside the caller's transaction, check the transition against the
 * lifecycle, write the new state with the version it was read at (optimistic concurrency), and
 * record the timeline event and the audit-log entry together.
 */

/** Reads a case for a write; on PostgreSQL the row stays locked until the transaction ends. */
export async function loadCaseForUpdate(tx: Tx, services: Services, caseId: string): Promise<CaseTable> {
  const lock = services.store.capabilities.rowLocks ? sql`for update` : sql``;
  const result = await sql<CaseTable>`select * from cases where id = ${caseId} ${lock}`.execute(tx);
  const row = result.rows[0];
  if (!row) throw notFound("Case");
  return row;
}

export function assertVersion(row: CaseTable, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && expectedVersion !== row.version)
    throw conflict("The case changed since you loaded it; reload and try again", {
      currentVersion: row.version,
      currentState: row.state,
    });
}

export interface TransitionInput {
  event: CaseEvent;
  /** Columns to change along with the state. */
  patch?: Omit<Updateable<CaseTable>, "id" | "state" | "version" | "updated_at">;
  /** One line for the timeline, in words the customer can read. */
  note: string;
  data?: Record<string, unknown>;
}

/** The state `event` moves the case to; `invalid_transition` when the lifecycle does not allow it. */
export function assertTransition(row: CaseTable, event: CaseEvent): CaseState {
  const from = row.state as CaseState;
  const to = nextState(from, event);
  if (to === null)
    throw new AppError(
      "invalid_transition",
      `A case that is ${from.replaceAll("_", " ")} cannot ${event.replaceAll("_", " ")}`,
      {
        extensions: { currentState: from, event },
      },
    );
  return to;
}

export async function transitionCase(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  row: CaseTable,
  input: TransitionInput,
): Promise<CaseTable> {
  const from = row.state as CaseState;
  const to = assertTransition(row, input.event);
  const at = services.clock.now().toISOString();
  const updated = await tx
    .updateTable("cases")
    .set({ ...input.patch, state: to, version: row.version + 1, updated_at: at })
    .where("id", "=", row.id)
    .where("version", "=", row.version)
    .returningAll()
    .executeTakeFirst();
  // SQLite serialises writers, PostgreSQL holds the row lock: losing here means a concurrent
  // writer committed between our read and this update.
  if (!updated) throw conflict("The case changed while this request ran; reload and try again");
  await recordCaseEvent(tx, services, ctx, updated, {
    type: input.event,
    from,
    to,
    note: input.note,
    data: input.data ?? {},
    at,
  });
  return updated;
}

/** A timeline entry (and its audit-log entry) that is not a state change: evidence added, reminder sent. */
export async function recordCaseEvent(
  tx: Tx,
  services: Services,
  ctx: WriteContext,
  row: CaseTable,
  event: {
    type: string;
    from?: string | null;
    to?: string | null;
    note: string;
    data?: Record<string, unknown>;
    at?: string;
  },
): Promise<void> {
  const at = event.at ?? services.clock.now().toISOString();
  await tx
    .insertInto("case_events")
    .values({
      id: newId("caseEvent"),
      case_id: row.id,
      at,
      actor: ctx.actor,
      type: event.type,
      from_state: event.from ?? null,
      to_state: event.to ?? null,
      note: event.note,
      data: JSON.stringify(event.data ?? {}),
    })
    .execute();
  await appendAuditEntry(tx, services.store.capabilities, {
    actor: ctx.actor,
    action: `case.${event.type}`,
    subjectType: "case",
    subjectId: row.id,
    organisationId: row.organisation_id,
    summary: { ticket: row.ticket_number, from: event.from ?? null, to: event.to ?? null, ...event.data },
    requestId: ctx.requestId,
    at,
  });
}
