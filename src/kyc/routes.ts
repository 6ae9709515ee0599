import "@fastify/multipart";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { principalOf, writeContext } from "../http/auth.js";
import { Id, multipartBody, PageQuery, pageOf, problemResponses } from "../http/schemas.js";
import { guardAccount, require } from "../identity/guard.js";
import type { Services } from "../shared/context.js";
import { pageRequest } from "../store/pagination.js";
import { addPaymentMethod, PAYMENT_METHOD_TYPES } from "./add-payment-method.js";
import { closePaymentMethod } from "./close-payment-method.js";
import { decideKyc } from "./decide-kyc.js";
import { declareLegalName } from "./declare-legal-name.js";
import { findIdentityLinks } from "./find-identity-links.js";
import { getKycStatus } from "./get-kyc-status.js";
import { KycQueueItem, listKycQueue } from "./list-kyc-queue.js";
import { listPaymentMethods } from "./list-payment-methods.js";
import { KYC_DOCUMENT_KINDS } from "./model.js";
import { readKycDocument } from "./read-kyc-document.js";
import { receiveKycVerdict } from "./receive-kyc-verdict.js";
import { submitKyc } from "./submit-kyc.js";
import { uploadKycDocument } from "./upload-kyc-document.js";
import { IdentityLinkView, KycDocumentView, KycStatusView, PaymentMethodView } from "./views.js";

const AccountParams = Type.Object({ accountId: Id("Account id") });
const Text = (maxLength: number) => Type.String({ maxLength });

/** The parts of an upload form, in arrival order: `kind` counts only when it precedes the file. */
async function readUploadForm(
  request: FastifyRequest,
): Promise<{ kind: string | undefined; fileName: string | undefined; bytes: Buffer | null }> {
  let kind: string | undefined;
  let file: { name: string | undefined; bytes: Buffer } | null = null;
  // preservePath: busboy would otherwise cut "../../x" down to "x" and hide the hostile name.
  for await (const part of request.parts({ preservePath: true })) {
    if (part.type === "field") {
      if (part.fieldname === "kind" && kind === undefined && file === null)
        kind = typeof part.value === "string" ? part.value : "";
      continue;
    }
    // Read every file part to the end (bounded by the upload limit) so the request completes.
    const bytes = await part.toBuffer();
    if (part.fieldname === "file" && file === null) file = { name: part.filename, bytes };
  }
  return { kind, fileName: file?.name, bytes: file?.bytes ?? null };
}

export async function kycRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["kyc"];
  const db = services.store.db;
  const now = () => services.clock.now().toISOString();

  app.post(
    "/accounts/:accountId/kyc/documents",
    {
      config: multipartBody(
        { kind: Type.Union(KYC_DOCUMENT_KINDS.map((k) => Type.Literal(k))) },
        "PDF, PNG or JPEG, checked by content",
      ),
      schema: {
        tags,
        summary: "Upload an identity document (multipart: `kind`, then one `file`; PDF, PNG or JPEG)",
        consumes: ["multipart/form-data"],
        params: AccountParams,
        response: {
          200: KycDocumentView,
          201: KycDocumentView,
          ...problemResponses,
          413: problemResponses[400],
          415: problemResponses[400],
        },
      },
    },
    async (request, reply) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "kyc.submit",
        request.params.accountId,
      );
      const form = await readUploadForm(request);
      const { document, created } = await uploadKycDocument(services, writeContext(request), {
        accountId: account.id,
        ...form,
      });
      return reply.code(created ? 201 : 200).send(document);
    },
  );

  app.get(
    "/accounts/:accountId/kyc/documents/:documentId",
    {
      schema: {
        tags,
        summary: "Download a document (decrypted); owner, billing admin or compliance",
        params: Type.Object({ accountId: Id("Account id"), documentId: Id("Document id") }),
        response: {
          200: Type.Unknown({ description: "The document's bytes, as PDF, PNG or JPEG" }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "kyc.documents.read",
        request.params.accountId,
      );
      const doc = await readKycDocument(services, writeContext(request), {
        accountId: account.id,
        documentId: request.params.documentId,
      });
      return reply
        .header("content-type", doc.contentType)
        .header("content-disposition", `attachment; filename="${doc.fileName}"`)
        .header("cache-control", "no-store")
        .send(doc.bytes);
    },
  );

  app.get(
    "/accounts/:accountId/kyc",
    {
      schema: {
        tags,
        summary: "KYC status, documents (metadata) and decisions of an account",
        params: AccountParams,
        response: { 200: KycStatusView, ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "kyc.read",
        request.params.accountId,
      );
      return getKycStatus(db, account, now());
    },
  );

  app.post(
    "/accounts/:accountId/kyc",
    {
      schema: {
        tags,
        summary: "Submit the account for KYC review (needs an uploaded document)",
        params: AccountParams,
        body: Type.Object(
          {
            type: Type.Union([Type.Literal("individual"), Type.Literal("enterprise")]),
            legalName: Text(200),
            identityNumber: Type.String({ maxLength: 128, description: "Stored only as a keyed hash" }),
          },
          { additionalProperties: false },
        ),
        response: { 200: KycStatusView, ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "kyc.submit",
        request.params.accountId,
      );
      await submitKyc(services, writeContext(request), { accountId: account.id, ...request.body });
      return statusOf(account.id);
    },
  );

  app.post(
    "/accounts/:accountId/kyc/legal-name",
    {
      schema: {
        tags,
        summary: "Declare a member account's legal entity, to rely on the billing account's verification",
        params: AccountParams,
        body: Type.Object({ legalName: Text(200) }, { additionalProperties: false }),
        response: { 200: KycStatusView, ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "kyc.submit",
        request.params.accountId,
      );
      await declareLegalName(services, writeContext(request), {
        accountId: account.id,
        legalName: request.body.legalName,
      });
      return statusOf(account.id);
    },
  );

  app.post(
    "/accounts/:accountId/kyc/decision",
    {
      schema: {
        tags,
        summary: "Verify or reject a pending submission (compliance officer)",
        params: AccountParams,
        body: Type.Object(
          {
            decision: Type.Union([Type.Literal("verified"), Type.Literal("rejected")]),
            reason: Text(2000),
          },
          { additionalProperties: false },
        ),
        response: { 200: KycStatusView, ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "kyc.decide",
        request.params.accountId,
      );
      await decideKyc(services, writeContext(request), { accountId: account.id, ...request.body });
      return statusOf(account.id);
    },
  );

  app.get(
    "/kyc/queue",
    {
      schema: {
        tags,
        summary: "Pending submissions of every organisation, oldest first (compliance officer)",
        querystring: PageQuery,
        response: { 200: pageOf(KycQueueItem), ...problemResponses },
      },
    },
    async (request) => {
      require(principalOf(request), "kyc.decide", { organisationId: null }, "Route");
      return listKycQueue(db, request.query);
    },
  );

  app.get(
    "/accounts/:accountId/payment-methods",
    {
      schema: {
        tags,
        summary: "Payment methods refunds may be paid to",
        params: AccountParams,
        querystring: PageQuery,
        response: { 200: pageOf(PaymentMethodView), ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "account.read",
        request.params.accountId,
      );
      return listPaymentMethods(db, account.id, pageRequest(request.query.limit, request.query.cursor));
    },
  );

  app.post(
    "/accounts/:accountId/payment-methods",
    {
      schema: {
        tags,
        summary: "Register a payment method; its instrument fingerprint is kept only as a keyed hash",
        params: AccountParams,
        body: Type.Object(
          {
            type: Type.Union(PAYMENT_METHOD_TYPES.map((t) => Type.Literal(t))),
            label: Text(200),
            instrumentFingerprint: Type.String({ maxLength: 256, description: "The gateway's fingerprint" }),
          },
          { additionalProperties: false },
        ),
        response: { 201: PaymentMethodView, ...problemResponses },
      },
    },
    async (request, reply) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "payment_methods.manage",
        request.params.accountId,
      );
      const created = await addPaymentMethod(services, writeContext(request), {
        accountId: account.id,
        ...request.body,
      });
      return reply.code(201).send(created);
    },
  );

  app.post(
    "/accounts/:accountId/payment-methods/:paymentMethodId/close",
    {
      schema: {
        tags,
        summary: "Close a payment method: it receives no further refunds",
        params: Type.Object({ accountId: Id("Account id"), paymentMethodId: Id("Payment method id") }),
        response: { 200: PaymentMethodView, ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "payment_methods.manage",
        request.params.accountId,
      );
      return closePaymentMethod(services, writeContext(request), {
        accountId: account.id,
        paymentMethodId: request.params.paymentMethodId,
      });
    },
  );

  app.get(
    "/accounts/:accountId/links",
    {
      schema: {
        tags,
        summary: "Accounts in any organisation sharing an identity number or payment instrument (staff)",
        params: AccountParams,
        response: { 200: Type.Object({ items: Type.Array(IdentityLinkView) }), ...problemResponses },
      },
    },
    async (request) => {
      const account = await guardAccount(
        services,
        principalOf(request),
        "identity_links.read",
        request.params.accountId,
      );
      return { items: await findIdentityLinks(db, account.id) };
    },
  );

  // Its own plugin: the raw-body JSON parser must not reach the other routes.
  await app.register(async (inner) => kycVerifierWebhookRoutes(inner, services));

  async function statusOf(accountId: string) {
    const account = await db
      .selectFrom("accounts")
      .selectAll()
      .where("id", "=", accountId)
      .executeTakeFirstOrThrow();
    return getKycStatus(db, account, now());
  }
}

/** `POST /webhooks/kyc-verifier`: authenticated by its Standard Webhooks signature, not a principal. */
export async function kycVerifierWebhookRoutes(scope: FastifyInstance, services: Services): Promise<void> {
  // The signature covers the exact bytes sent, so the body must reach us unparsed.
  scope.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) =>
    done(null, body),
  );
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    "/webhooks/kyc-verifier",
    {
      config: { skipCsrf: true },
      schema: {
        tags: ["webhooks"],
        summary: "Verdicts of the automated KYC verifier (Standard Webhooks signature)",
        security: [],
        response: {
          200: Type.Object({
            duplicate: Type.Optional(Type.Boolean()),
            applied: Type.Optional(Type.Boolean()),
            status: Type.Optional(Type.String()),
            reason: Type.Optional(Type.String()),
          }),
          ...problemResponses,
          503: problemResponses[400],
        },
      },
    },
    async (request) =>
      receiveKycVerdict(services, {
        rawBody: typeof request.body === "string" ? request.body : "",
        headers: request.headers,
        requestId: String(request.id),
      }),
  );
}
