import { AppError } from "../shared/errors.js";

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Minor units as they enter the store: kept as bigint (both drivers bind it exactly), refused
 * beyond ±2^53 so that reading the column back as a JS integer is exact too.
 */
export function minorUnitsForStore(minor: bigint): bigint {
  if (minor > MAX || minor < -MAX)
    throw new AppError(
      "internal",
      `An amount of ${minor} minor units is beyond what the store keeps exactly`,
    );
  return minor;
}

/** Minor units read from the store or stored JSON: an integer, exactly, or an error. */
export function minorUnitsFromStore(value: number | bigint | string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value))
    throw new AppError("internal", `${value} is not an exact count of minor units`);
  return BigInt(value);
}
