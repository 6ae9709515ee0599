export { type Analytics, type AnalyticsOptions, openAnalytics } from "./analytics.js";
export { badFile, describeProblem, quoteValue } from "./bad-file.js";
export {
  BILL_FORMATS,
  type BillFormat,
  CHARGE_CATEGORIES,
  CHARGE_FREQUENCIES,
  type Charge,
  type ChargeCategory,
  type ChargeFrequency,
  type RowProblem,
  type SourcePosition,
} from "./charge.js";
export {
  CHARGES_COLUMNS,
  CHARGES_TABLE,
  CREATE_CHARGES_TABLE,
  FOCUS_COLUMNS,
  type FocusColumn,
  INSERTED_COLUMNS,
} from "./charges-table.js";
export { detectBillFormat } from "./detect-format.js";
export {
  type LoadChargeFileOptions,
  type LoadChargeFileResult,
  loadChargeFile,
  MAX_LINE_BYTES,
} from "./load-charges.js";
export { type ReadChargeBatchesOptions, readChargeBatches } from "./read-charge-rows.js";
export {
  CHARGE_TEXT_AT,
  type ChargeFileReader,
  type ChargeSink,
  type ChargeText,
  type ChargeTextBatch,
  openChargeFile,
} from "./stream-charges.js";
