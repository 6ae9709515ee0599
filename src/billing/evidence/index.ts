/**
 * Evidence files (DESIGN.md "Data the audit reads"): reading, loading into DuckDB, monthly availability.
 *
 * Decisions callers rely on:
 * - Format from the extension of `path` (else of `displayName`): `.jsonl`/`.ndjson`, `.csv`, and `.json`
 *   (incidents only: the Google Cloud status feed); `.gz` of each. Other extensions are refused.
 * - `fail` mode (default) throws `validation_failed` at the first bad record; `collect` keeps good records
 *   and lists every problem. File-level problems (unreadable, not gzip, bad CSV header, feed not an array)
 *   throw in both modes.
 * - Values are trimmed; empty strings and JSON null are "absent". Unknown fields/columns are ignored.
 * - Amounts, quantities and percentages must be decimal strings; JSON numbers are refused (they have
 *   already lost their exact text). Decimals must fit DECIMAL(38,18). Exponent notation is written out.
 * - Timestamps need an offset or `Z`; they become `YYYY-MM-DDTHH:MM:SSZ` (`.mmm` only when non-zero);
 *   sub-millisecond digits must be zeros.
 * - Lines longer than 1 MiB (CSV records longer than 1 Mi characters) are problems, not crashes.
 */
export {
  AVAILABILITY_DECIMAL_PLACES,
  availabilityPercent,
  downtimeByMonth,
  type Interval,
  type MonthDowntime,
  monthKey,
  monthLengthMs,
  splitByMonth,
  totalLength,
  unionIntervals,
} from "./availability.js";
export { MAX_RECORD_CHARS } from "./csv.js";
export {
  DECIMAL_INTEGER_DIGITS,
  DECIMAL_SCALE,
  EVIDENCE_FIELDS,
  type EvidenceRecord,
  type EvidenceRecords,
  REQUIRED_FIELDS,
} from "./fields.js";
export { GCP_STATUS_PAGE, GLOBAL_REGION } from "./gcp-status.js";
export { MAX_LINE_BYTES } from "./lines.js";
export {
  EVIDENCE_TABLES,
  evidenceColumns,
  evidenceTableSql,
  type LoadEvidenceOptions,
  loadEvidence,
  SOURCE_REF_COLUMN,
} from "./load-evidence.js";
export { describeProblem, MAX_SHOWN_CHARS } from "./problems.js";
export {
  type EvidenceSource,
  MAX_JSON_FEED_BYTES,
  type ReadEvidenceOptions,
  type ReadEvidenceResult,
  readEvidenceFile,
} from "./read-evidence-file.js";
export { formatUtc, parseTimestamp, type TimestampResult } from "./timestamps.js";
