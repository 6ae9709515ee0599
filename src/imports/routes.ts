import type { MultipartFile } from "@fastify/multipart";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { BILL_FORMATS, type BillFormat } from "../billing/charge.js";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, multipartBody, PageQuery, pageOf, problemResponses } from "../http/schemas.js";
import { guardOrganisation } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { AppError, notFound, validationFailed } from "../shared/errors.js";
import { assertSafeFileName } from "../shared/file-names.js";
import { fetchPage, pageRequest } from "../store/pagination.js";
import type { ImportTable } from "../store/schema.js";
import { IMPORT_KINDS, isImportKind } from "./import-kinds.js";
import { importProgress } from "./progress.js";
import { requestImport } from "./request-import.js";

const ImportView = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  kind: Type.String(),
  fileName: Type.String(),
  sha256: Type.String(),
  format: Type.Union([Type.String(), Type.Null()]),
  status: Type.String({ description: "queued, running, succeeded or failed" }),
  rowsTotal: Type.Union([Type.Integer(), Type.Null()]),
  rowsImported: Type.Integer(),
  rowsInvalid: Type.Integer(),
  duplicateOf: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Union([
    Type.Object({
      phase: Type.String(),
      rowsDone: Type.Integer(),
      rowsTotal: Type.Union([Type.Integer(), Type.Null()]),
      rowsPerSecond: Type.Union([Type.Integer(), Type.Null()]),
      etaSeconds: Type.Union([Type.Integer(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  error: Type.Union([Type.Unknown(), Type.Null()]),
  createdAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

export function importView(row: ImportTable) {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    kind: row.kind,
    fileName: row.file_name,
    sha256: row.content_sha256,
    format: row.format,
    status: row.status,
    rowsTotal: row.rows_total,
    rowsImported: row.rows_imported,
    rowsInvalid: row.rows_invalid,
    duplicateOf: row.duplicate_of,
    progress: row.status === "running" || row.status === "queued" ? importProgress(row.id) : null,
    error: row.error ? (JSON.parse(row.error) as unknown) : null,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export async function importRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["imports"];
  const db = services.store.db;

  app.post(
    "/organisations/:organisationId/imports",
    {
      config: multipartBody(
        {
          kind: Type.Optional(
            Type.Union(
              IMPORT_KINDS.map((k) => Type.Literal(k)),
              { default: "charges" },
            ),
          ),
          format: Type.Optional(Type.Union(BILL_FORMATS.map((f) => Type.Literal(f)))),
          onInvalid: Type.Optional(
            Type.Union([Type.Literal("fail"), Type.Literal("collect")], { default: "fail" }),
          ),
        },
        "The bill or evidence file (CSV, or JSON lines for usage)",
      ),
      schema: {
        tags,
        summary: "Upload a bill or evidence file; it is imported by a background job",
        description:
          "multipart/form-data with the fields `kind` (charges, usage, subscriptions, incidents, promotions, payments), " +
          "optional `format` (focus, alibaba, azure-ea, aws-cur, gcp-export) and `onInvalid` (fail, collect), then the `file` part. " +
          "Answers 202 with the import; poll GET /imports/{id} for progress. The same bytes again answer 200 with the earlier import.",
        consumes: ["multipart/form-data"],
        params: Type.Object({ organisationId: Id("Organisation id") }),
        response: { 200: ImportView, 202: ImportView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "billing.import",
        request.params.organisationId,
      );
      if (!request.isMultipart())
        throw new AppError("unsupported_media_type", "Send the file as multipart/form-data");
      const file: MultipartFile | undefined = await request.file({
        limits: { fileSize: services.config.maxImportBytes },
        // busboy would otherwise cut "../../x" down to "x" and hide the hostile name.
        preservePath: true,
      });
      if (!file)
        throw validationFailed([
          { field: "file", code: "required", message: "attach the file as the `file` part" },
        ]);
      const field = (name: string): string | undefined => {
        const f = file.fields[name];
        return f && !Array.isArray(f) && f.type === "field" ? String(f.value) : undefined;
      };
      const kind = field("kind") ?? "charges";
      const format = field("format");
      const onInvalid = field("onInvalid") ?? "fail";
      const errors = [];
      if (!isImportKind(kind))
        errors.push({
          field: "kind",
          code: "invalid_kind",
          message: `must be one of ${IMPORT_KINDS.join(", ")}`,
        });
      if (format !== undefined && !(BILL_FORMATS as readonly string[]).includes(format))
        errors.push({
          field: "format",
          code: "invalid_format",
          message: `must be one of ${BILL_FORMATS.join(", ")}`,
        });
      if (onInvalid !== "fail" && onInvalid !== "collect")
        errors.push({ field: "onInvalid", code: "invalid_value", message: "must be fail or collect" });
      if (errors.length || !isImportKind(kind)) {
        file.file.resume();
        throw validationFailed(errors);
      }
      assertSafeFileName(file.filename, "file.filename");
      const result = await requestImport(services, writeContext(request), {
        organisationId: org.id,
        kind,
        fileName: file.filename,
        format: format as BillFormat | undefined,
        onInvalid: onInvalid === "collect" ? "collect" : "fail",
        content: file.file,
      });
      return reply.code(result.duplicate ? 200 : 202).send(importView(result.import));
    },
  );

  app.get(
    "/organisations/:organisationId/imports",
    {
      schema: {
        tags,
        summary: "Imports of an organisation, newest last",
        params: Type.Object({ organisationId: Id("Organisation id") }),
        querystring: PageQuery,
        response: { 200: pageOf(ImportView), ...problemResponses },
      },
    },
    async (request) => {
      const org = await guardOrganisation(
        services,
        principalOf(request),
        "billing.read",
        request.params.organisationId,
      );
      const page = pageRequest(request.query.limit, request.query.cursor);
      const q = db.selectFrom("imports").selectAll().where("organisation_id", "=", org.id);
      const { items, nextCursor } = await fetchPage(q, "id", "asc", page);
      return { items: items.map(importView), nextCursor };
    },
  );

  app.get(
    "/imports/:importId",
    {
      schema: {
        tags,
        summary: "One import with its live progress (rows, rows/s, ETA) or its error",
        params: Type.Object({ importId: Id("Import id") }),
        response: { 200: ImportView, ...problemResponses },
      },
    },
    async (request) => {
      const row = await db
        .selectFrom("imports")
        .selectAll()
        .where("id", "=", request.params.importId)
        .executeTakeFirst();
      if (!row) throw notFound("Import");
      await guardOrganisation(services, principalOf(request), "billing.read", row.organisation_id).catch(
        () => {
          throw notFound("Import");
        },
      );
      return importView(row);
    },
  );
}
