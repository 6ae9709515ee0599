import { IANAZone } from "luxon";

const checked = new Map<string, boolean>();

/**
 * Whether `name` is an IANA time zone, remembered: luxon builds an Intl formatter on every check,
 * which costs more than the rest of a deadline's arithmetic. Bounded, so hostile text (a lint
 * scanning a customer's description) cannot grow it without limit.
 */
export function isTimeZoneName(name: string): boolean {
  let valid = checked.get(name);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(name);
    if (checked.size < 1024) checked.set(name, valid);
  }
  return valid;
}
