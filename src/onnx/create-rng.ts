/**
 * A seeded pseudo-random generator of floats in [0, 1) (mulberry32: 32-bit state, fast, and the same sequence on
 * every platform), so sampled continuations are reproducible from their seed.
 * @example const rng = createRng(42); rng() // 0.4813160905614495
 */
export function createRng(seed: number): () => number {
  let state = (Math.trunc(seed) >>> 0) ^ 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
