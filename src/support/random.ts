/**
 * A seeded random source. Backoff jitter takes `random` as a parameter so a test (or a replay of a
 * journaled execution) can reproduce every delay; this is the generator the executor's tests inject.
 */

/**
 * mulberry32: a tiny 32-bit PRNG with a full 2^32 period, good enough to spread retry delays and,
 * unlike `Math.random`, reproducible from its seed. Not for anything security-related.
 * Returns numbers in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
