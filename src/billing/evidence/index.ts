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
