import { addBusinessDays, businessDaysBefore } from "../calendar/index.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import { notifyCustomer } from "../notifications/notify-customer.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, type FieldError, notFound, validationFailed } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { inTransaction } from "../store/database.js";
import type { CaseTable, InformationRequestTable } from "../store/schema.js";
import { addReferenceEvidence, type EvidenceInput, validateEvidenceInputs } from "./case-evidence.js";
import { assertVersion, loadCaseForUpdate, recordCaseEvent, transitionCase } from "./case-transition.js";
import { regionOf, resumedClock } from "./decision-clock.js";

const SYSTEM: WriteContext = { actor: "system:deadlines", requestId: null };

/**
 * A reviewer asks the customer questions with a deadline in business days of the customer's region.
 * The decision clock stops until the reply; a reminder goes out before the deadline and, after it,
 * the case is withdrawn for no reply.
 */
export async function requestInformation(
  services: Services,
  ctx: WriteContext,
  input: { caseId: string; questions: readonly string[]; businessDays?: number; expectedVersion?: number },
): Promise<{ case: CaseTable; informationRequest: InformationRequestTable }> {
  const policy = services.config.reviewPolicy.informationRequest;
  const days = input.businessDays ?? policy.defaultBusinessDays;
  const errors: FieldError[] = [];
  const questions = input.questions.map((q) => q.trim()).filter((q) => q !== "");
  if (questions.length === 0 || questions.length > 10)
    errors.push({ field: "questions", code: "invalid_count", message: "ask between 1 and 10 questions" });
  if (!Number.isInteger(days) || days < 1 || days > policy.maxBusinessDays)
    errors.push({
      field: "businessDays",
      code: "out_of_range",
      message: `must be 1 to ${policy.maxBusinessDays} business days`,
    });
  if (errors.length) throw validationFailed(errors);

  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, input.caseId);
    assertVersion(row, input.expectedVersion);
    const now = services.clock.now().toISOString();
    const region = regionOf(row);
    const due = addBusinessDays(now, days, region);
    const reminder = businessDaysBefore(due.date, policy.reminderBusinessDaysBefore, region);
    const rfi: InformationRequestTable = {
      id: newId("informationRequest"),
      case_id: row.id,
      questions: JSON.stringify(questions),
      business_days: days,
      asked_by: ctx.actor,
      asked_at: now,
      due_date: due.date,
      due_at: due.endsAt,
      // A deadline too close for a reminder gets none.
      remind_at: reminder.at > now ? reminder.at : due.endsAt,
      reminded_at: null,
      status: "open",
      answer: null,
      answered_by: null,
      answered_at: null,
    };
    const updated = await transitionCase(tx, services, ctx, row, {
      event: "request_info",
      patch: { paused_since: now },
      note: `More information requested; please answer by the end of ${due.date} (${row.time_zone}). The decision clock is paused until then.`,
      data: { informationRequestId: rfi.id, questions, dueDate: due.date, dueAt: due.endsAt },
    });
    await tx.insertInto("information_requests").values(rfi).execute();
    if (rfi.remind_at < rfi.due_at)
      await enqueueJob(tx, {
        kind: "case.information_reminder",
        payload: { informationRequestId: rfi.id },
        at: rfi.remind_at,
      });
    await enqueueJob(tx, {
      kind: "case.information_deadline",
      payload: { informationRequestId: rfi.id },
      at: rfi.due_at,
    });
    await notifyCustomer(tx, {
      type: "case.info_requested",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: now,
      data: {
        caseId: row.id,
        ticketNumber: row.ticket_number,
        informationRequestId: rfi.id,
        questions,
        dueDate: due.date,
        dueAt: due.endsAt,
      },
      email: {
        subject: `[${row.ticket_number}] We need more information by ${due.date}`,
        text:
          `To decide your refund request ${row.ticket_number} we need answers to:\n\n` +
          questions.map((q, i) => `${i + 1}. ${q}`).join("\n") +
          `\n\nPlease answer by the end of ${due.date} (${row.time_zone}), ${days} business days from today, ` +
          "from the case page. Without an answer by then the request is withdrawn.",
      },
    });
    return { case: updated, informationRequest: rfi };
  });
}

export async function answerInformationRequest(
  services: Services,
  ctx: WriteContext,
  input: {
    caseId: string;
    informationRequestId: string;
    answer: string;
    evidence?: readonly EvidenceInput[];
  },
): Promise<{ case: CaseTable; informationRequest: InformationRequestTable }> {
  const errors: FieldError[] = [];
  if (input.answer.trim() === "")
    errors.push({ field: "answer", code: "required", message: "write your answer" });
  errors.push(...validateEvidenceInputs(input.evidence ?? []));
  if (errors.length) throw validationFailed(errors);
  return inTransaction(services.store, async (tx) => {
    const row = await loadCaseForUpdate(tx, services, input.caseId);
    const rfi = await tx
      .selectFrom("information_requests")
      .selectAll()
      .where("id", "=", input.informationRequestId)
      .where("case_id", "=", row.id)
      .executeTakeFirst();
    if (!rfi) throw notFound("Information request");
    if (rfi.status !== "open")
      throw new AppError("invalid_transition", `This request for information is ${rfi.status}`, {
        extensions: { currentState: row.state },
      });
    const now = services.clock.now().toISOString();
    const clock = resumedClock(row, now);
    const updated = await transitionCase(tx, services, ctx, row, {
      event: "reply",
      patch: clock,
      note: `The customer answered; the decision clock runs again. Expected decision by ${clock.due_date}.`,
      data: { informationRequestId: rfi.id, pausedBusinessDays: clock.paused_business_days },
    });
    const answered = {
      status: "answered" as const,
      answer: input.answer.trim(),
      answered_by: ctx.actor,
      answered_at: now,
    };
    await tx.updateTable("information_requests").set(answered).where("id", "=", rfi.id).execute();
    await addReferenceEvidence(tx, services, ctx, updated, input.evidence ?? [], "information");
    await notifyCustomer(tx, {
      type: "case.info_answered",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: now,
      data: {
        caseId: row.id,
        ticketNumber: row.ticket_number,
        informationRequestId: rfi.id,
        expectedDecisionBy: clock.due_date,
      },
      email: null,
    });
    return { case: updated, informationRequest: { ...rfi, ...answered } };
  });
}

/** The `case.information_reminder` job: two business days before the deadline, if still unanswered. */
export async function remindInformationRequest(
  services: Services,
  informationRequestId: string,
): Promise<void> {
  await inTransaction(services.store, async (tx) => {
    const rfi = await tx
      .selectFrom("information_requests")
      .selectAll()
      .where("id", "=", informationRequestId)
      .executeTakeFirst();
    if (rfi?.status !== "open" || rfi.reminded_at !== null) return;
    const row = await loadCaseForUpdate(tx, services, rfi.case_id);
    const now = services.clock.now().toISOString();
    await tx.updateTable("information_requests").set({ reminded_at: now }).where("id", "=", rfi.id).execute();
    await recordCaseEvent(tx, services, SYSTEM, row, {
      type: "information_reminder",
      note: `Reminder sent: the answer is due by the end of ${rfi.due_date} (${row.time_zone}).`,
      data: { informationRequestId: rfi.id },
    });
    await notifyCustomer(tx, {
      type: "case.info_reminder",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: now,
      data: {
        caseId: row.id,
        ticketNumber: row.ticket_number,
        informationRequestId: rfi.id,
        dueDate: rfi.due_date,
      },
      email: {
        subject: `[${row.ticket_number}] Reminder: your answer is due by ${rfi.due_date}`,
        text:
          `We still need your answer to our questions on refund request ${row.ticket_number}:\n\n` +
          (JSON.parse(rfi.questions) as string[]).map((q, i) => `${i + 1}. ${q}`).join("\n") +
          `\n\nWithout an answer by the end of ${rfi.due_date} (${row.time_zone}) the request is withdrawn.`,
      },
    });
  });
}

/** The `case.information_deadline` job: no answer by the deadline withdraws the case, with notice. */
export async function expireInformationRequest(
  services: Services,
  informationRequestId: string,
): Promise<void> {
  await inTransaction(services.store, async (tx) => {
    const rfi = await tx
      .selectFrom("information_requests")
      .selectAll()
      .where("id", "=", informationRequestId)
      .executeTakeFirst();
    if (rfi?.status !== "open") return;
    const now = services.clock.now().toISOString();
    // A job run early (a clock skew between workers) waits for the real deadline.
    if (now < rfi.due_at) throw new Error(`information request ${rfi.id} is not due until ${rfi.due_at}`);
    const row = await loadCaseForUpdate(tx, services, rfi.case_id);
    if (row.state !== "awaiting_customer") return;
    await tx
      .updateTable("information_requests")
      .set({ status: "expired" })
      .where("id", "=", rfi.id)
      .execute();
    const updated = await transitionCase(tx, services, SYSTEM, row, {
      event: "no_reply",
      patch: { closed_at: now, paused_since: null },
      note: `Withdrawn: no answer to the request for information by the end of ${rfi.due_date} (${row.time_zone}).`,
      data: { informationRequestId: rfi.id },
    });
    await notifyCustomer(tx, {
      type: "case.withdrawn",
      organisationId: row.organisation_id,
      subjectId: row.id,
      occurredAt: now,
      data: { caseId: row.id, ticketNumber: row.ticket_number, state: updated.state, reason: "no_reply" },
      email: {
        subject: `[${row.ticket_number}] Your refund request was withdrawn`,
        text:
          `We did not receive an answer to our questions on refund request ${row.ticket_number} by ${rfi.due_date}, ` +
          "so the request has been withdrawn. You can file a new request with the information at any time within the claim window.",
      },
    });
  });
}
