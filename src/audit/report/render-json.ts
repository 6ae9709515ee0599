import type { AuditReport, EvidenceRef, Finding, FindingDetails } from "../finding.js";

/**
 * `--format json`: the document CONTRACT.md fixes, with keys in the contract's order so the output is
 * stable and diffable: `summary`, `findings` (each with the contract's fields, then `details`), then
 * `meta`. Extensions only add keys after the contract's; none is renamed or dropped. Two-space
 * indentation and a trailing newline.
 */
export function renderJson(report: AuditReport): string {
  const document = {
    summary: {
      charges: report.summary.charges,
      findings: report.summary.findings,
      refundable: sortedRecord(report.summary.refundable),
    },
    findings: report.findings.map(orderedFinding),
    meta: {
      asOf: report.meta.asOf,
      policyVersion: report.meta.policyVersion,
      inputs: [...report.meta.inputs],
      generatedAt: report.meta.generatedAt,
    },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function orderedFinding(f: Finding) {
  return {
    id: f.id,
    kind: f.kind,
    accountId: f.accountId,
    charges: [...f.charges],
    amount: f.amount,
    currency: f.currency,
    outcome: f.outcome,
    claimable: f.claimable,
    explanation: f.explanation,
    evidence: f.evidence.map(orderedEvidence),
    clauses: [...f.clauses],
    details: orderedDetails(f.details),
  };
}

function orderedDetails(d: FindingDetails) {
  return {
    serviceName: d.serviceName,
    regionId: d.regionId,
    resourceId: d.resourceId,
    month: d.month,
    claimBy: d.claimBy,
    figures: sortedRecord(d.figures),
  };
}

/** Keys of each evidence type in the order finding.ts declares them. */
function orderedEvidence(e: EvidenceRef): EvidenceRef {
  switch (e.type) {
    case "charge":
      return { type: e.type, ref: e.ref };
    case "usage":
      return { type: e.type, ref: e.ref, resourceId: e.resourceId, start: e.start, end: e.end };
    case "subscription":
      return { type: e.type, ref: e.ref, subscriptionId: e.subscriptionId };
    case "incident":
      return {
        type: e.type,
        ref: e.ref,
        incidentId: e.incidentId,
        start: e.start,
        end: e.end,
        statusPageUrl: e.statusPageUrl,
      };
    case "promotion":
      return { type: e.type, ref: e.ref, promotionId: e.promotionId };
    case "correction":
      return { type: e.type, ref: e.ref, amount: e.amount };
    case "sla":
      return {
        type: e.type,
        clauseId: e.clauseId,
        thresholdPercent: e.thresholdPercent,
        availabilityPercent: e.availabilityPercent,
        creditPercent: e.creditPercent,
        sourceUrl: e.sourceUrl,
      };
    default:
      // An evidence type added later: kept whole, keys sorted, rather than dropped.
      return sortedRecord(e as Record<string, unknown>) as unknown as EvidenceRef;
  }
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  // fromEntries defines own properties, so even a "__proto__" key stays data.
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key] as T]),
  );
}
