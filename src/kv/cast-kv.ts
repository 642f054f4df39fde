import { KvFormatError } from "../errors/kv-format-error.js";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "./float16.js";
import { allocKvArray, isKvDtype, validateKvCache, type KvArray, type KvCache, type KvDtype, type KvTensor } from "./kv-cache.js";

/**
 * Convert one tensor's elements to another dtype. Widening is exact; narrowing rounds to nearest even.
 * Same dtype returns the same array (no copy).
 * @example const f32 = castKvArray(t.data, "F16", "F32")
 */
export function castKvArray<To extends KvDtype>(data: KvArray, from: KvDtype, to: To): KvArray<To> {
  if (from === to) return data as KvArray<To>;
  return castKvArrayInto(data, from, allocKvArray(to, data.length), to);
}

/** Elements converted at a time when F16 ↔ BF16 goes through F32, so the F32 detour stays small. */
const WIDE_CHUNK_ELEMENTS = 16384;

/**
 * {@link castKvArray} into a caller's array: writes `src.length` elements at the start of `dst` (a view into a
 * larger buffer is fine; nothing past them is touched) and returns `dst`. Same dtype copies.
 * @example castKvArrayInto(f16Head, "F16", target.subarray(offset, offset + f16Head.length), "F32")
 */
export function castKvArrayInto<To extends KvDtype>(src: KvArray, from: KvDtype, dst: KvArray<To>, to: To): KvArray<To> {
  if (dst.length < src.length) throw new RangeError(`castKvArrayInto: ${src.length} elements do not fit in ${dst.length}`);
  if (from === to) {
    (dst as KvArray).set(src as never);
    return dst;
  }
  const out = dst.subarray(0, src.length) as KvArray;
  if (to === "F32") {
    widen(src as Uint16Array, from, out as Float32Array);
  } else if (from === "F32") {
    narrow(src as Float32Array, to, out as Uint16Array);
  } else {
    const wide = new Float32Array(Math.min(WIDE_CHUNK_ELEMENTS, src.length));
    for (let off = 0; off < src.length; off += WIDE_CHUNK_ELEMENTS) {
      const end = Math.min(src.length, off + WIDE_CHUNK_ELEMENTS);
      const part = wide.subarray(0, end - off);
      widen((src as Uint16Array).subarray(off, end), from, part);
      narrow(part, to, (out as Uint16Array).subarray(off, end));
    }
  }
  return dst;
}

function widen(src: Uint16Array, from: KvDtype, dst: Float32Array): void {
  if (from === "F16") f16ToF32(src, dst);
  else bf16ToF32(src, dst);
}

/** Narrow F32 to F16 or BF16 bits, round to nearest even (writes `src.length` elements of `dst`). */
export function narrow(src: Float32Array, to: KvDtype, dst: Uint16Array): void {
  if (to === "F16") f32ToF16(src, dst);
  else f32ToBf16(src, dst);
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
