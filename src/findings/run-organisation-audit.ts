import { DateTime } from "luxon";
import { runAudit } from "../audit/run-audit.js";
import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { openAnalytics } from "../billing/analytics.js";
import { analyticsOptions } from "../billing/analytics-options.js";
import type { Services, WriteContext } from "../shared/context.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";
import { loadOrganisationIntoAnalytics } from "./load-store-into-analytics.js";

export interface OrganisationAuditResult {
  auditRunId: string;
  findings: number;
  refundable: Record<string, string>;
}

/**
 * Audits everything an organisation has imported and stores the findings per account.
 * Findings keep their identity across runs (their id is deterministic): a finding found again
 * is updated, one no longer found is marked `resolved`, and one already filed as a case keeps
 * that status.
 */
export async function runOrganisationAudit(
  services: Services,
  ctx: WriteContext,
  input: { organisationId: string; asOf?: string },
): Promise<OrganisationAuditResult> {
  const { store, clock } = services;
  const startedAt = clock.now().toISOString();
  const asOf = input.asOf ?? DateTime.fromJSDate(clock.now(), { zone: "utc" }).toISODate()!;
  const auditRunId = newId("auditRun");
  await store.db
    .insertInto("audit_runs")
    .values({
      id: auditRunId,
      organisation_id: input.organisationId,
      status: "running",
      as_of: asOf,
      created_at: startedAt,
    })
    .execute();
  const analytics = await openAnalytics(analyticsOptions(services.config));
  try {
    await loadOrganisationIntoAnalytics(store, analytics, input.organisationId);
    const report = await runAudit(analytics, {
      policy: services.config.policy,
      asOf,
      inputs: [`organisation ${input.organisationId}`],
    });
    const now = clock.now().toISOString();
    await inTransaction(store, async (tx) => {
      const accounts = await tx
        .selectFrom("accounts")
        .select(["id", "external_id"])
        .where("organisation_id", "=", input.organisationId)
        .execute();
      const byExternal = new Map(
        accounts.flatMap((a) => (a.external_id ? [[a.external_id, a.id] as const] : [])),
      );
      const existing = new Map(
        (
          await tx
            .selectFrom("findings")
            .select(["id", "status", "first_found_at"])
            .where("organisation_id", "=", input.organisationId)
            .execute()
        ).map((f) => [f.id, f]),
      );
      const seen = new Set<string>();
      for (const f of report.findings) {
        seen.add(f.id);
        const prior = existing.get(f.id);
        const values = {
          account_id: byExternal.get(f.accountId) ?? null,
          provider_account_id: f.accountId,
          kind: f.kind,
          amount: f.amount,
          currency: f.currency,
          outcome: f.outcome,
          claimable: f.claimable ? 1 : 0,
          charge_refs: JSON.stringify(f.charges),
          explanation: f.explanation,
          evidence: JSON.stringify(f.evidence),
          clauses: JSON.stringify(f.clauses),
          details: JSON.stringify(f.details),
          audit_run_id: auditRunId,
          updated_at: now,
        };
        if (prior) {
          await tx
            .updateTable("findings")
            .set({ ...values, status: prior.status === "filed" ? "filed" : "open" })
            .where("organisation_id", "=", input.organisationId)
            .where("id", "=", f.id)
            .execute();
        } else {
          await tx
            .insertInto("findings")
            .values({
              ...values,
              organisation_id: input.organisationId,
              id: f.id,
              status: "open",
              first_found_at: now,
            })
            .execute();
        }
      }
      const gone = [...existing.values()]
        .filter((f) => !seen.has(f.id) && f.status === "open")
        .map((f) => f.id);
      if (gone.length)
        await tx
          .updateTable("findings")
          .set({ status: "resolved", updated_at: now, audit_run_id: auditRunId })
          .where("organisation_id", "=", input.organisationId)
          .where("id", "in", gone)
          .execute();
      await tx
        .updateTable("audit_runs")
        .set({
          status: "succeeded",
          policy_version: services.config.policy.version,
          charges: report.summary.charges,
          findings: report.summary.findings,
          refundable: JSON.stringify(report.summary.refundable),
          finished_at: now,
        })
        .where("id", "=", auditRunId)
        .execute();
      await appendAuditEntry(tx, store.capabilities, {
        actor: ctx.actor,
        action: "audit.completed",
        subjectType: "audit_run",
        subjectId: auditRunId,
        organisationId: input.organisationId,
        summary: {
          asOf,
          charges: report.summary.charges,
          findings: report.summary.findings,
          refundable: report.summary.refundable,
          resolved: gone.length,
        },
        requestId: ctx.requestId,
        at: now,
      });
    });
    return { auditRunId, findings: report.summary.findings, refundable: report.summary.refundable };
  } catch (error) {
    await store.db
      .updateTable("audit_runs")
      .set({
        status: "failed",
        error: error instanceof Error ? error.message : String(error),
        finished_at: clock.now().toISOString(),
      })
      .where("id", "=", auditRunId)
      .execute();
    throw error;
  } finally {
    analytics.close();
  }
}
