import type { KvCache, KvTensor } from "../../../src/kv/index.js";

/** A small F32 cache whose every value is `fill`: two versions have the same shape and size but different bytes. */
export function crashCache(fill: number): KvCache<"F32"> {
  const t = (): KvTensor<"F32"> => ({ dtype: "F32", shape: [1, 2, 3, 4], data: new Float32Array(24).fill(fill) });
  return { dtype: "F32", layers: [0, 1].map(() => ({ key: t(), value: t() })) };
}
