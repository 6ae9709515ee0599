/**
 * Loads the files of one audit into an Analytics: bills into `charges`, evidence into its tables.
 * A convenience for the CLI and tests; runAudit itself only reads what is loaded.
 */
import type { Analytics } from "../billing/analytics.js";
import type { BillFormat } from "../billing/charge.js";
import { loadEvidence, readEvidenceFile } from "../billing/evidence/index.js";
import type { EvidenceKind } from "../billing/evidence.js";
import { loadChargeFile } from "../billing/load-charges.js";

export interface AuditFile {
  path: string;
  /** The name findings cite (`NAME:LINE`); default: `path` as given. */
  displayName?: string;
}

export interface AuditInputFiles {
  charges: readonly (AuditFile & { format?: BillFormat; defaultCurrency?: string })[];
  usage?: readonly AuditFile[];
  subscriptions?: readonly AuditFile[];
  incidents?: readonly AuditFile[];
  promotions?: readonly AuditFile[];
  payments?: readonly AuditFile[];
  /** `fail` (default): the first bad row or record throws and nothing of that file is loaded. */
  onInvalid?: "fail" | "collect";
}

export interface LoadedAuditInputs {
  /** Every file as given, charges first: for `meta.inputs`. */
  inputs: string[];
  charges: number;
  evidence: Partial<Record<EvidenceKind, number>>;
}

const EVIDENCE_ORDER = ["usage", "subscriptions", "incidents", "promotions", "payments"] as const;

export async function loadAuditInputs(
  analytics: Analytics,
  files: AuditInputFiles,
): Promise<LoadedAuditInputs> {
  const onInvalid = files.onInvalid ?? "fail";
  const inputs: string[] = [];
  let charges = 0;
  for (const file of files.charges) {
    const result = await loadChargeFile(analytics, {
      path: file.path,
      displayName: file.displayName ?? file.path,
      onInvalid,
      ...(file.format === undefined ? {} : { format: file.format }),
      ...(file.defaultCurrency === undefined ? {} : { defaultCurrency: file.defaultCurrency }),
    });
    charges += result.loaded;
    inputs.push(file.path);
  }
  const evidence: Partial<Record<EvidenceKind, number>> = {};
  for (const kind of EVIDENCE_ORDER) {
    for (const file of files[kind] ?? []) {
      const read = await readEvidenceFile(file.path, kind, {
        displayName: file.displayName ?? file.path,
        onInvalid,
      });
      evidence[kind] = (evidence[kind] ?? 0) + (await loadEvidence(analytics.connection, kind, read.records));
      inputs.push(file.path);
    }
  }
  return { inputs, charges, evidence };
}
