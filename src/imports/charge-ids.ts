import { randomBytes } from "node:crypto";
import { ID_PREFIXES } from "../shared/ids.js";

const BASE32 = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford's, lowercase as newId writes it
const LOW = 2 ** 40;

/**
 * Charge ids of `newId("charge")`'s form (`chg_` + a lowercase ULID: 48-bit milliseconds, 80 random
 * bits), minted for a bulk import at a fraction of `newId`'s cost (it costs more per id than storing
 * the row's columns does to bind). Within a millisecond the ids count up from a fresh random 80-bit
 * value, as ULID's monotonic mode does, so they stay unique and time-ordered.
 */
export class ChargeIds {
  private time = -1;
  /** Prefix, time and the high 40 random bits; the low 40 bits count up. */
  private head = "";
  private low = 0;

  next(): string {
    const now = Date.now();
    if (now > this.time || this.low >= LOW - 1) {
      // A new millisecond (or, past 2^40 ids in one, new random bits): start from a random value.
      this.time = Math.max(now, this.time);
      const random = randomBytes(10);
      this.head = `${ID_PREFIXES.charge}_${base32(this.time, 10)}${base32(random.readUIntBE(0, 5), 8)}`;
      // Leave room to count up without carrying into the high bits.
      this.low = random.readUIntBE(5, 5) % 2 ** 39;
    } else {
      this.low++;
    }
    return this.head + base32(this.low, 8);
  }
}

/** `value` (< 32^digits) as `digits` base-32 characters. */
function base32(value: number, digits: number): string {
  let text = "";
  let rest = value;
  for (let i = 0; i < digits; i++) {
    text = BASE32.charAt(rest % 32) + text;
    rest = Math.floor(rest / 32);
  }
  return text;
}
