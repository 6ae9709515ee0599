import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type DecisionLetter,
  type DecisionOutcome,
  renderDecisionLetter,
} from "../letters/decision-letter.js";
import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Policy } from "../policy/policy.js";
import type { Services } from "../shared/context.js";
import { notFound } from "../shared/errors.js";
import { sha256Hex } from "../shared/secrets.js";
import { type Db, inTransaction } from "../store/database.js";
import type { DecisionTable } from "../store/schema.js";

const AUTOMATIC_DECIDERS: Readonly<Record<string, string>> = {
  "system:fast-track": "Refund Desk fast-track review",
};

/** The letter's content, from the stored decision, case, charge and customer. */
export async function decisionLetterFor(
  db: Db,
  policy: Policy,
  decision: DecisionTable,
): Promise<DecisionLetter> {
  const row = await db
    .selectFrom("cases")
    .selectAll()
    .where("id", "=", decision.case_id)
    .executeTakeFirstOrThrow();
  const charge = await db
    .selectFrom("charges")
    .selectAll()
    .where("id", "=", row.charge_id)
    .executeTakeFirstOrThrow();
  const account = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", row.account_id)
    .executeTakeFirstOrThrow();
  const org = await db
    .selectFrom("organisations")
    .selectAll()
    .where("id", "=", row.organisation_id)
    .executeTakeFirstOrThrow();
  const provider = await db
    .selectFrom("organisations")
    .select("name")
    .where("kind", "=", "provider")
    .executeTakeFirst();
  const decider = decision.decided_by.startsWith("usr_")
    ? await db.selectFrom("users").select("name").where("id", "=", decision.decided_by).executeTakeFirst()
    : undefined;
  const scope = decision.credit_scope
    ? (JSON.parse(decision.credit_scope) as { services: string[]; regions: string[] })
    : null;
  return {
    providerName: provider?.name ?? "Refund Desk",
    ticketNumber: row.ticket_number ?? row.id,
    caseId: row.id,
    timeZone: row.time_zone,
    policyVersion: decision.policy_version,
    customer: {
      organisationName: org.name,
      accountName: account.name,
      providerAccountId: account.external_id,
    },
    lineItem: {
      description: charge.charge_description ?? charge.service_name ?? "Charge",
      serviceName: charge.service_name,
      resourceId: charge.resource_id,
      regionId: charge.region_id,
      chargePeriodStart: charge.charge_period_start,
      chargePeriodEnd: charge.charge_period_end,
      invoiceId: charge.invoice_id,
      sourceRef: charge.source_ref,
      billedCost: charge.billed_cost ?? "0",
      currency: charge.billing_currency ?? row.currency,
    },
    requestedAmount: row.amount,
    decision: {
      sequence: decision.sequence === 2 ? 2 : 1,
      final: decision.final === 1,
      outcome: decision.outcome as DecisionOutcome,
      amount: decision.amount,
      currency: decision.currency,
      decidedAt: decision.decided_at,
      deciderName: decider?.name ?? AUTOMATIC_DECIDERS[decision.decided_by] ?? decision.decided_by,
      rationale: decision.rationale,
      clauses: (JSON.parse(decision.clauses) as string[]).map((id) => ({
        id,
        title: policy.clauses[id]?.title ?? id,
        text: policy.clauses[id]?.text ?? "",
      })),
      evidence: JSON.parse(decision.evidence) as string[],
      credit:
        scope && decision.credit_expires_at ? { ...scope, expiresAt: decision.credit_expires_at } : null,
      adjustment: decision.adjustment,
      alternatives: JSON.parse(decision.alternatives) as string[],
    },
    appeal: decision.appeal_by ? { by: decision.appeal_by } : null,
  };
}

export async function loadDecision(db: Db, caseId: string, decisionId: string): Promise<DecisionTable> {
  const d = await db
    .selectFrom("decisions")
    .selectAll()
    .where("id", "=", decisionId)
    .where("case_id", "=", caseId)
    .executeTakeFirst();
  if (!d) throw notFound("Decision");
  return d;
}

export const letterPath = (dataDir: string, decisionId: string): string =>
  join(dataDir, "letters", `${decisionId}.pdf`);

/**
 * The `case.letter` job: renders the decision letter once, keeps it (the letter as sent), and
 * e-mails it with the `case.decided` notice. Run twice, it does nothing the second time.
 */
export async function sendDecisionLetter(services: Services, decisionId: string): Promise<void> {
  const db = services.store.db;
  const decision = await db
    .selectFrom("decisions")
    .selectAll()
    .where("id", "=", decisionId)
    .executeTakeFirst();
  if (!decision || decision.letter_path !== null) return;
  const pdf = await renderDecisionLetter(await decisionLetterFor(db, services.config.policy, decision), {
    unicodeFont: services.config.letterFont,
  });
  const path = letterPath(services.config.dataDir, decision.id);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, pdf);
  renameSync(`${path}.tmp`, path);
  await inTransaction(services.store, async (tx) => {
    const claimed = await tx
      .updateTable("decisions")
      .set({ letter_path: path, letter_sha256: sha256Hex(pdf) })
      .where("id", "=", decision.id)
      .where("letter_path", "is", null)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;
    const row = await tx
      .selectFrom("cases")
      .selectAll()
      .where("id", "=", decision.case_id)
      .executeTakeFirstOrThrow();
    const amount = decision.amount ? ` ${decision.amount} ${decision.currency}` : "";
    await notifyCustomer(tx, {
      type: "case.decided",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: decision.decided_at,
      data: {
        caseId: row.id,
        ticketNumber: row.ticket_number,
        state: row.state,
        decisionId: decision.id,
        outcome: decision.outcome,
        amount: decision.amount,
        currency: decision.currency,
        final: decision.final === 1,
        appealBy: decision.appeal_by,
      },
      email: {
        subject: `[${row.ticket_number}] Decision on your refund request: ${decision.outcome.replaceAll("_", " ")}${amount}`,
        text:
          `Your refund request ${row.ticket_number} has been decided: ${decision.outcome.replaceAll("_", " ")}${amount}.\n\n` +
          `${decision.rationale}\n\nThe decision letter is attached.` +
          (decision.appeal_by
            ? ` You may appeal until ${decision.appeal_by} with new evidence or a new argument.`
            : " This decision is final."),
        attachments: [
          { filename: `decision-${row.ticket_number}.pdf`, path, contentType: "application/pdf" },
        ],
      },
    });
  });
}
