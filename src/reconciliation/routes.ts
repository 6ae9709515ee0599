import type { MultipartFile } from "@fastify/multipart";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { type Static, Type } from "typebox";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, multipartBody, pageOf, pageQueryWith, problemResponses } from "../http/schemas.js";
import { require } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { AppError, notFound, validationFailed } from "../shared/errors.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import type { FinanceTaskTable, SettlementImportTable } from "../store/schema.js";
import { FINANCE_TASK_STATUSES, listFinanceTasks, resolveFinanceTask } from "./finance-tasks.js";
import { type ImportSettlementResult, importSettlement } from "./import-settlement.js";
import type { ReconciliationReport } from "./match-settlement.js";

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const CsvBody = Type.Object(
  {
    csv: Type.String({ minLength: 1, description: "The settlement file's text" }),
    fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    settlementDate: Type.Optional(
      Type.String({ maxLength: 10, description: "For a file with a header only" }),
    ),
  },
  { additionalProperties: false },
);

const Totals = Type.Object({
  lines: Type.Integer(),
  matched: Type.Integer(),
  mismatched: Type.Integer(),
  missingInRecords: Type.Integer({ description: "Settlement lines that are no payout of ours" }),
  missingInSettlement: Type.Integer({
    description: "Payouts we settled that day that the file does not list",
  }),
});

const ItemView = Type.Object({
  result: Type.Enum(["matched", "mismatched", "missing_in_records", "missing_in_settlement"]),
  line: Nullable(Type.Integer()),
  payoutId: Nullable(Type.String()),
  organisationId: Nullable(Type.String()),
  matchedBy: Nullable(Type.Enum(["gateway_refund_id", "idempotency_key"] as const)),
  gatewayRefundId: Nullable(Type.String()),
  idempotencyKey: Nullable(Type.String()),
  theirs: Nullable(
    Type.Object(
      {
        amountMinor: Type.String(),
        amount: Type.String({ description: "Exact decimal in major units" }),
        currency: Type.String(),
        status: Type.String(),
        feeMinor: Type.String(),
        type: Type.String(),
      },
      { description: "What the settlement line says" },
    ),
  ),
  ours: Nullable(
    Type.Object(
      {
        amountMinor: Type.String(),
        amount: Type.String(),
        currency: Type.String(),
        status: Type.String(),
        attempt: Type.Integer(),
        settledAt: Nullable(Type.String()),
        journalEntryId: Nullable(Type.String({ description: "The payout's `payout:<id>:paid` entry" })),
      },
      { description: "What our payout says" },
    ),
  ),
  differences: Type.Array(
    Type.Object({
      field: Type.Enum(["amount", "currency", "status", "ledger", "gateway_refund_id", "duplicate"]),
      ours: Nullable(Type.String()),
      theirs: Nullable(Type.String()),
      message: Type.String(),
    }),
  ),
  note: Nullable(Type.String()),
});

const ReconciliationSummary = Type.Object({
  id: Type.String(),
  fileName: Type.String(),
  sha256: Type.String(),
  settlementDate: Nullable(Type.String()),
  totals: Totals,
  allMatched: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: Type.String(),
});

const ReconciliationView = Type.Object({
  ...ReconciliationSummary.properties,
  duplicate: Type.Optional(
    Type.Boolean({ description: "The same bytes were imported before: their result" }),
  ),
  settled: Type.Array(
    Type.Object({
      currency: Type.String(),
      refunds: Type.String(),
      refundsMinor: Type.String(),
      fees: Type.String(),
      feesMinor: Type.String(),
    }),
  ),
  items: Type.Array(ItemView),
});

const FinanceTaskView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.Enum(FINANCE_TASK_STATUSES),
  payoutId: Nullable(Type.String()),
  settlementImportId: Nullable(Type.String()),
  summary: Type.String(),
  details: Type.Unknown(),
  createdAt: Type.String(),
  resolvedAt: Nullable(Type.String()),
  resolvedBy: Nullable(Type.String()),
});

function summaryView(row: SettlementImportTable) {
  const totals = {
    lines: row.lines,
    matched: row.matched,
    mismatched: row.mismatched,
    missingInRecords: row.missing_in_ledger,
    missingInSettlement: row.missing_in_settlement,
  };
  return {
    id: row.id,
    fileName: row.file_name,
    sha256: row.content_sha256,
    settlementDate: row.settlement_date,
    totals,
    allMatched: totals.mismatched + totals.missingInRecords + totals.missingInSettlement === 0,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

function reconciliationView(row: SettlementImportTable, duplicate?: boolean) {
  const report = JSON.parse(row.report) as ReconciliationReport;
  return { ...summaryView(row), duplicate, settled: report.settled, items: report.items };
}

export function financeTaskView(row: FinanceTaskTable) {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    payoutId: row.payout_id,
    settlementImportId: row.settlement_import_id,
    summary: row.summary,
    details: JSON.parse(row.details) as unknown,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
  };
}

/** Settlement reconciliation and finance's task list: provider finance and admins only. */
export async function reconciliationRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const db = services.store.db;

  app.post(
    "/reconciliations",
    {
      // A day's settlement file can pass the 1 MiB default of JSON bodies.
      bodyLimit: services.config.maxUploadBytes,
      config: multipartBody(
        {
          settlementDate: Type.Optional(
            Type.String({ format: "date", description: "for a file with a header only" }),
          ),
        },
        "The gateway's settlement CSV",
      ),
      schema: {
        tags: ["reconciliation"],
        summary: "Reconcile a gateway settlement file against our payouts and ledger",
        description:
          "multipart/form-data with the `file` part (and optionally a `settlementDate` field, for a file with a " +
          "header only), or JSON `{ csv, fileName?, settlementDate? }`. Answers 201 with the report; every " +
          "mismatch or missing item opens a finance task. The same bytes again answer 200 with the first " +
          "import's report and open nothing. A bad file answers 400 naming its line and column, and stores nothing.",
        consumes: ["multipart/form-data", "application/json"],
        // Per content type, so a multipart upload (parsed in the handler) is not held to the JSON shape.
        body: { content: { "application/json": { schema: CsvBody } } },
        response: { 200: ReconciliationView, 201: ReconciliationView, ...problemResponses },
      },
    },
    async (request, reply) => {
      require(principalOf(request), "reconciliation.run", { organisationId: null }, "Route");
      let result: ImportSettlementResult;
      if (request.isMultipart()) {
        const file: MultipartFile | undefined = await request.file({ preservePath: true });
        if (!file)
          throw validationFailed([
            { field: "file", code: "required", message: "attach the file as the `file` part" },
          ]);
        const content = await file.toBuffer();
        const date = file.fields.settlementDate;
        const settlementDate =
          date && !Array.isArray(date) && date.type === "field" ? String(date.value) : undefined;
        result = await importSettlement(services, writeContext(request), {
          fileName: file.filename,
          content,
          settlementDate,
        });
      } else {
        // The schema is per content type: a body sent without one (read as `{}`) or as text/plain
        // reaches here unvalidated.
        const body = request.body as Static<typeof CsvBody> | string | undefined;
        if (!body || typeof body !== "object" || typeof body.csv !== "string")
          throw new AppError("malformed_request", "Send the file as multipart/form-data or JSON { csv }");
        result = await importSettlement(services, writeContext(request), {
          fileName: body.fileName ?? "settlement.csv",
          content: Buffer.from(body.csv, "utf8"),
          settlementDate: body.settlementDate,
        });
      }
      return reply
        .code(result.duplicate ? 200 : 201)
        .send(reconciliationView(result.import, result.duplicate));
    },
  );

  app.get(
    "/reconciliations",
    {
      schema: {
        tags: ["reconciliation"],
        summary: "Settlement imports, newest first, with their totals",
        querystring: pageQueryWith({}),
        response: { 200: pageOf(ReconciliationSummary), ...problemResponses },
      },
    },
    async (request) => {
      require(principalOf(request), "reconciliation.run", { organisationId: null }, "Route");
      const page = pageRequest(request.query.limit, request.query.cursor, /^stl_[0-9a-z]{26}$/);
      const q = db.selectFrom("settlement_imports").selectAll();
      const { items, nextCursor } = await fetchPage(q, "id", "desc", page);
      return { items: items.map(summaryView), nextCursor };
    },
  );

  app.get(
    "/reconciliations/:reconciliationId",
    {
      schema: {
        tags: ["reconciliation"],
        summary: "One settlement import with its full report",
        params: Type.Object({ reconciliationId: Id("Settlement import id") }),
        response: { 200: ReconciliationView, ...problemResponses },
      },
    },
    async (request) => {
      require(principalOf(request), "reconciliation.run", { organisationId: null }, "Route");
      const row = await db
        .selectFrom("settlement_imports")
        .selectAll()
        .where("id", "=", request.params.reconciliationId)
        .executeTakeFirst();
      if (!row) throw notFound("Reconciliation");
      return reconciliationView(row);
    },
  );

  app.get(
    "/finance/tasks",
    {
      schema: {
        tags: ["reconciliation"],
        summary: "Finance's tasks (reconciliation mismatches, payouts that need a person), oldest first",
        querystring: pageQueryWith({
          status: Type.Optional(Type.Enum(FINANCE_TASK_STATUSES)),
          kind: Type.Optional(Type.String({ maxLength: 64 })),
          reconciliationId: Type.Optional(Id("Only the tasks of this settlement import")),
        }),
        response: { 200: pageOf(FinanceTaskView), ...problemResponses },
      },
    },
    async (request) => {
      require(principalOf(request), "reconciliation.run", { organisationId: null }, "Route");
      const q = request.query;
      const page = pageRequest(q.limit, q.cursor, /^ftk_[0-9a-z]{26}$/);
      const { items, nextCursor } = await listFinanceTasks(
        db,
        {
          status: q.status as FinanceTaskTable["status"] | undefined,
          kind: q.kind,
          settlementImportId: q.reconciliationId,
        },
        page,
      );
      return { items: items.map(financeTaskView), nextCursor };
    },
  );

  app.post(
    "/finance/tasks/:taskId/resolve",
    {
      schema: {
        tags: ["reconciliation"],
        summary: "Resolve an open finance task, saying what was done",
        params: Type.Object({ taskId: Id("Finance task id") }),
        body: Type.Object(
          { note: Type.String({ minLength: 1, maxLength: 2000 }) },
          { additionalProperties: false },
        ),
        response: { 200: FinanceTaskView, ...problemResponses },
      },
    },
    async (request) => {
      require(principalOf(request), "reconciliation.run", { organisationId: null }, "Route");
      const task = await resolveFinanceTask(services, writeContext(request), {
        taskId: request.params.taskId,
        note: request.body.note,
      });
      return financeTaskView(task);
    },
  );
}
