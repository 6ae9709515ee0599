/**
 * The audit engine (docs/audit-rules.md): detectors as SQL over the FOCUS `charges` table and the
 * evidence tables, then the shared steps (corrections, per-charge cap, rounding, claim windows, ids,
 * order, summary) and one explanation per finding.
 */
export type { Candidate, ClaimWindow, ExplainFacts } from "./candidate.js";
export type { ChargeFact } from "./charge-fact.js";
export { claimBy, isClaimable } from "./claim-window.js";
export { findAttributableCorrections, type Reducer } from "./corrections.js";
export { DETECTORS, type Detector, type DetectorContext } from "./detectors/index.js";
export { describeDuration, describePeriod, describeSpan, explain } from "./explain.js";
export * from "./finding.js";
export { KIND_RULES } from "./kinds.js";
export {
  type AuditFile,
  type AuditInputFiles,
  type LoadedAuditInputs,
  loadAuditInputs,
} from "./load-inputs.js";
export { type RunAuditOptions, runAudit, toFinding } from "./run-audit.js";
export { findingId, type SettledFinding, settleFindings, summarize } from "./settle-findings.js";
