import type { Analytics } from "../billing/analytics.js";
import {
  CHARGES_COLUMNS,
  CHARGES_TABLE,
  CREATE_CHARGES_TABLE,
  INSERTED_COLUMNS,
} from "../billing/charges-table.js";
import { loadEvidence } from "../billing/evidence/index.js";
import type {
  EvidenceKind,
  Incident,
  Payment,
  Promotion,
  Subscription,
  UsageInterval,
} from "../billing/evidence.js";
import type { Store } from "../store/database.js";
import type { ChargeTable } from "../store/schema.js";

const PAGE = 10_000;

/** Columns DuckDB computes itself (`x_SourceRef` from file and line) take no value. */
const STORED_COLUMNS = CHARGES_COLUMNS.filter((c) =>
  (INSERTED_COLUMNS as readonly string[]).includes(c.name),
);

/** DuckDB column → the stored charge's value (text), in CHARGES_COLUMNS order. */
function stagedValues(c: ChargeTable): (string | null)[] {
  const cut = c.source_ref.lastIndexOf(":");
  const byName: Record<string, string | null> = {
    BillingAccountId: c.billing_account_id,
    BillingAccountName: c.billing_account_name,
    SubAccountId: c.sub_account_id,
    SubAccountName: c.sub_account_name,
    ProviderName: c.provider_name,
    PublisherName: c.publisher_name,
    InvoiceIssuerName: c.invoice_issuer_name,
    InvoiceId: c.invoice_id,
    BillingPeriodStart: c.billing_period_start,
    BillingPeriodEnd: c.billing_period_end,
    ChargePeriodStart: c.charge_period_start,
    ChargePeriodEnd: c.charge_period_end,
    ChargeCategory: c.charge_category,
    ChargeClass: c.charge_class,
    ChargeFrequency: c.charge_frequency,
    ChargeDescription: c.charge_description,
    ServiceName: c.service_name,
    ServiceCategory: c.service_category,
    RegionId: c.region_id,
    RegionName: c.region_name,
    AvailabilityZone: c.availability_zone,
    ResourceId: c.resource_id,
    ResourceName: c.resource_name,
    ResourceType: c.resource_type,
    SkuId: c.sku_id,
    SkuPriceId: c.sku_price_id,
    PricingCategory: c.pricing_category,
    ConsumedQuantity: c.consumed_quantity,
    ConsumedUnit: c.consumed_unit,
    PricingQuantity: c.pricing_quantity,
    PricingUnit: c.pricing_unit,
    ListUnitPrice: c.list_unit_price,
    ContractedUnitPrice: c.contracted_unit_price,
    BilledCost: c.billed_cost,
    EffectiveCost: c.effective_cost,
    ListCost: c.list_cost,
    ContractedCost: c.contracted_cost,
    BillingCurrency: c.billing_currency,
    CommitmentDiscountId: c.commitment_discount_id,
    CommitmentDiscountStatus: c.commitment_discount_status,
    CommitmentDiscountType: c.commitment_discount_type,
    CommitmentDiscountCategory: c.commitment_discount_category,
    CommitmentDiscountQuantity: c.commitment_discount_quantity,
    CommitmentDiscountUnit: c.commitment_discount_unit,
    Tags: c.tags,
    x_SourceFile: cut > 0 ? c.source_ref.slice(0, cut) : c.source_ref,
    x_SourceLine: cut > 0 ? c.source_ref.slice(cut + 1) : null,
    x_SourceRef: c.source_ref,
    x_Extensions: c.extensions,
  };
  return STORED_COLUMNS.map((col) => byName[col.name] ?? null);
}

/** Stored times are ISO UTC (`…Z`); DuckDB's TIMESTAMP takes them without the zone. */
const castFor = (name: string, type: string): string => {
  const q = `"${name}"`;
  if (type === "TIMESTAMP") return `CAST(replace(replace(${q}, 'T', ' '), 'Z', '') AS TIMESTAMP)`;
  if (type === "VARCHAR") return q;
  return `CAST(${q} AS ${type})`;
};

/**
 * Copies an organisation's imported charges and evidence from the store into DuckDB tables of
 * the shapes the detectors read, page by page (constant memory on the JavaScript side).
 */
export async function loadOrganisationIntoAnalytics(
  store: Store,
  analytics: Analytics,
  organisationId: string,
): Promise<number> {
  const conn = analytics.connection;
  await conn.run(CREATE_CHARGES_TABLE);
  await conn.run(
    `CREATE TABLE charges_staging (${STORED_COLUMNS.map((c) => `"${c.name}" VARCHAR`).join(", ")})`,
  );
  let after = "";
  let total = 0;
  for (;;) {
    const page = await store.db
      .selectFrom("charges")
      .selectAll()
      .where("organisation_id", "=", organisationId)
      .where("id", ">", after)
      .orderBy("id")
      .limit(PAGE)
      .execute();
    if (page.length === 0) break;
    const appender = await conn.createAppender("charges_staging");
    try {
      for (const row of page) {
        for (const v of stagedValues(row)) {
          if (v === null) appender.appendNull();
          else appender.appendVarchar(v);
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    total += page.length;
    after = page[page.length - 1]!.id;
  }
  await conn.run(
    `INSERT INTO ${CHARGES_TABLE} (${STORED_COLUMNS.map((c) => `"${c.name}"`).join(", ")}) SELECT ${STORED_COLUMNS.map((c) => castFor(c.name, c.type)).join(", ")} FROM charges_staging ORDER BY x_SourceFile, CAST(x_SourceLine AS BIGINT)`,
  );
  await conn.run("DROP TABLE charges_staging");
  for (const kind of ["usage", "subscriptions", "incidents", "promotions", "payments"] as const)
    await loadEvidence(conn, kind, await storedEvidence(store, organisationId, kind));
  return total;
}

const list = (json: string): string[] => JSON.parse(json) as string[];

async function storedEvidence(store: Store, organisationId: string, kind: EvidenceKind) {
  const db = store.db;
  switch (kind) {
    case "usage":
      return (
        await db
          .selectFrom("usage_intervals")
          .selectAll()
          .where("organisation_id", "=", organisationId)
          .orderBy("id")
          .execute()
      ).map(
        (r): UsageInterval => ({
          sourceRef: r.source_ref,
          resourceId: r.resource_id,
          start: r.start_at,
          end: r.end_at,
          quantity: r.quantity,
          unit: r.unit,
        }),
      );
    case "subscriptions":
      return (
        await db
          .selectFrom("subscriptions")
          .selectAll()
          .where("organisation_id", "=", organisationId)
          .orderBy("id")
          .execute()
      ).map(
        (r): Subscription => ({
          sourceRef: r.source_ref,
          subscriptionId: r.subscription_id,
          accountId: r.account_ref,
          resourceId: r.resource_id,
          serviceName: r.service_name,
          term: r.term,
          startedAt: r.started_at,
          renewsAt: r.renews_at,
          autoRenew: r.auto_renew === 1,
          cancelledAt: r.cancelled_at,
        }),
      );
    case "incidents":
      return (
        await db
          .selectFrom("incidents")
          .selectAll()
          .where("organisation_id", "=", organisationId)
          .orderBy("id")
          .execute()
      ).map(
        (r): Incident => ({
          sourceRef: r.source_ref,
          incidentId: r.incident_id,
          serviceName: r.service_name,
          regionId: r.region_id,
          resourceIds: list(r.resource_ids),
          start: r.start_at,
          end: r.end_at,
          statusPageUrl: r.status_page_url,
        }),
      );
    case "promotions":
      return (
        await db
          .selectFrom("promotions")
          .selectAll()
          .where("organisation_id", "=", organisationId)
          .orderBy("id")
          .execute()
      ).map(
        (r): Promotion => ({
          sourceRef: r.source_ref,
          promotionId: r.promotion_id,
          code: r.code,
          accountId: r.account_ref,
          serviceNames: list(r.service_names),
          regionIds: list(r.region_ids),
          discountPercent: r.discount_percent,
          creditAmount: r.credit_amount,
          currency: r.currency,
          validFrom: r.valid_from,
          validTo: r.valid_to,
        }),
      );
    case "payments":
      // The detectors do not read instrument fingerprints; the store keeps only their keyed hash.
      return (
        await db
          .selectFrom("payments")
          .selectAll()
          .where("organisation_id", "=", organisationId)
          .orderBy("id")
          .execute()
      ).map(
        (r): Payment => ({
          sourceRef: r.source_ref,
          paymentId: r.payment_id,
          accountId: r.account_ref,
          invoiceId: r.invoice_id,
          method: r.method,
          instrumentFingerprint: null,
          amount: r.amount,
          currency: r.currency,
          paidAt: r.paid_at,
        }),
      );
  }
}
