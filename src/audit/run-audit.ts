/**
 * runAudit: every detector over what is loaded in the analytical engine (the FOCUS `charges` table,
 * required, and whichever evidence tables exist), then the shared steps of docs/audit-rules.md, then
 * one explanation per finding. The heavy lifting is set-based SQL in DuckDB; JavaScript only sees
 * candidate rows, and computes every amount exactly.
 */
import type { Analytics } from "../billing/analytics.js";
import type { Policy } from "../policy/policy.js";
import { AppError } from "../shared/errors.js";
import type { Candidate } from "./candidate.js";
import { plain } from "./candidate.js";
import { findAttributableCorrections } from "./corrections.js";
import { DETECTORS } from "./detectors/index.js";
import { explain } from "./explain.js";
import { type AuditReport, type EvidenceRef, FINDING_KINDS, type Finding } from "./finding.js";
import { type SettledFinding, settleFindings, summarize } from "./settle-findings.js";
import { existingTables, readRows, str } from "./sql.js";
import { parseDate } from "./time.js";

export interface RunAuditOptions {
  policy: Policy;
  /** `YYYY-MM-DD`: the date claim windows are judged against (and prepaid terms must have ended by). */
  asOf: string;
  /** The input files, as given, for `meta.inputs`. */
  inputs?: string[];
  /** Called as the audit advances (the CLI prints it on stderr). */
  onProgress?: (step: string, done: number, total: number) => void;
}

export function toFinding(f: SettledFinding): Finding {
  const c = f.candidate;
  const evidence: EvidenceRef[] = [
    ...c.charges.map((x): EvidenceRef => ({ type: "charge", ref: x.ref })),
    ...c.evidence,
    ...f.corrections.map(
      (r): EvidenceRef => ({ type: "correction", ref: r.ref, amount: plain(r.billedCost) }),
    ),
  ];
  const figures: Record<string, string> = { ...c.figures, formulaAmount: f.formulaAmount.amount };
  if (f.correctionTotal.isPositive()) figures.correctionsApplied = f.correctionTotal.amount;
  if (f.uncappedAmount !== null) figures.amountBeforeCap = f.uncappedAmount.amount;
  return {
    id: f.id,
    kind: c.kind,
    accountId: c.accountId,
    charges: c.charges.map((x) => x.ref),
    amount: f.amount.toFixedMinor(),
    currency: c.currency,
    outcome: c.outcome,
    claimable: f.claimable,
    explanation: explain(f),
    evidence,
    clauses: c.clauses,
    details: {
      serviceName: c.serviceName,
      regionId: c.regionId,
      resourceId: c.resourceId,
      month: f.month,
      claimBy: f.claimBy,
      figures,
    },
  };
}

export async function runAudit(analytics: Analytics, options: RunAuditOptions): Promise<AuditReport> {
  const asOf = parseDate(options.asOf);
  const connection = analytics.connection;
  const tables = await existingTables(connection);
  if (!tables.has("charges")) {
    throw new AppError("validation_failed", "nothing to audit: no charges were loaded");
  }
  const total = FINDING_KINDS.length + 2;
  let done = 0;
  const progress = (step: string) => options.onProgress?.(step, done, total);

  const context = { connection, policy: options.policy, asOf, tables };
  const candidates: Candidate[] = [];
  for (const kind of FINDING_KINDS) {
    progress(`detecting ${kind}`);
    candidates.push(...(await DETECTORS[kind](context)));
    done++;
  }
  progress("applying corrections already made");
  const reducers = await findAttributableCorrections(connection, candidates);
  done++;
  progress("settling findings");
  const settled = settleFindings(candidates, reducers, { policy: options.policy, asOf: options.asOf });
  const findings = settled.map(toFinding);
  const [count] = await readRows(connection, "SELECT CAST(count(*) AS VARCHAR) AS n FROM charges");
  done++;
  progress("done");
  return {
    summary: summarize(settled, Number(str(count!, "n"))),
    findings,
    meta: {
      asOf: options.asOf,
      policyVersion: options.policy.version,
      inputs: options.inputs ?? [],
      generatedAt: new Date().toISOString(),
    },
  };
}
