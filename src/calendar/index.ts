export {
  addBusinessDays,
  businessDaysBefore,
  businessDaysBetween,
  defaultTimeZone,
  holidaysBetween,
  isBusinessDay,
  MAX_BUSINESS_DAYS,
  MAX_YEAR,
  MIN_YEAR,
  type Region,
} from "./business-days.js";
export {
  CHINA_HOLIDAY_ARRANGEMENTS,
  type ChinaHoliday,
  type ChinaYearArrangement,
} from "./china-overrides.js";
export { isTimeZoneName } from "./time-zones.js";
