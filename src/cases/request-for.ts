import type { Db } from "../store/database.js";
import type { AccountTable, ChargeTable, OrganisationTable } from "../store/schema.js";
import { type BuiltRequest, buildRequest } from "./request-builder.js";
import type { DraftIncident, DraftLineItem, DraftUsage, RequestDraft } from "./request-draft.js";
import { type LintIssue, lintRequest } from "./request-lint.js";
import type { CaseChannel, CaseReason, DesiredOutcome } from "./vocabulary.js";

export interface RequestFacts {
  organisation: OrganisationTable;
  account: AccountTable;
  charges: readonly ChargeTable[];
  amounts: Record<string, string | null>;
  reason: CaseReason;
  desiredOutcome: DesiredOutcome;
  summary: string;
  description: string;
  impactStatement: string;
  channel: CaseChannel;
  /** The actor id (`usr_…`, `tok_…`); shown by name when it is a user. */
  filedBy: string;
  onBehalfOf: string | null;
  evidenceLabels: readonly string[];
  findingId: string | null;
}

export function lineItemOf(c: ChargeTable): DraftLineItem {
  return {
    chargeId: c.id,
    sourceRef: c.source_ref,
    providerName: c.provider_name,
    serviceName: c.service_name,
    resourceId: c.resource_id,
    resourceName: c.resource_name,
    regionId: c.region_id,
    invoiceId: c.invoice_id,
    skuId: c.sku_id,
    chargeDescription: c.charge_description,
    chargeCategory: c.charge_category,
    chargePeriodStart: c.charge_period_start,
    chargePeriodEnd: c.charge_period_end,
    pricingQuantity: c.pricing_quantity,
    pricingUnit: c.pricing_unit,
    consumedQuantity: c.consumed_quantity,
    billedCost: c.billed_cost ?? "0",
    currency: c.billing_currency ?? "USD",
  };
}

/**
 * Loads what the builder needs around the charges (usage of their resources and incidents of their
 * services within their periods, the finding) and builds the request and its lint. Works inside a
 * transaction or on the database.
 */
export async function buildRequestFor(
  db: Db,
  facts: RequestFacts,
): Promise<{ draft: RequestDraft; request: BuiltRequest; lint: LintIssue[] }> {
  const draft = await draftFor(db, facts);
  return { draft, request: buildRequest(draft), lint: lintRequest(draft) };
}

/** The draft the builder and the lint work from: the facts and what was loaded around them. */
export async function draftFor(db: Db, facts: RequestFacts): Promise<RequestDraft> {
  const orgId = facts.organisation.id;
  const usage: DraftUsage[] = [];
  const incidents: DraftIncident[] = [];
  const seenIncidents = new Set<string>();
  for (const c of facts.charges) {
    if (!c.charge_period_start || !c.charge_period_end) continue;
    if (c.resource_id) {
      const rows = await db
        .selectFrom("usage_intervals")
        .selectAll()
        .where("organisation_id", "=", orgId)
        .where("resource_id", "=", c.resource_id)
        .where("start_at", "<", c.charge_period_end)
        .where("end_at", ">", c.charge_period_start)
        .orderBy("start_at")
        .limit(500)
        .execute();
      for (const u of rows)
        usage.push({
          resourceId: u.resource_id,
          start: u.start_at,
          end: u.end_at,
          quantity: u.quantity,
          unit: u.unit,
          sourceRef: u.source_ref,
        });
    }
    if (c.service_name && facts.reason === "sla_breach") {
      const rows = await db
        .selectFrom("incidents")
        .selectAll()
        .where("organisation_id", "=", orgId)
        .where("service_name", "=", c.service_name)
        .where("start_at", "<", c.charge_period_end)
        .where("end_at", ">", c.charge_period_start)
        .orderBy("start_at")
        .limit(100)
        .execute();
      for (const i of rows) {
        if (seenIncidents.has(i.id) || (c.region_id && i.region_id !== c.region_id)) continue;
        seenIncidents.add(i.id);
        incidents.push({
          incidentId: i.incident_id,
          serviceName: i.service_name,
          regionId: i.region_id,
          start: i.start_at,
          end: i.end_at,
          statusPageUrl: i.status_page_url,
        });
      }
    }
  }
  const finding = facts.findingId
    ? await db
        .selectFrom("findings")
        .select(["id", "kind", "explanation", "details"])
        .where("organisation_id", "=", orgId)
        .where("id", "=", facts.findingId)
        .executeTakeFirst()
    : undefined;
  const user = facts.filedBy.startsWith("usr_")
    ? await db.selectFrom("users").select("name").where("id", "=", facts.filedBy).executeTakeFirst()
    : undefined;
  return {
    reason: facts.reason,
    desiredOutcome: facts.desiredOutcome,
    amounts: facts.amounts,
    summary: facts.summary,
    description: facts.description,
    impactStatement: facts.impactStatement,
    customer: {
      organisationName: facts.organisation.name,
      accountName: facts.account.name,
      accountExternalId: facts.account.external_id,
      timeZone: facts.organisation.time_zone ?? "UTC",
    },
    filedBy: { name: user?.name ?? facts.filedBy, channel: facts.channel, onBehalfOf: facts.onBehalfOf },
    lineItems: facts.charges.map(lineItemOf),
    usage,
    incidents,
    evidence: [
      ...(finding
        ? [{ kind: "reference" as const, label: `Audit finding ${finding.id} (${finding.kind})` }]
        : []),
      ...facts.evidenceLabels.map((label) => ({ kind: "reference" as const, label })),
    ],
    finding: finding
      ? {
          id: finding.id,
          kind: finding.kind,
          explanation: finding.explanation,
          figures: (JSON.parse(finding.details) as { figures?: Record<string, string> }).figures ?? {},
        }
      : null,
  };
}
