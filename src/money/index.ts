export { type Currency, type CurrencyCode, currency, isCurrencyCode } from "./currency.js";
export { minorUnitsForStore, minorUnitsFromStore } from "./minor-units.js";
export {
  DECIMAL_LIMITS,
  Dec,
  type DecimalInput,
  DIVISION_DECIMAL_PLACES,
  MAX_ALLOCATION_PARTS,
  Money,
  parseDecimal,
} from "./money.js";
