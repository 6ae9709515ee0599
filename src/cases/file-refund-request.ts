import { enqueueJob } from "../jobs/enqueue-job.js";
import { Money, parseDecimal } from "../money/index.js";
import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Services, WriteContext } from "../shared/context.js";
import { type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction, type Tx } from "../store/database.js";
import type { CaseTable, ChargeTable } from "../store/schema.js";
import { addReferenceEvidence, type EvidenceInput, validateEvidenceInputs } from "./case-evidence.js";
import { assertVersion, loadCaseForUpdate, recordCaseEvent, transitionCase } from "./case-transition.js";
import { caseRegion, expectedDecision, regionOf } from "./decision-clock.js";
import { loadChargeForUpdate, refundableRemainder } from "./refundable.js";
import { requestSubject } from "./request-builder.js";
import { draftFor } from "./request-for.js";
import { type LintIssue, lintRequest } from "./request-lint.js";
import {
  CASE_CHANNELS,
  CASE_REASONS,
  type CaseChannel,
  type CaseReason,
  DESIRED_OUTCOMES,
  type DesiredOutcome,
} from "./vocabulary.js";

export interface FileRefundRequestInput {
  accountId: string;
  /** One case per item; `amount` defaults to what remains refundable on the charge. */
  items: ReadonlyArray<{ chargeId: string; amount?: string }>;
  findingId?: string;
  reason: string;
  desiredOutcome: string;
  summary: string;
  description: string;
  impactStatement: string;
  evidence?: readonly EvidenceInput[];
  channel: CaseChannel;
  /** A support agent filing for a customer names the customer's contact and confirms it. */
  onBehalfOf?: { contact: string; contactConfirmed: boolean };
  /** false keeps the cases as drafts (no ticket number yet). */
  submit: boolean;
}

export interface FiledRequest {
  requestId: string;
  subject: string;
  /** The request builder's hints; shown, never blocking. */
  lint: LintIssue[];
  cases: CaseTable[];
}

const MAX_ITEMS = 50;

function validate(input: FileRefundRequestInput): FieldError[] {
  const errors: FieldError[] = [];
  if (!(CASE_REASONS as readonly string[]).includes(input.reason))
    errors.push({
      field: "reason",
      code: "invalid_reason",
      message: `must be one of ${CASE_REASONS.join(", ")}`,
    });
  if (!(DESIRED_OUTCOMES as readonly string[]).includes(input.desiredOutcome))
    errors.push({
      field: "desiredOutcome",
      code: "invalid_outcome",
      message: `must be one of ${DESIRED_OUTCOMES.join(", ")}`,
    });
  if (!(CASE_CHANNELS as readonly string[]).includes(input.channel))
    errors.push({
      field: "channel",
      code: "invalid_channel",
      message: `must be one of ${CASE_CHANNELS.join(", ")}`,
    });
  for (const field of ["summary", "description"] as const)
    if (input[field].trim() === "") errors.push({ field, code: "required", message: "is required" });
  if (input.items.length === 0 || input.items.length > MAX_ITEMS)
    errors.push({
      field: "items",
      code: "invalid_count",
      message: `name between 1 and ${MAX_ITEMS} line items`,
    });
  const seen = new Set<string>();
  input.items.forEach((item, i) => {
    if (seen.has(item.chargeId))
      errors.push({
        field: `items/${i}/chargeId`,
        code: "duplicate",
        message: "names the same charge twice",
      });
    seen.add(item.chargeId);
    if (item.amount !== undefined) {
      try {
        if (!parseDecimal(item.amount, "amount").isPositive())
          errors.push({
            field: `items/${i}/amount`,
            code: "not_positive",
            message: "must be more than zero",
          });
      } catch {
        errors.push({
          field: `items/${i}/amount`,
          code: "invalid_amount",
          message: "must be a decimal number",
        });
      }
    }
  });
  if (input.findingId !== undefined && input.items.length !== 1)
    errors.push({
      field: "findingId",
      code: "one_item",
      message: "a case made from a finding names one charge",
    });
  const agentChannel = input.channel === "phone" || input.channel === "chat";
  if (agentChannel) {
    if (!input.onBehalfOf)
      errors.push({
        field: "onBehalfOf",
        code: "required",
        message: "name the customer contact you are filing for",
      });
    else if (!input.onBehalfOf.contactConfirmed)
      errors.push({
        field: "onBehalfOf/contactConfirmed",
        code: "not_confirmed",
        message: "confirm the customer's contact details with them before filing",
      });
  } else if (input.onBehalfOf)
    errors.push({
      field: "onBehalfOf",
      code: "not_allowed",
      message: "only a support agent files for a customer",
    });
  errors.push(...validateEvidenceInputs(input.evidence ?? []));
  return errors;
}

/**
 * Files one request: one case per line item, each reserving its amount against its charge, all in
 * one transaction with their timeline, audit-log entries, review jobs and the customer's notice.
 */
export async function fileRefundRequest(
  services: Services,
  ctx: WriteContext,
  input: FileRefundRequestInput,
): Promise<FiledRequest> {
  const errors = validate(input);
  if (errors.length) throw validationFailed(errors);
  const reason = input.reason as CaseReason;
  const desiredOutcome = input.desiredOutcome as DesiredOutcome;
  const now = services.clock.now().toISOString();

  return inTransaction(services.store, async (tx) => {
    const account = await tx
      .selectFrom("accounts")
      .selectAll()
      .where("id", "=", input.accountId)
      .executeTakeFirst();
    if (!account) throw notFound("Account");
    const organisation = await tx
      .selectFrom("organisations")
      .selectAll()
      .where("id", "=", account.organisation_id)
      .executeTakeFirstOrThrow();
    const region = caseRegion(organisation);

    const itemErrors: FieldError[] = [];
    const lines: Array<{ charge: ChargeTable; amount: Money }> = [];
    // Locked in id order, so two requests naming the same charges cannot deadlock on PostgreSQL.
    const locked = new Map<string, ChargeTable | null>();
    for (const id of [...new Set(input.items.map((i) => i.chargeId))].sort())
      locked.set(id, await loadChargeForUpdate(tx, services, id).catch(() => null));
    for (const [i, item] of input.items.entries()) {
      const charge = locked.get(item.chargeId) ?? null;
      if (!charge || charge.account_id !== account.id) {
        itemErrors.push({
          field: `items/${i}/chargeId`,
          code: "unknown_charge",
          message: "is not a charge of this account",
        });
        continue;
      }
      const currency = charge.billing_currency ?? account.currency;
      const remainder = await refundableRemainder(tx, charge);
      const amount = item.amount === undefined ? remainder : Money.of(item.amount, currency);
      if (!amount.isPositive() || amount.greaterThan(remainder))
        itemErrors.push({
          field: `items/${i}/amount`,
          code: "amount_exceeds_refundable",
          message: `at most ${remainder.amount} ${currency} of this charge remains refundable`,
        });
      else lines.push({ charge, amount });
    }
    if (input.findingId !== undefined) {
      const finding = await tx
        .selectFrom("findings")
        .select(["id", "status"])
        .where("organisation_id", "=", organisation.id)
        .where("id", "=", input.findingId)
        .executeTakeFirst();
      if (!finding)
        itemErrors.push({
          field: "findingId",
          code: "unknown_finding",
          message: "is not a finding of this organisation",
        });
    }
    if (itemErrors.length) throw validationFailed(itemErrors);

    // Filing keeps the subject and the lint; the whole request is built when it is read.
    const draft = await draftFor(tx, {
      organisation,
      account,
      charges: lines.map((l) => l.charge),
      amounts: Object.fromEntries(lines.map((l) => [l.charge.id, l.amount.amount])),
      reason,
      desiredOutcome,
      summary: input.summary,
      description: input.description,
      impactStatement: input.impactStatement,
      channel: input.channel,
      filedBy: ctx.actor,
      onBehalfOf: input.onBehalfOf?.contact ?? null,
      evidenceLabels: (input.evidence ?? []).map((e) =>
        e.kind === "reference" ? `${e.type} ${e.id}` : e.label,
      ),
      findingId: input.findingId ?? null,
    });

    const subject = requestSubject(draft);
    const requestId = newId("refundRequest");
    await tx
      .insertInto("refund_requests")
      .values({
        id: requestId,
        organisation_id: organisation.id,
        account_id: account.id,
        channel: input.channel,
        filed_by: ctx.actor,
        on_behalf_of: input.onBehalfOf?.contact ?? null,
        contact_confirmed: input.onBehalfOf?.contactConfirmed ? 1 : 0,
        subject,
        created_at: now,
      })
      .execute();

    const cases: CaseTable[] = [];
    for (const line of lines) {
      const ticket = input.submit ? await nextTicketNumber(tx, now) : null;
      const clock = input.submit
        ? expectedDecision(now, services.config.reviewPolicy.targets.standardBusinessDays, 0, region)
        : null;
      const row: CaseTable = {
        id: newId("case"),
        ticket_number: ticket,
        request_id: requestId,
        organisation_id: organisation.id,
        account_id: account.id,
        charge_id: line.charge.id,
        finding_id: input.findingId ?? null,
        reason,
        desired_outcome: desiredOutcome,
        amount: line.amount.amount,
        reserved_amount: input.submit ? line.amount.amount : "0",
        currency: line.amount.currency,
        summary: input.summary.trim(),
        description: input.description.trim(),
        impact_statement: input.impactStatement.trim(),
        channel: input.channel,
        filed_by: ctx.actor,
        on_behalf_of: input.onBehalfOf?.contact ?? null,
        state: input.submit ? "submitted" : "draft",
        queue: "unreviewed",
        assigned_role: "reviewer",
        assignee_id: null,
        fast_track: 0,
        review: null,
        risk_signals: "[]",
        country: region.country,
        time_zone: region.timeZone,
        target_business_days: services.config.reviewPolicy.targets.standardBusinessDays,
        paused_business_days: 0,
        paused_since: null,
        due_date: clock?.date ?? null,
        due_at: clock?.endsAt ?? null,
        submitted_at: input.submit ? now : null,
        decided_at: null,
        closed_at: null,
        appeal_by: null,
        pending_decision: null,
        created_at: now,
        updated_at: now,
        version: 1,
      };
      await tx.insertInto("cases").values(row).execute();
      await recordCaseEvent(tx, services, ctx, row, {
        type: input.submit ? "submit" : "created",
        from: input.submit ? "draft" : null,
        to: row.state,
        note: input.submit
          ? `Request submitted${input.onBehalfOf ? ` by a support agent for ${input.onBehalfOf.contact} (${input.channel})` : ""}; ticket ${ticket}.`
          : "Draft saved.",
        data: { channel: input.channel, amount: row.amount, currency: row.currency, chargeId: row.charge_id },
        at: now,
      });
      await addReferenceEvidence(tx, services, ctx, row, input.evidence ?? [], "request");
      if (input.submit) await afterSubmit(tx, services, row);
      cases.push(row);
    }
    if (input.findingId !== undefined && input.submit)
      await tx
        .updateTable("findings")
        .set({ status: "filed", updated_at: now })
        .where("organisation_id", "=", organisation.id)
        .where("id", "=", input.findingId)
        .execute();
    return { requestId, subject, lint: lintRequest(draft), cases };
  });
}

/** NOTE: `RD-YYYY-NNNNNN`, sequential per provider and year; a number is never given twice. */
export async function nextTicketNumber(tx: Tx, at: string): Promise<string> {
  const year = Number(at.slice(0, 4));
  const row = await tx
    .insertInto("ticket_counters")
    .values({ year, last: 1 })
    .onConflict((oc) => oc.column("year").doUpdateSet((eb) => ({ last: eb("ticket_counters.last", "+", 1) })))
    .returning("last")
    .executeTakeFirstOrThrow();
  return `RD-${year}-${String(row.last).padStart(6, "0")}`;
}

/** What follows every submission: the automatic review (a job) and the customer's notice. */
export async function afterSubmit(tx: Tx, services: Services, row: CaseTable): Promise<void> {
  const at = services.clock.now().toISOString();
  await enqueueJob(tx, { kind: "case.review", payload: { caseId: row.id }, at });
  await notifyCustomer(tx, {
    type: "case.submitted",
    organisationId: row.organisation_id,
    subjectId: row.id,
    occurredAt: at,
    data: {
      caseId: row.id,
      ticketNumber: row.ticket_number,
      state: row.state,
      amount: row.amount,
      currency: row.currency,
      expectedDecisionBy: row.due_date,
    },
    email: {
      subject: `[${row.ticket_number}] We received your refund request`,
      text:
        `We received your refund request ${row.ticket_number} for ${row.amount} ${row.currency}.\n\n` +
        `It is being reviewed now. You can expect a decision by ${row.due_date} (${row.time_zone}).\n` +
        "You can follow it, add evidence or withdraw it from the case page in the console.",
    },
  });
}

/** Submits a draft: the ticket number is given and the amount reserved now, with the review queued. */
export async function submitDraftCase(
  services: Services,
  ctx: WriteContext,
  input: { caseId: string; expectedVersion?: number },
): Promise<CaseTable> {
  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, input.caseId);
    assertVersion(row, input.expectedVersion);
    const now = services.clock.now().toISOString();
    const charge = await loadChargeForUpdate(tx, services, row.charge_id);
    const remainder = await refundableRemainder(tx, charge, row.id);
    if (Money.of(row.amount, row.currency).greaterThan(remainder))
      throw validationFailed([
        {
          field: "amount",
          code: "amount_exceeds_refundable",
          message: `at most ${remainder.amount} ${row.currency} of this charge remains refundable`,
        },
      ]);
    const ticket = row.state === "draft" ? await nextTicketNumber(tx, now) : row.ticket_number;
    const due = expectedDecision(now, row.target_business_days, 0, regionOf(row));
    const updated = await transitionCase(tx, services, ctx, row, {
      event: "submit",
      patch: {
        ticket_number: ticket,
        reserved_amount: row.amount,
        submitted_at: now,
        due_date: due.date,
        due_at: due.endsAt,
      },
      note: `Request submitted; ticket ${ticket}.`,
    });
    await afterSubmit(tx, services, updated);
    return updated;
  });
}
