/** A small seeded generator (mulberry32): the same seed gives the same faults, run after run. */
export interface Prng {
  /** A number in [0, 1). */
  next(): number;
}

export function seededPrng(seed: number, stream: string): Prng {
  // Each purpose gets its own stream, so drawing for one fault never shifts another's sequence.
  let state = seed >>> 0;
  for (const ch of stream) state = Math.imul(state ^ ch.charCodeAt(0), 0x9e3779b1) >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
