import { KvFormatError } from "../errors/kv-format-error.js";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "./float16.js";
import { isKvDtype, validateKvCache, type KvArray, type KvCache, type KvDtype, type KvTensor } from "./kv-cache.js";

/**
 * Convert one tensor's elements to another dtype. Widening is exact; narrowing rounds to nearest even.
 * Same dtype returns the same array (no copy).
 * @example const f32 = castKvArray(t.data, "F16", "F32")
 */
export function castKvArray<To extends KvDtype>(data: KvArray, from: KvDtype, to: To): KvArray<To> {
  if (from === to) return data as KvArray<To>;
  const wide = from === "F32" ? (data as Float32Array) : from === "F16" ? f16ToF32(data as Uint16Array) : bf16ToF32(data as Uint16Array);
  if (to === "F32") return wide as KvArray<To>;
  return (to === "F16" ? f32ToF16(wide) : f32ToBf16(wide)) as KvArray<To>;
}

/** Convert a tensor; see {@link castKvArray}. */
export function castKvTensor<To extends KvDtype>(t: KvTensor, to: To): KvTensor<To> {
  return { dtype: to, shape: [...t.shape], data: castKvArray(t.data, t.dtype, to) };
}

/**
 * Convert a whole cache to `dtype` (F32 ↔ F16 ↔ BF16; narrowing rounds to nearest even, like the `half` crate).
 * @example const f16 = castKv(cache, "F16")
 */
export function castKv<To extends KvDtype>(cache: KvCache, dtype: To): KvCache<To> {
  if (!isKvDtype(dtype)) throw new KvFormatError(`cannot convert to ${String(dtype)}; use F32, F16 or BF16`, { code: "unsupported_dtype" });
  validateKvCache(cache);
  return { dtype, layers: cache.layers.map((l) => ({ key: castKvTensor(l.key, dtype), value: castKvTensor(l.value, dtype) })) };
}
