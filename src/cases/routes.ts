import { existsSync, readFileSync } from "node:fs";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Type } from "typebox";
import type { FindingKind } from "../audit/finding.js";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, multipartBody, pageOf, pageQueryWith, problemResponses } from "../http/schemas.js";
import { actorRef, authorize, type Principal } from "../identity/authorization.js";
import { guardAccount, guardOrganisation, require } from "../identity/guard.js";
import { renderDecisionLetter } from "../letters/decision-letter.js";
import { Money } from "../money/index.js";
import type { Services } from "../shared/context.js";
import { AppError, forbidden, notFound, validationFailed } from "../shared/errors.js";
import { inTransaction } from "../store/database.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import type { CaseTable } from "../store/schema.js";
import { appealCase } from "./appeal-case.js";
import {
  addFileEvidence,
  addReferenceEvidence,
  REFERENCE_TYPES,
  readEvidenceFile,
  validateEvidenceInputs,
} from "./case-evidence.js";
import { loadCaseForUpdate, recordCaseEvent } from "./case-transition.js";
import { claimCase } from "./claim-case.js";
import { decideCase } from "./decide-case.js";
import { decisionLetterFor, loadDecision } from "./decision-letters.js";
import { escalateCase } from "./escalate-case.js";
import { type FileRefundRequestInput, fileRefundRequest, submitDraftCase } from "./file-refund-request.js";
import { answerInformationRequest, requestInformation } from "./information-requests.js";
import { CASE_STATES } from "./lifecycle.js";
import { buildRequestFor } from "./request-for.js";
import { LINK_VERDICTS, reviewIdentityLink } from "./review-identity-link.js";
import {
  CaseAnalysisView,
  CaseDetailView,
  CaseSummaryView,
  caseAnalysis,
  caseDetailView,
  caseSummaryView,
} from "./views.js";
import { CASE_REASONS, type CaseChannel, DESIRED_OUTCOMES, REASON_FOR_FINDING } from "./vocabulary.js";
import { withdrawCase } from "./withdraw-case.js";

const strict = { additionalProperties: false } as const;
const Literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Version = Type.Optional(
  Type.Integer({ minimum: 1, description: "The case version you saw; a stale one gets 409" }),
);

const EvidenceItem = Type.Union([
  Type.Object(
    {
      kind: Type.Union([Type.Literal("transcript"), Type.Literal("email")]),
      label: Type.String({ minLength: 1, maxLength: 200 }),
      text: Type.String({
        minLength: 1,
        maxLength: 200_000,
        description: "Pasted chat transcript or e-mail",
      }),
    },
    strict,
  ),
  Type.Object(
    {
      kind: Type.Literal("reference"),
      type: Literals(REFERENCE_TYPES),
      id: Type.String({
        minLength: 1,
        maxLength: 64,
        description: "An imported record's id (usage, incident, …)",
      }),
    },
    strict,
  ),
]);

const DraftBody = {
  accountId: Id("The account billed for the charges"),
  items: Type.Array(
    Type.Object(
      {
        chargeId: Id("Charge id"),
        amount: Type.Optional(
          Type.String({ maxLength: 40, description: "Defaults to what remains refundable" }),
        ),
      },
      strict,
    ),
    { minItems: 1, maxItems: 50, description: "One case is opened per line item" },
  ),
  reason: Literals(CASE_REASONS),
  desiredOutcome: Literals(DESIRED_OUTCOMES),
  summary: Type.String({ maxLength: 300 }),
  description: Type.String({ maxLength: 20_000 }),
  impactStatement: Type.String({ maxLength: 5_000 }),
  evidence: Type.Optional(Type.Array(EvidenceItem, { maxItems: 50 })),
  channel: Type.Optional(Literals(["phone", "chat"])),
  onBehalfOf: Type.Optional(
    Type.Object(
      {
        contact: Type.String({ minLength: 3, maxLength: 200, description: "The customer's e-mail or phone" }),
        contactConfirmed: Type.Boolean({
          description: "The agent confirmed the contact details with the customer",
        }),
      },
      strict,
    ),
  ),
};

const LintIssueView = Type.Object({
  code: Type.String(),
  severity: Type.String(),
  field: Type.String(),
  message: Type.String(),
  excerpt: Type.Union([Type.String(), Type.Null()]),
  start: Type.Union([Type.Integer(), Type.Null()]),
  end: Type.Union([Type.Integer(), Type.Null()]),
  suggestion: Type.Union([Type.String(), Type.Null()]),
  split: Type.Union([Type.Array(Type.Array(Type.String())), Type.Null()]),
});

const FiledView = Type.Object({
  requestId: Type.String(),
  subject: Type.String(),
  lint: Type.Array(LintIssueView),
  cases: Type.Array(CaseSummaryView),
});

const CaseParams = Type.Object({ caseId: Id("Case id") });
/** The body of a step that takes nothing but the version the caller saw (optional). */
const VersionBody = Type.Object({ expectedVersion: Version }, strict);
const ReasonBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000 })), expectedVersion: Version },
  strict,
);

/** Who files: a customer (console or API by how they signed in) or a support agent for one. */
async function filingChannel(
  services: Services,
  principal: Principal,
  accountId: string,
  requested: "phone" | "chat" | undefined,
): Promise<CaseChannel> {
  const account = await guardAccount(services, principal, "refunds.read", accountId);
  const target = { organisationId: account.organisation_id, accountId };
  if (authorize(principal, "refunds.request", target) === "allow") {
    if (requested) throw forbidden("Only a support agent logs phone and chat requests");
    return principal.kind === "token" ? "api" : "console";
  }
  require(principal, "refunds.request_on_behalf", target, "Account");
  if (!requested)
    throw validationFailed([
      { field: "channel", code: "required", message: "say how the customer reached you: phone or chat" },
    ]);
  return requested;
}

export async function caseRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["cases"];
  const db = services.store.db;
  const now = () => services.clock.now().toISOString();
  /** Loads a case the caller may see with `action`; 404 for another tenant's. */
  async function guardCase(
    request: FastifyRequest,
    caseId: string,
    action: Parameters<typeof authorize>[1],
  ): Promise<CaseTable> {
    const row = await db.selectFrom("cases").selectAll().where("id", "=", caseId).executeTakeFirst();
    if (!row) throw notFound("Case");
    require(principalOf(request), action, {
      organisationId: row.organisation_id,
      accountId: row.account_id,
    }, "Case");
    return row;
  }
  const allows = (request: FastifyRequest, action: Parameters<typeof authorize>[1], row: CaseTable) =>
    authorize(principalOf(request), action, {
      organisationId: row.organisation_id,
      accountId: row.account_id,
    }) === "allow";
  /** Customers, their support agents and reviewers may add evidence to a case. */
  const mayAddEvidence = (request: FastifyRequest, row: CaseTable) =>
    allows(request, "refunds.request", row) ||
    allows(request, "refunds.review", row) ||
    allows(request, "refunds.request_on_behalf", row);
  async function userName(actor: string): Promise<string> {
    const u = await db.selectFrom("users").select("name").where("id", "=", actor).executeTakeFirst();
    return u?.name ?? actor;
  }

  app.post(
    "/cases",
    {
      schema: {
        tags,
        summary: "File a refund request: one case per line item, each with a ticket number",
        description:
          "Customers file for their accounts (channel `console` or `api` by how they sign in); a support agent " +
          "logs a phone or chat request with `channel` and `onBehalfOf`. `submit: false` saves drafts. The " +
          "request builder's lint comes back as hints and never blocks filing.",
        body: Type.Object(
          {
            ...DraftBody,
            findingId: Type.Optional(Type.String({ maxLength: 40 })),
            submit: Type.Optional(Type.Boolean()),
          },
          strict,
        ),
        response: { 201: FiledView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const channel = await filingChannel(services, principalOf(request), body.accountId, body.channel);
      const input: FileRefundRequestInput = { ...body, channel, submit: body.submit ?? true };
      const filed = await fileRefundRequest(services, writeContext(request), input);
      return reply.code(201).send({ ...filed, cases: filed.cases.map((c) => caseSummaryView(c, now())) });
    },
  );

  app.post(
    "/cases/preview",
    {
      schema: {
        tags,
        summary: "Build and lint a request without filing it (the request builder)",
        body: Type.Object({ ...DraftBody, findingId: Type.Optional(Type.String({ maxLength: 40 })) }, strict),
        response: {
          200: Type.Object({
            request: Type.Unknown({
              description: "subject, executive summary, timeline, billed vs actual, evidence, resolution",
            }),
            lint: Type.Array(LintIssueView),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const body = request.body;
      const channel = await filingChannel(services, principalOf(request), body.accountId, body.channel);
      const account = await db
        .selectFrom("accounts")
        .selectAll()
        .where("id", "=", body.accountId)
        .executeTakeFirstOrThrow();
      const organisation = await db
        .selectFrom("organisations")
        .selectAll()
        .where("id", "=", account.organisation_id)
        .executeTakeFirstOrThrow();
      const charges = await db
        .selectFrom("charges")
        .selectAll()
        .where("account_id", "=", account.id)
        .where(
          "id",
          "in",
          body.items.map((i) => i.chargeId),
        )
        .execute();
      if (charges.length !== new Set(body.items.map((i) => i.chargeId)).size)
        throw validationFailed([
          { field: "items", code: "unknown_charge", message: "names a charge that is not this account's" },
        ]);
      const built = await buildRequestFor(db, {
        organisation,
        account,
        charges,
        amounts: Object.fromEntries(body.items.map((i) => [i.chargeId, i.amount ?? null])),
        reason: body.reason,
        desiredOutcome: body.desiredOutcome,
        summary: body.summary,
        description: body.description,
        impactStatement: body.impactStatement,
        channel,
        filedBy: actorRef(principalOf(request)),
        onBehalfOf: body.onBehalfOf?.contact ?? null,
        evidenceLabels: (body.evidence ?? []).map((e) =>
          e.kind === "reference" ? `${e.type} ${e.id}` : e.label,
        ),
        findingId: body.findingId ?? null,
      });
      return { request: built.request, lint: built.lint };
    },
  );

  app.post(
    "/organisations/:organisationId/findings/:findingId/case",
    {
      schema: {
        tags,
        summary:
          "Turn an audit finding into a submitted case in one step (reason, amount and evidence filled in)",
        params: Type.Object({
          organisationId: Id("Organisation id"),
          findingId: Type.String({ maxLength: 40 }),
        }),
        body: Type.Object(
          {
            desiredOutcome: Type.Optional(Literals(DESIRED_OUTCOMES)),
            impactStatement: Type.Optional(Type.String({ maxLength: 5_000 })),
          },
          strict,
        ),
        response: { 201: FiledView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const org = await guardOrganisation(services, principal, "refunds.read", request.params.organisationId);
      const finding = await db
        .selectFrom("findings")
        .selectAll()
        .where("organisation_id", "=", org.id)
        .where("id", "=", request.params.findingId)
        .executeTakeFirst();
      if (!finding?.account_id) throw notFound("Finding");
      const channel = await filingChannel(services, principal, finding.account_id, undefined);
      const refs = JSON.parse(finding.charge_refs) as string[];
      const charges = await db
        .selectFrom("charges")
        .select(["id", "source_ref", "billed_cost", "billing_currency"])
        .where("organisation_id", "=", org.id)
        .where("source_ref", "in", refs)
        .execute();
      const target = chargeForFinding(refs, charges, finding.amount, finding.currency);
      if (!target) throw notFound("Charge of the finding");
      const details = JSON.parse(finding.details) as {
        serviceName?: string | null;
        resourceId?: string | null;
        month?: string;
      };
      const filed = await fileRefundRequest(services, writeContext(request), {
        accountId: finding.account_id,
        items: [{ chargeId: target.id, amount: target.amount }],
        findingId: finding.id,
        reason: REASON_FOR_FINDING[finding.kind as FindingKind],
        desiredOutcome:
          request.body.desiredOutcome ??
          (finding.outcome === "account_credit" ? "account_credit" : "refund_original_method"),
        summary:
          `${finding.kind.replaceAll("_", " ")} on ${details.resourceId ?? details.serviceName ?? "a charge"} (${details.month ?? ""})`.trim(),
        description: finding.explanation,
        impactStatement: request.body.impactStatement ?? "",
        evidence: [{ kind: "reference", type: "finding", id: finding.id }],
        channel,
        submit: true,
      });
      return reply.code(201).send({ ...filed, cases: filed.cases.map((c) => caseSummaryView(c, now())) });
    },
  );

  app.get(
    "/cases",
    {
      schema: {
        tags,
        summary: "The reviewers' queue across customers: overdue first, then by expected decision date",
        querystring: pageQueryWith({
          state: Type.Optional(Literals(CASE_STATES)),
          queue: Type.Optional(Type.String({ maxLength: 100 })),
          assignedRole: Type.Optional(Literals(["reviewer", "senior_reviewer"])),
          assignedToMe: Type.Optional(Type.Boolean()),
          overdue: Type.Optional(Type.Boolean()),
          organisationId: Type.Optional(Id("Organisation id")),
        }),
        response: { 200: pageOf(CaseSummaryView), ...problemResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      require(principal, "refunds.read", { organisationId: null }, "Route");
      const q = request.query;
      const page = pageRequest(q.limit, q.cursor, /^\d+$/);
      const at = now();
      let query = db.selectFrom("cases").selectAll().where("state", "<>", "draft");
      if (q.state) query = query.where("state", "=", q.state);
      else query = query.where("state", "not in", ["closed", "withdrawn", "decided"]);
      if (q.queue) query = query.where("queue", "=", q.queue);
      if (q.assignedRole) query = query.where("assigned_role", "=", q.assignedRole);
      if (q.assignedToMe) query = query.where("assignee_id", "=", actorRef(principal));
      if (q.organisationId) query = query.where("organisation_id", "=", q.organisationId);
      if (q.overdue !== undefined)
        query = q.overdue
          ? query.where("due_at", "<=", at)
          : query.where((eb) => eb.or([eb("due_at", ">", at), eb("due_at", "is", null)]));
      // The queue is ordered by deadline; the cursor is an offset into that order.
      const offset = page.after ? Number(page.after) : 0;
      const rows = await query
        .orderBy("due_at")
        .orderBy("id")
        .offset(offset)
        .limit(page.limit + 1)
        .execute();
      const more = rows.length > page.limit;
      return {
        items: rows.slice(0, page.limit).map((c) => caseSummaryView(c, at)),
        nextCursor: more ? String(offset + page.limit) : null,
      };
    },
  );

  app.get(
    "/organisations/:organisationId/cases",
    {
      schema: {
        tags,
        summary: "The organisation's cases, newest first",
        params: Type.Object({ organisationId: Id("Organisation id") }),
        querystring: pageQueryWith({
          state: Type.Optional(Literals(CASE_STATES)),
          accountId: Type.Optional(Id("Account id")),
        }),
        response: { 200: pageOf(CaseSummaryView), ...problemResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const org = await guardOrganisation(services, principal, "refunds.read", request.params.organisationId);
      const { state, accountId } = request.query;
      if (accountId) await guardAccount(services, principal, "refunds.read", accountId);
      const page = pageRequest(request.query.limit, request.query.cursor, /^case_[0-9a-z]{26}$/);
      let q = db.selectFrom("cases").selectAll().where("organisation_id", "=", org.id);
      if (accountId) q = q.where("account_id", "=", accountId);
      else if (principal.kind === "token" && principal.accountIds)
        q = q.where("account_id", "in", principal.accountIds);
      if (state) q = q.where("state", "=", state);
      const { items, nextCursor } = await fetchPage(q, "id", "desc", page);
      return { items: items.map((c) => caseSummaryView(c, now())), nextCursor };
    },
  );

  app.get(
    "/cases/:caseId",
    {
      schema: {
        tags,
        summary:
          "One case: timeline (with time zones), evidence, requests for information, decisions, expected decision date",
        params: CaseParams,
        response: { 200: CaseDetailView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      return caseDetailView(db, services.config.policy, row, now());
    },
  );

  app.get(
    "/cases/:caseId/analysis",
    {
      schema: {
        tags,
        summary:
          "What the customer's evidence says about the case's charge: billed versus actual usage, and SLA outages",
        description:
          "Computed on each request from the imported usage and incidents (not part of the case view, which every " +
          "case step answers with).",
        params: CaseParams,
        response: { 200: CaseAnalysisView, ...problemResponses },
      },
    },
    async (request) =>
      caseAnalysis(
        db,
        services.config.policy,
        await guardCase(request, request.params.caseId, "refunds.read"),
      ),
  );

  app.post(
    "/cases/:caseId/submit",
    {
      schema: {
        tags,
        summary: "Submit a draft case (it gets its ticket number now)",
        params: CaseParams,
        body: VersionBody,
        response: { 200: CaseSummaryView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      if (!allows(request, "refunds.request", row) && !allows(request, "refunds.request_on_behalf", row))
        throw forbidden();
      const updated = await submitDraftCase(services, writeContext(request), {
        caseId: row.id,
        expectedVersion: request.body.expectedVersion,
      });
      return caseSummaryView(updated, now());
    },
  );

  app.post(
    "/cases/:caseId/evidence",
    {
      schema: {
        tags,
        summary: "Add pasted transcripts or e-mails, or references to imported records, as evidence",
        params: CaseParams,
        body: Type.Object({ items: Type.Array(EvidenceItem, { minItems: 1, maxItems: 50 }) }, strict),
        response: { 201: Type.Object({ added: Type.Integer() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      if (!mayAddEvidence(request, row)) throw forbidden();
      const errors = validateEvidenceInputs(request.body.items);
      if (errors.length) throw validationFailed(errors);
      const ctx = writeContext(request);
      const added = await inTransaction(services.store, async (tx) => {
        const locked = await loadCaseForUpdate(tx, services, row.id);
        if (locked.state === "closed" || locked.state === "withdrawn")
          throw new AppError("invalid_transition", "Evidence cannot be added to a closed or withdrawn case", {
            extensions: { currentState: locked.state },
          });
        const phase =
          locked.state === "awaiting_customer"
            ? "information"
            : locked.state === "decided"
              ? "appeal"
              : "request";
        const items = await addReferenceEvidence(tx, services, ctx, locked, request.body.items, phase);
        await recordCaseEvent(tx, services, ctx, locked, {
          type: "evidence_added",
          note: `${items.length} item(s) of evidence added: ${items
            .map((i) => i.label)
            .join("; ")
            .slice(0, 300)}.`,
          data: { evidenceIds: items.map((i) => i.id) },
        });
        return items.length;
      });
      return reply.code(201).send({ added });
    },
  );

  app.post(
    "/cases/:caseId/evidence/files",
    {
      config: multipartBody({}, "PDF, PNG, JPEG, CSV, TXT, JSON or EML, checked by content"),
      schema: {
        tags,
        summary:
          "Upload a file as evidence (multipart `file`; PDF, PNG, JPEG, CSV, TXT, JSON or EML, checked by content)",
        consumes: ["multipart/form-data"],
        params: CaseParams,
        response: {
          201: Type.Object({
            id: Type.String(),
            label: Type.String(),
            contentType: Type.String(),
            sizeBytes: Type.Integer(),
            sha256: Type.String(),
          }),
          ...problemResponses,
          413: problemResponses[400],
          415: problemResponses[400],
        },
      },
    },
    async (request, reply) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      if (!mayAddEvidence(request, row)) throw forbidden();
      if (!request.isMultipart())
        throw new AppError("unsupported_media_type", "Send multipart/form-data with one `file` part");
      let file: { name: string; bytes: Buffer } | null = null;
      for await (const part of request.parts()) {
        if (part.type !== "file") continue;
        const bytes = await part.toBuffer();
        if (part.fieldname === "file" && file === null) file = { name: part.filename, bytes };
      }
      const evidence = await addFileEvidence(services, writeContext(request), {
        caseId: row.id,
        fileName: file?.name,
        bytes: file?.bytes ?? null,
      });
      return reply.code(201).send({
        id: evidence.id,
        label: evidence.label,
        contentType: evidence.content_type ?? "",
        sizeBytes: evidence.size_bytes ?? 0,
        sha256: evidence.sha256 ?? "",
      });
    },
  );

  app.get(
    "/cases/:caseId/evidence/:evidenceId/content",
    {
      schema: {
        tags,
        summary: "Download an evidence file",
        params: Type.Object({ caseId: Id("Case id"), evidenceId: Id("Evidence id") }),
        response: { 200: Type.Unknown({ description: "The file's bytes" }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      const { evidence, bytes } = await readEvidenceFile(services, row.id, request.params.evidenceId);
      return reply
        .header("content-type", evidence.content_type ?? "application/octet-stream")
        .header("content-disposition", `attachment; filename="${evidence.id}"`)
        .header("cache-control", "private, no-store")
        .send(bytes);
    },
  );

  app.post(
    "/cases/:caseId/claim",
    {
      schema: {
        tags,
        summary: "A reviewer takes the case (for an appeal: starts the second review)",
        params: CaseParams,
        body: VersionBody,
        response: { 200: CaseSummaryView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await guardCase(request, request.params.caseId, "refunds.review");
      const principal = principalOf(request);
      const updated = await claimCase(services, writeContext(request), {
        caseId: row.id,
        reviewerId: actorRef(principal),
        senior: allows(request, "refunds.review_senior", row),
        expectedVersion: request.body.expectedVersion,
      });
      return caseSummaryView(updated, now());
    },
  );

  app.post(
    "/cases/:caseId/information-requests",
    {
      schema: {
        tags,
        summary:
          "Ask the customer for information, due in business days of their region (pauses the decision clock)",
        params: CaseParams,
        body: Type.Object(
          {
            questions: Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), {
              minItems: 1,
              maxItems: 10,
            }),
            businessDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
            expectedVersion: Version,
          },
          strict,
        ),
        response: { 201: CaseDetailView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const row = await guardCase(request, request.params.caseId, "refunds.review");
      if (row.assigned_role === "senior_reviewer" && !allows(request, "refunds.review_senior", row))
        throw forbidden("This case is escalated: a senior reviewer handles it");
      const { case: updated } = await requestInformation(services, writeContext(request), {
        caseId: row.id,
        ...request.body,
      });
      return reply.code(201).send(await caseDetailView(db, services.config.policy, updated, now()));
    },
  );

  app.post(
    "/cases/:caseId/information-requests/:informationRequestId/answer",
    {
      schema: {
        tags,
        summary: "Answer a request for information (the decision clock runs again)",
        params: Type.Object({ caseId: Id("Case id"), informationRequestId: Id("Information request id") }),
        body: Type.Object(
          {
            answer: Type.String({ minLength: 1, maxLength: 20_000 }),
            evidence: Type.Optional(Type.Array(EvidenceItem, { maxItems: 50 })),
          },
          strict,
        ),
        response: { 200: CaseDetailView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      if (!allows(request, "refunds.request", row) && !allows(request, "refunds.request_on_behalf", row))
        throw forbidden();
      const { case: updated } = await answerInformationRequest(services, writeContext(request), {
        caseId: row.id,
        informationRequestId: request.params.informationRequestId,
        ...request.body,
      });
      return caseDetailView(db, services.config.policy, updated, now());
    },
  );

  app.post(
    "/cases/:caseId/escalate",
    {
      schema: {
        tags,
        summary:
          "Escalate to a senior reviewer (reviewers any time in review; customers once the case is overdue)",
        params: CaseParams,
        body: ReasonBody,
        response: { 200: CaseSummaryView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      const by = allows(request, "refunds.review", row)
        ? "reviewer"
        : allows(request, "refunds.request", row)
          ? "customer"
          : null;
      if (!by) throw forbidden();
      const updated = await escalateCase(services, writeContext(request), {
        caseId: row.id,
        by,
        reason: request.body.reason ?? "",
        expectedVersion: request.body.expectedVersion,
      });
      return caseSummaryView(updated, now());
    },
  );

  app.post(
    "/cases/:caseId/decision",
    {
      schema: {
        tags,
        summary: "Decide the case with a written rationale citing policy clauses",
        description:
          "A partial refund gives `proration` (the part of the charge period refunded) and its amount is computed. " +
          "A refund to the original payment method needs verified KYC: otherwise the case waits in " +
          "`awaiting_verification` and the decision applies when KYC is verified. Two reviewers deciding at once: one wins, " +
          "the other gets 409.",
        params: CaseParams,
        body: Type.Object(
          {
            outcome: Literals([
              "refund_original_method",
              "account_credit",
              "partial_refund",
              "service_adjustment",
              "denied",
            ]),
            amount: Type.Optional(Type.String({ maxLength: 40 })),
            proration: Type.Optional(
              Type.Object(
                { from: Type.String({ maxLength: 40 }), to: Type.String({ maxLength: 40 }) },
                strict,
              ),
            ),
            rationale: Type.String({ maxLength: 20_000 }),
            clauses: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 30 }),
            evidence: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 100 })),
            credit: Type.Optional(
              Type.Object(
                {
                  services: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })),
                  regions: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 })),
                  expiresAt: Type.Optional(Type.String({ format: "date-time" })),
                },
                strict,
              ),
            ),
            adjustment: Type.Optional(Type.String({ maxLength: 2000 })),
            alternatives: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 10 })),
            expectedVersion: Version,
          },
          strict,
        ),
        response: { 200: CaseDetailView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await guardCase(request, request.params.caseId, "refunds.review");
      const principal = principalOf(request);
      const actor = actorRef(principal);
      const result = await decideCase(
        services,
        writeContext(request),
        { actor, senior: allows(request, "refunds.review_senior", row), name: await userName(actor) },
        row.id,
        request.body,
      );
      return caseDetailView(db, services.config.policy, result.case, now());
    },
  );

  app.get(
    "/cases/:caseId/decisions/:decisionId/letter",
    {
      schema: {
        tags,
        summary: "The decision letter (PDF) as sent",
        params: Type.Object({ caseId: Id("Case id"), decisionId: Id("Decision id") }),
        response: { 200: Type.Unknown({ description: "application/pdf" }), ...problemResponses },
      },
    },
    async (request, reply) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      const decision = await loadDecision(db, row.id, request.params.decisionId);
      // The stored letter is the one sent; before the letter job ran, the same bytes are rendered now.
      const pdf =
        decision.letter_path && existsSync(decision.letter_path)
          ? readFileSync(decision.letter_path)
          : await renderDecisionLetter(await decisionLetterFor(db, services.config.policy, decision), {
              unicodeFont: services.config.letterFont,
            });
      return reply
        .header("content-type", "application/pdf")
        .header(
          "content-disposition",
          `attachment; filename="decision-${row.ticket_number ?? row.id}-${decision.sequence}.pdf"`,
        )
        .header("cache-control", "private, no-store")
        .send(pdf);
    },
  );

  app.post(
    "/cases/:caseId/appeal",
    {
      schema: {
        tags,
        summary:
          "Appeal a decision within the window, with a new argument or new evidence (a different reviewer decides, finally)",
        params: CaseParams,
        body: Type.Object(
          {
            argument: Type.String({ maxLength: 20_000 }),
            evidence: Type.Optional(Type.Array(EvidenceItem, { maxItems: 50 })),
            expectedVersion: Version,
          },
          strict,
        ),
        response: { 200: CaseSummaryView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      if (!allows(request, "refunds.request", row)) throw forbidden();
      const updated = await appealCase(services, writeContext(request), { caseId: row.id, ...request.body });
      return caseSummaryView(updated, now());
    },
  );

  app.post(
    "/cases/:caseId/withdraw",
    {
      schema: {
        tags,
        summary: "Withdraw an open case",
        params: CaseParams,
        body: ReasonBody,
        response: { 200: CaseSummaryView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await guardCase(request, request.params.caseId, "refunds.read");
      if (!allows(request, "refunds.request", row) && !allows(request, "refunds.request_on_behalf", row))
        throw forbidden();
      const updated = await withdrawCase(services, writeContext(request), {
        caseId: row.id,
        reason: request.body.reason ?? "",
        expectedVersion: request.body.expectedVersion,
      });
      return caseSummaryView(updated, now());
    },
  );

  app.post(
    "/accounts/:accountId/links/:otherAccountId/review",
    {
      schema: {
        tags: ["kyc"],
        summary:
          "Compliance's verdict on an identity link: legitimate or suspected abuse (gates larger refunds)",
        params: Type.Object({ accountId: Id("Account id"), otherAccountId: Id("Linked account id") }),
        body: Type.Object(
          { verdict: Literals(LINK_VERDICTS), reason: Type.String({ minLength: 1, maxLength: 2000 }) },
          strict,
        ),
        response: {
          201: Type.Object({
            id: Type.String(),
            verdict: Type.String(),
            reason: Type.String(),
            reviewedBy: Type.String(),
            createdAt: Type.String(),
          }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "kyc.decide",
        request.params.accountId,
      );
      const review = await reviewIdentityLink(services, writeContext(request), {
        accountId: account.id,
        otherAccountId: request.params.otherAccountId,
        ...request.body,
      });
      return reply.code(201).send({
        id: review.id,
        verdict: review.verdict,
        reason: review.reason,
        reviewedBy: review.reviewed_by,
        createdAt: review.created_at,
      });
    },
  );
}

/**
 * The line item a finding's case is about: the last of its charges (in the finding's order: the
 * duplicate after the original, the overbilled line) that can carry the whole amount, else the
 * largest; the amount is capped at that charge's billed cost.
 */
export function chargeForFinding(
  refs: readonly string[],
  charges: ReadonlyArray<{
    id: string;
    source_ref: string;
    billed_cost: string | null;
    billing_currency: string | null;
  }>,
  amount: string,
  currency: string,
): { id: string; amount: string } | null {
  const wanted = Money.of(amount, currency);
  const byRef = new Map(charges.map((c) => [c.source_ref, c]));
  const ordered = refs.map((r) => byRef.get(r)).filter((c) => c !== undefined);
  const billed = (c: (typeof ordered)[number]) => Money.of(c.billed_cost ?? "0", currency);
  const whole = [...ordered].reverse().find((c) => billed(c).greaterThanOrEqual(wanted));
  if (whole) return { id: whole.id, amount: wanted.amount };
  const largest = [...ordered].sort((a, b) => billed(b).compare(billed(a)))[0];
  if (!largest || !billed(largest).isPositive()) return null;
  return { id: largest.id, amount: billed(largest).amount };
}
