import type { KvArray, KvDtype } from "./kv-cache.js";

/**
 * Where one `[1, kv_heads, tokens, head_dim]` tensor goes: a `[1, kv_heads, capacity, head_dim]` buffer, so head `h`'s
 * positions start at element `h × capacity × head_dim` of `data`; positions ≥ the file's token count are left alone.
 */
export interface KvTensorTarget<D extends KvDtype = KvDtype> {
  /** At least `kv_heads × capacity × head_dim` elements (F16/BF16 as Uint16Array bit patterns). */
  data: KvArray<D>;
  /** Positions per head in `data`; at least the file's token count. */
  capacity: number;
}

/** One layer's targets. */
export interface KvLayerTargets<D extends KvDtype = KvDtype> {
  /** Where `k_{i}` goes. */
  key: KvTensorTarget<D>;
  /** Where `v_{i}` goes. */
  value: KvTensorTarget<D>;
}

/** The dimensions of a `.kv` file, from its validated header: what a caller needs to size its targets. */
export interface KvFileLayout {
  /** Number of k/v pairs. */
  numLayers: number;
  /** KV heads per layer. */
  numKvHeads: number;
  /** Tokens in the file (`k_0.shape[2]`). */
  numTokens: number;
  /** Head dimension. */
  headDim: number;
  /** The tensors' dtype in the file: a float dtype, or `"U8"` codes for a quantized file. */
  fileDtype: KvDtype | "U8";
  /** Whether the file holds int8 codes and scales (`k_{i}_q`, `k_{i}_s`). */
  quantized: boolean;
}

/**
 * Check what a caller allocated for a file: one entry per layer, each key and value a {@link KvTensorTarget} whose
 * array type matches `dtype` (Float32Array for F32, Uint16Array for F16/BF16), whose capacity is an integer ≥ the
 * file's tokens, and whose array holds `kv_heads × capacity × head_dim` elements. Throws a RangeError naming the
 * first one that is not.
 */
export function checkKvTargets<D extends KvDtype>(targets: unknown, layout: KvFileLayout, dtype: D): asserts targets is Array<KvLayerTargets<D>> {
  if (!Array.isArray(targets) || targets.length !== layout.numLayers) {
    const got = Array.isArray(targets) ? `${targets.length} layers` : typeof targets;
    throw new RangeError(`allocate returned ${got}; the file has ${layout.numLayers} layers`);
  }
  const want = dtype === "F32" ? Float32Array : Uint16Array;
  targets.forEach((layer: unknown, i) => {
    for (const kind of ["key", "value"] as const) {
      const name = `layer ${i} ${kind}`;
      const target = typeof layer === "object" && layer !== null ? (layer as Record<string, unknown>)[kind] : undefined;
      if (typeof target !== "object" || target === null) throw new RangeError(`allocate returned no ${name} target`);
      const { data, capacity } = target as Record<string, unknown>;
      if (!(data instanceof want)) throw new RangeError(`${name}: data must be a ${want.name} for ${dtype} targets`);
      if (typeof capacity !== "number" || !Number.isSafeInteger(capacity) || capacity < layout.numTokens) {
        throw new RangeError(`${name}: capacity ${String(capacity)} must be an integer ≥ the file's ${layout.numTokens} tokens`);
      }
      const need = layout.numKvHeads * capacity * layout.headDim;
      if (data.length < need) {
        throw new RangeError(`${name}: data has ${data.length} elements; ${layout.numKvHeads} heads × ${capacity} positions × ${layout.headDim} need ${need}`);
      }
    }
  });
}
