import { appendAuditEntry } from "../audit-log/append-audit-entry.js";
import { analyticsOptions } from "../billing/analytics-options.js";
import type { BillFormat, RowProblem } from "../billing/charge.js";
import { readEvidenceFile } from "../billing/evidence/index.js";
import type {
  EvidenceKind,
  Incident,
  Payment,
  Promotion,
  Subscription,
  UsageInterval,
} from "../billing/evidence.js";
import { CHARGE_TEXT_AT, type ChargeText, openAnalytics, openChargeFile } from "../billing/index.js";
import { enqueueJob } from "../jobs/enqueue-job.js";
import type { Services, WriteContext } from "../shared/context.js";
import { AppError, notFound } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { deriveKey, keyedHash } from "../shared/secrets.js";
import { bulkInsert, bulkWriter } from "../store/bulk-insert.js";
import { inTransaction, type Tx } from "../store/database.js";
import { CHARGE_TEXT_COLUMNS } from "../store/migrations/0002-billing-data.js";
import { ChargeIds } from "./charge-ids.js";
import { fileSha256 } from "./file-digest.js";
import type { ImportKind } from "./import-kinds.js";

export interface ImportProgress {
  phase: "reading" | "storing";
  done: number;
  total: number | null;
}

export interface ImportFileInput {
  organisationId: string;
  kind: ImportKind;
  /** Where the bytes are on this machine. */
  path: string;
  /** The name charges cite (`FILE:LINE`): the file name as the user gave it. */
  fileName: string;
  format?: BillFormat;
  /** `fail`: the first bad row aborts and nothing is imported; `collect`: valid rows import, bad ones are returned. */
  onInvalid: "fail" | "collect";
  /** An import row created earlier (an upload waiting for its job). */
  importId?: string;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportOutcome {
  importId: string;
  duplicate: boolean;
  format: string | null;
  rowsImported: number;
  rowsInvalid: number;
  invalid: RowProblem[];
  accountsCreated: string[];
}

const BATCH = 2000;

/**
 * Imports one file into an organisation: validate everything first, then one transaction
 * with the rows, any member accounts the bill names for the first time, and the audit entry.
 * The same bytes imported again into the same organisation are a no-op.
 */
export async function importFile(
  services: Services,
  ctx: WriteContext,
  input: ImportFileInput,
): Promise<ImportOutcome> {
  const { store, clock } = services;
  const org = await store.db
    .selectFrom("organisations")
    .selectAll()
    .where("id", "=", input.organisationId)
    .executeTakeFirst();
  if (org?.kind !== "customer" || !org.billing_account_id) throw notFound("Organisation");
  const billing = await store.db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", org.billing_account_id)
    .executeTakeFirstOrThrow();
  const sha = await fileSha256(input.path);

  const earlier = await store.db
    .selectFrom("imports")
    .select(["id", "format", "rows_imported", "rows_invalid"])
    .where("organisation_id", "=", org.id)
    .where("kind", "=", input.kind)
    .where("content_sha256", "=", sha)
    .where("status", "=", "succeeded")
    .executeTakeFirst();
  if (earlier) {
    if (input.importId) await markDuplicate(services, input.importId, earlier.id);
    return {
      importId: earlier.id,
      duplicate: true,
      format: earlier.format,
      rowsImported: earlier.rows_imported,
      rowsInvalid: earlier.rows_invalid,
      invalid: [],
      accountsCreated: [],
    };
  }

  const importId = input.importId ?? newId("import");
  const startedAt = clock.now().toISOString();
  try {
    const outcome =
      input.kind === "charges"
        ? await importCharges(services, ctx, input, { importId, sha, orgId: org.id, billing, startedAt })
        : await importEvidence(services, ctx, input, input.kind, { importId, sha, orgId: org.id, startedAt });
    return outcome;
  } catch (error) {
    if (input.importId) await markFailed(services, input.importId, error);
    throw error;
  }
}

interface ImportFrame {
  importId: string;
  sha: string;
  orgId: string;
  startedAt: string;
}

async function importCharges(
  services: Services,
  ctx: WriteContext,
  input: ImportFileInput,
  frame: ImportFrame & { billing: { id: string; external_id: string | null; currency: string } },
): Promise<ImportOutcome> {
  const { store } = services;
  input.onProgress?.({ phase: "reading", done: 0, total: null });
  // One DuckDB thread unless configured: it reads, checks and formats rows faster than the store
  // takes them, and more threads only compete with JavaScript for cores and hold more read buffers.
  const analytics = await openAnalytics({
    ...analyticsOptions(services.config),
    threads: services.config.analyticsThreads ?? 1,
  });
  try {
    // The header is checked and the line breaks counted before the store's transaction opens.
    const reader = await openChargeFile(analytics, {
      path: input.path,
      displayName: input.fileName,
      format: input.format,
      onInvalid: input.onInvalid,
      defaultCurrency: frame.billing.currency,
      defaultBillingAccountId: frame.billing.external_id ?? undefined,
    });
    const total = reader.sourceRows;
    input.onProgress?.({ phase: "storing", done: 0, total });
    const accountsCreated: string[] = [];
    const result = await inTransaction(store, async (tx) => {
      await upsertImportRow(tx, input, frame, {
        format: reader.format,
        total,
        at: frame.startedAt,
        actor: ctx.actor,
      });
      const accounts = await accountResolver(services, tx, ctx, frame.orgId, frame.billing, accountsCreated);
      // Rows stream from DuckDB as they are validated; a bad file throws and rolls all of this back.
      const writer = bulkWriter(store, tx, "charges", CHARGE_COLUMNS, {
        organisation_id: frame.orgId,
        import_id: frame.importId,
      });
      const ids = new ChargeIds();
      let done = 0;
      const read = await reader.read({
        async write({ rows, sourceRefs }) {
          for (let i = 0; i < rows.length; i++) {
            const row = rows[i] as ChargeText;
            const external = (row[SUB_ACCOUNT_ID] ?? row[BILLING_ACCOUNT_ID]) as string;
            const account = accounts.known(external) ?? (await accounts.resolve(row));
            // CHARGE_COLUMNS: the charge's text columns, then these.
            row.push(
              ids.next(),
              account,
              sourceRefs[i] as string,
              (row[CHARGE_PERIOD_START] as string).slice(0, 7),
            );
          }
          await writer.write(rows);
          done += rows.length;
          input.onProgress?.({ phase: "storing", done, total });
        },
        async restart() {
          await tx.deleteFrom("charges").where("import_id", "=", frame.importId).execute();
          done = 0;
        },
      });
      await completeImport(services, tx, ctx, input, frame, {
        rows: read.loaded,
        invalid: read.invalid.length,
        format: read.format,
        accountsCreated,
      });
      return read;
    });
    return {
      importId: frame.importId,
      duplicate: false,
      format: result.format,
      rowsImported: result.loaded,
      rowsInvalid: result.invalid.length,
      invalid: result.invalid,
      accountsCreated,
    };
  } finally {
    analytics.close();
  }
}

/** The store's charge columns, in the order the importer binds them: a `ChargeText`, then four more. */
const CHARGE_COLUMNS = [...CHARGE_TEXT_COLUMNS, "id", "account_id", "source_ref", "month"];

const BILLING_ACCOUNT_ID = CHARGE_TEXT_AT.BillingAccountId;
const SUB_ACCOUNT_ID = CHARGE_TEXT_AT.SubAccountId;
const SUB_ACCOUNT_NAME = CHARGE_TEXT_AT.SubAccountName;
const CHARGE_PERIOD_START = CHARGE_TEXT_AT.ChargePeriodStart;
const BILLING_CURRENCY = CHARGE_TEXT_AT.BillingCurrency;

// A ChargeText is the store's text columns in order (FOCUS names in snake case, then extensions).
for (const [name, at] of Object.entries(CHARGE_TEXT_AT)) {
  const column =
    name === "x_Extensions" ? "extensions" : name.replace(/(?<=.)[A-Z]/g, (c) => `_${c}`).toLowerCase();
  if (CHARGE_TEXT_COLUMNS[at] !== column) throw new Error(`charges column ${at} is not ${column}`);
}

interface AccountResolver {
  /** The account of a provider account id already known (the common case: no await per row). */
  known(external: string): string | undefined;
  /** Resolves a charge whose account is not known yet, creating it when the bill names it first. */
  resolve(row: ChargeText): Promise<string>;
}

/**
 * Maps a charge to one of the organisation's accounts by the provider's account id
 * (`SubAccountId`, else `BillingAccountId`). A sub-account seen for the first time becomes
 * a member account, so a consolidated bill lands on the accounts it names.
 */
async function accountResolver(
  services: Services,
  tx: Tx,
  ctx: WriteContext,
  orgId: string,
  billing: { id: string; external_id: string | null; currency: string },
  created: string[],
): Promise<AccountResolver> {
  const known = new Map<string, string>();
  const rows = await tx
    .selectFrom("accounts")
    .select(["id", "external_id"])
    .where("organisation_id", "=", orgId)
    .execute();
  for (const r of rows) if (r.external_id) known.set(r.external_id, r.id);
  const now = services.clock.now().toISOString();
  return {
    known: (external) => known.get(external),
    async resolve(row) {
      const billingAccountId = row[BILLING_ACCOUNT_ID] as string;
      const subAccountId = row[SUB_ACCOUNT_ID] ?? null;
      const subAccountName = row[SUB_ACCOUNT_NAME] ?? null;
      const external = subAccountId ?? billingAccountId;
      const hit = known.get(external);
      if (hit) return hit;
      if (external === billingAccountId && billing.external_id === null && subAccountId === null) {
        // The organisation's billing account learns its provider id from its first bill.
        await tx
          .updateTable("accounts")
          .set({ external_id: external })
          .where("id", "=", billing.id)
          .execute();
        known.set(external, billing.id);
        billing.external_id = external;
        return billing.id;
      }
      const id = newId("account");
      await tx
        .insertInto("accounts")
        .values({
          id,
          organisation_id: orgId,
          name: subAccountName ?? `Account ${external}`,
          external_id: external,
          is_billing: 0,
          currency: row[BILLING_CURRENCY] as string,
          kyc_status: "unverified",
          created_at: now,
          version: 1,
        })
        .execute();
      await appendAuditEntry(tx, services.store.capabilities, {
        actor: ctx.actor,
        action: "account.created_from_bill",
        subjectType: "account",
        subjectId: id,
        organisationId: orgId,
        summary: { externalId: external, name: subAccountName },
        requestId: ctx.requestId,
        at: now,
      });
      known.set(external, id);
      created.push(id);
      return id;
    },
  };
}

async function upsertImportRow(
  tx: Tx,
  input: ImportFileInput,
  frame: ImportFrame,
  info: { format: string | null; total: number | null; at: string; actor: string },
): Promise<void> {
  if (input.importId) {
    await tx
      .updateTable("imports")
      .set({ status: "running", format: info.format, rows_total: info.total, started_at: info.at })
      .where("id", "=", input.importId)
      .execute();
    return;
  }
  await tx
    .insertInto("imports")
    .values({
      id: frame.importId,
      organisation_id: frame.orgId,
      kind: input.kind,
      file_name: input.fileName,
      content_sha256: frame.sha,
      format: info.format,
      status: "running",
      rows_total: info.total,
      rows_imported: 0,
      rows_invalid: 0,
      options: JSON.stringify({ onInvalid: input.onInvalid, format: input.format ?? null }),
      created_by: info.actor,
      created_at: info.at,
      started_at: info.at,
    })
    .execute();
}

async function completeImport(
  services: Services,
  tx: Tx,
  ctx: WriteContext,
  input: ImportFileInput,
  frame: ImportFrame,
  result: { rows: number; invalid: number; format: string | null; accountsCreated: string[] },
): Promise<void> {
  const at = services.clock.now().toISOString();
  await tx
    .updateTable("imports")
    .set({
      status: "succeeded",
      rows_total: result.rows,
      rows_imported: result.rows,
      rows_invalid: result.invalid,
      finished_at: at,
    })
    .where("id", "=", frame.importId)
    .execute();
  // New bills or evidence change what the audit finds: re-audit the organisation.
  await enqueueJob(tx, { kind: "audit.run", payload: { organisationId: frame.orgId }, at, coalesce: true });
  await appendAuditEntry(tx, services.store.capabilities, {
    actor: ctx.actor,
    action: "import.completed",
    subjectType: "import",
    subjectId: frame.importId,
    organisationId: frame.orgId,
    summary: {
      kind: input.kind,
      file: input.fileName,
      sha256: frame.sha,
      format: result.format,
      rows: result.rows,
      rejected: result.invalid,
      accountsCreated: result.accountsCreated,
    },
    requestId: ctx.requestId,
    at,
  });
}

async function importEvidence(
  services: Services,
  ctx: WriteContext,
  input: ImportFileInput,
  kind: EvidenceKind,
  frame: ImportFrame,
): Promise<ImportOutcome> {
  const { store } = services;
  input.onProgress?.({ phase: "reading", done: 0, total: null });
  const read = await readEvidenceFile(input.path, kind, {
    displayName: input.fileName,
    onInvalid: input.onInvalid,
  });
  const total = read.records.length;
  input.onProgress?.({ phase: "storing", done: 0, total });
  const fingerprintKey = deriveKey(services.config.secretKey, "identity-fingerprints");
  await inTransaction(store, async (tx) => {
    await upsertImportRow(tx, input, frame, {
      format: read.source,
      total,
      at: frame.startedAt,
      actor: ctx.actor,
    });
    const base = (sourceRef: string) => [newId("evidence"), frame.orgId, frame.importId, sourceRef];
    for (let i = 0; i < total; i += BATCH) {
      const slice = read.records.slice(i, i + BATCH);
      await insertEvidenceRows(store, tx, kind, slice, base, fingerprintKey);
      input.onProgress?.({ phase: "storing", done: Math.min(i + BATCH, total), total });
    }
    await completeImport(services, tx, ctx, input, frame, {
      rows: total,
      invalid: read.invalid.length,
      format: read.source,
      accountsCreated: [],
    });
  });
  return {
    importId: frame.importId,
    duplicate: false,
    format: read.source,
    rowsImported: total,
    rowsInvalid: read.invalid.length,
    invalid: read.invalid,
    accountsCreated: [],
  };
}

async function insertEvidenceRows(
  store: Services["store"],
  tx: Tx,
  kind: EvidenceKind,
  records: readonly unknown[],
  base: (sourceRef: string) => string[],
  fingerprintKey: Buffer,
): Promise<void> {
  const head = ["id", "organisation_id", "import_id", "source_ref"];
  if (kind === "usage") {
    const rows = (records as UsageInterval[]).map((r) => [
      ...base(r.sourceRef),
      r.resourceId,
      r.start,
      r.end,
      r.quantity,
      r.unit,
    ]);
    await bulkInsert(
      store,
      tx,
      "usage_intervals",
      [...head, "resource_id", "start_at", "end_at", "quantity", "unit"],
      rows,
    );
  } else if (kind === "subscriptions") {
    const rows = (records as Subscription[]).map((r) => [
      ...base(r.sourceRef),
      r.subscriptionId,
      r.accountId,
      r.resourceId,
      r.serviceName,
      r.term,
      r.startedAt,
      r.renewsAt,
      r.autoRenew ? 1 : 0,
      r.cancelledAt,
    ]);
    await bulkInsert(
      store,
      tx,
      "subscriptions",
      [
        ...head,
        "subscription_id",
        "account_ref",
        "resource_id",
        "service_name",
        "term",
        "started_at",
        "renews_at",
        "auto_renew",
        "cancelled_at",
      ],
      rows,
      { auto_renew: "integer" },
    );
  } else if (kind === "incidents") {
    const rows = (records as Incident[]).map((r) => [
      ...base(r.sourceRef),
      r.incidentId,
      r.serviceName,
      r.regionId,
      JSON.stringify(r.resourceIds),
      r.start,
      r.end,
      r.statusPageUrl,
    ]);
    await bulkInsert(
      store,
      tx,
      "incidents",
      [
        ...head,
        "incident_id",
        "service_name",
        "region_id",
        "resource_ids",
        "start_at",
        "end_at",
        "status_page_url",
      ],
      rows,
    );
  } else if (kind === "promotions") {
    const rows = (records as Promotion[]).map((r) => [
      ...base(r.sourceRef),
      r.promotionId,
      r.code,
      r.accountId,
      JSON.stringify(r.serviceNames),
      JSON.stringify(r.regionIds),
      r.discountPercent,
      r.creditAmount,
      r.currency,
      r.validFrom,
      r.validTo,
    ]);
    await bulkInsert(
      store,
      tx,
      "promotions",
      [
        ...head,
        "promotion_id",
        "code",
        "account_ref",
        "service_names",
        "region_ids",
        "discount_percent",
        "credit_amount",
        "currency",
        "valid_from",
        "valid_to",
      ],
      rows,
    );
  } else {
    // NOTE: instrument fingerprints are stored only as keyed hashes (as KYC does).
    const rows = (records as Payment[]).map((r) => [
      ...base(r.sourceRef),
      r.paymentId,
      r.accountId,
      r.invoiceId,
      r.method,
      r.instrumentFingerprint ? keyedHash(fingerprintKey, r.instrumentFingerprint) : null,
      r.amount,
      r.currency,
      r.paidAt,
    ]);
    await bulkInsert(
      store,
      tx,
      "payments",
      [
        ...head,
        "payment_id",
        "account_ref",
        "invoice_id",
        "method",
        "instrument_fingerprint_id",
        "amount",
        "currency",
        "paid_at",
      ],
      rows,
    );
  }
}

async function markDuplicate(services: Services, importId: string, earlierId: string): Promise<void> {
  await services.store.db
    .updateTable("imports")
    .set({ status: "succeeded", finished_at: services.clock.now().toISOString(), duplicate_of: earlierId })
    .where("id", "=", importId)
    .execute();
}

async function markFailed(services: Services, importId: string, error: unknown): Promise<void> {
  const detail =
    error instanceof AppError
      ? { code: error.code, detail: error.message, ...error.extensions }
      : { code: "internal", detail: "The import failed unexpectedly" };
  await services.store.db
    .updateTable("imports")
    .set({ status: "failed", finished_at: services.clock.now().toISOString(), error: JSON.stringify(detail) })
    .where("id", "=", importId)
    .execute();
}
