/**
 * Deterministic randomness for the data generator: sfc32 seeded through splitmix32.
 * Never `Math.random`: the same seed must give byte-identical datasets on every machine.
 * Floats produced here only pick shapes and sizes; they never hold money.
 */

/** FNV-1a 32-bit hash of a string, for deriving independent streams from labels. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A strong 32-bit integer mixer (lowbias32); mix32(x) spreads nearby inputs apart. */
export function mix32(input: number): number {
  let x = input >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const TWO_POW_32 = 4294967296;

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  readonly #lo: number;
  readonly #hi: number;
  readonly #label: string;

  /** `seed` is a non-negative safe integer; `label` derives an independent stream. */
  constructor(seed: number, label = "") {
    this.#lo = (seed % TWO_POW_32) >>> 0;
    this.#hi = Math.floor(seed / TWO_POW_32) >>> 0;
    this.#label = label;
    const init = splitmix32(this.#lo ^ mix32(this.#hi ^ hashString(label)));
    this.#a = init();
    this.#b = init();
    this.#c = init();
    this.#d = init() | 1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A new generator whose sequence depends only on the seed and the label path, not on use so far. */
  fork(label: string): Rng {
    return new Rng(this.#hi * TWO_POW_32 + this.#lo, `${this.#label}/${label}`);
  }

  /** Next unsigned 32-bit integer (sfc32). */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / TWO_POW_32;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Index chosen with probability proportional to its weight. */
  weightedIndex(weights: readonly number[]): number {
    const total = weights.reduce((s, w) => s + w, 0);
    let r = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** `length` lowercase hex digits. */
  hex(length: number): string {
    let out = "";
    while (out.length < length) out += this.next().toString(16).padStart(8, "0");
    return out.slice(0, length);
  }

  /** `length` characters from `alphabet`. */
  chars(length: number, alphabet: string): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.float() * alphabet.length)];
    return out;
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = items.slice();
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
}

/** A deterministic value in [0, 1) from a key and an index, without keeping any state. */
export function hashUnit(key: number, index: number): number {
  return mix32(mix32(key ^ 0x5bd1e995) ^ mix32(index + 0x27d4eb2f)) / TWO_POW_32;
}
