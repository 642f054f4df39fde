import { KvFormatError } from "../errors/kv-format-error.js";
import { castKvArray, narrow } from "./cast-kv.js";
import { allocKvArray, isKvDtype, validateKvCache, type KvArray, type KvCache, type KvDtype, type KvShape, type KvTensor } from "./kv-cache.js";

/** Quantization targets kvcdn-cli accepts: the dtype the producing model ran in, recorded as the sidecar `dtype`. */
export type QuantTarget = "F16" | "F32" | "BF16" | "FP8" | "I8";

/** One int8-quantized tensor: U8 codes (`r + 128`, in [1, 255]) and one F32 scale (`max|x|`). */
export interface QuantizedTensor {
  /** `[1, kv_heads, tokens, head_dim]`. */
  shape: KvShape;
  /** Codes, C order. */
  q: Uint8Array;
  /** `max(max|x|, f32(1e-12))`, an F32 value. */
  scale: number;
}

/** A quantized cache: what a quantized `.kv` file stores, plus the target dtype its sidecar records. */
export interface QuantizedKv {
  /** Discriminates from {@link KvCache}. */
  quantized: true;
  /** Recorded as the sidecar `dtype`; chooses the dequantization dtype. */
  target: QuantTarget;
  /** Layers 0 … n−1. */
  layers: Array<{ key: QuantizedTensor; value: QuantizedTensor }>;
}

/** Smallest scale: f32(1e-12), as in `kv_quant.rs`. */
export const MIN_QUANT_SCALE = Math.fround(1e-12);
/** `f32(1/127)`, the constant candle multiplies by when dividing by 127 (`affine(1/127, 0)`). */
export const INV_127_F32 = Math.fround(1 / 127);

const REFUSED = new Set(["U8", "I4", "U4", "FP4", "F4", "FP1"]);
const ALIASES: Readonly<Record<string, QuantTarget>> = { F16: "F16", F32: "F32", BF16: "BF16", FP8: "FP8", F8: "FP8", F8E4M3: "FP8", I8: "I8" };

/**
 * Normalize a target as kvcdn-cli does: `F16`, `F32`, `BF16`, `FP8` (aliases `F8`, `F8E4M3`), `I8`, any case.
 * `U8`, `I4`, `U4`, `FP4`, `F4`, `FP1` and anything else throw an `unsupported_dtype` {@link KvFormatError}.
 * @example parseQuantTarget("f8e4m3") // "FP8"
 */
export function parseQuantTarget(value: string): QuantTarget {
  const upper = value.trim().toUpperCase();
  const target = ALIASES[upper];
  if (target !== undefined) return target;
  throw new KvFormatError(
    REFUSED.has(upper)
      ? `quantization to ${upper} is not supported (kvcdn-cli refuses it too); use F16, F32, BF16, FP8 or I8`
      : `unknown quantization target ${JSON.stringify(value)}; use F16, F32, BF16, FP8 (F8, F8E4M3) or I8`,
    { code: "unsupported_dtype" },
  );
}

/**
 * The dtype a quantized cache dequantizes to, from its sidecar `dtype` (kvcdn-cli `load_kv`): `I8` → F16;
 * F16/F32/BF16 → themselves; `FP8` → F16 (a {@link KvCache} has no FP8; kvcdn-cli does not validate FP8 end to end);
 * no sidecar → F16.
 */
export function dequantDtypeFor(target: string | undefined): KvDtype {
  return target !== undefined && isKvDtype(target) ? target : "F16";
}

/**
 * Quantize F32 values per tensor, bit-exact with kvcdn-cli `kv_quant.rs`, every step in f32:
 * `s = max(max|x|, f32(1e-12))`, `q = clamp(round_half_away(f32(f32(x / s) * 127)), -127, 127) + 128`.
 * Non-finite input (±Inf, NaN) throws a `non_finite` {@link KvFormatError}: kvcdn-cli would produce a NaN or Inf scale
 * and meaningless codes, so we refuse instead of writing a file that cannot be dequantized.
 * @example quantizeValues(new Float32Array([1, -1, 0.25, -2])) // { scale: 2, q: Uint8Array [192, 64, 144, 1] }
 */
export function quantizeValues(values: Float32Array, name = "tensor"): { q: Uint8Array; scale: number } {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) {
      throw new KvFormatError(`${name}[${i}] is ${v}; only finite values can be quantized`, { code: "non_finite", tensor: name });
    }
    const a = Math.abs(v);
    if (a > max) max = a;
  }
  const scale = max > MIN_QUANT_SCALE ? max : MIN_QUANT_SCALE;
  const fround = Math.fround;
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = fround(fround(values[i]! / scale) * 127);
    // Round half away from zero (Rust f32::round); Math.round alone sends -63.5 to -63. b is an f32 with |b| <= 127,
    // so b ± 0.5 is exact in f64 and truncating it (`| 0`) rounds half away from zero, about 2x faster than two
    // Math.round calls and a branch (bench/format.ts).
    let r = (b < 0 ? b - 0.5 : b + 0.5) | 0;
    if (r > 127) r = 127;
    else if (r < -127) r = -127;
    q[i] = r + 128;
  }
  return { q, scale };
}

/**
 * Dequantize codes to F32: `x = f32(f32((q - 128) * s) * f32(1/127))`, as candle computes `(q - 128) * s / 127`.
 * @example dequantizeValues(new Uint8Array([192]), 2) // Float32Array [1.007874…]
 */
export function dequantizeValues(q: Uint8Array, scale: number, out: Float32Array = new Float32Array(q.length)): Float32Array {
  const s = Math.fround(scale);
  const fround = Math.fround;
  for (let i = 0; i < q.length; i++) out[i] = fround(fround((q[i]! - 128) * s) * INV_127_F32);
  return out;
}

/** Quantize one tensor (any {@link KvDtype}; F16/BF16 widen to F32 exactly first). */
export function quantizeTensor(t: KvTensor, name = "tensor"): QuantizedTensor {
  const values = castKvArray(t.data, t.dtype, "F32");
  return { shape: [...t.shape], ...quantizeValues(values, name) };
}

/**
 * Quantize a cache to per-tensor symmetric int8, byte-compatible with kvcdn-cli. The codes do not depend on
 * `target`; it is only recorded (sidecar `dtype`) and picks the dequantization dtype.
 * @example const q = quantizeKv(cache, { target: "F16" })
 */
export function quantizeKv(
  cache: KvCache,
  options: {
    /** The dtype the producing model ran in. @default "F16" */
    target?: QuantTarget | string;
  } = {},
): QuantizedKv {
  validateKvCache(cache);
  const target = parseQuantTarget(options.target ?? "F16");
  return {
    quantized: true,
    target,
    layers: cache.layers.map((l, i) => ({ key: quantizeTensor(l.key, `k_${i}`), value: quantizeTensor(l.value, `v_${i}`) })),
  };
}

/**
 * Check a quantized cache: at least one layer, identical rank-4 batch-1 shapes, code arrays of the right length,
 * finite positive scales.
 */
export function validateQuantizedKv(q: QuantizedKv): void {
  if (q.quantized !== true) throw new KvFormatError("not a quantized cache", { code: "bad_dtype" });
  parseQuantTarget(q.target);
  if (!Array.isArray(q.layers) || q.layers.length === 0) throw new KvFormatError("quantized cache has no layers", { code: "no_kv_tensors" });
  const first = q.layers[0]!.key.shape;
  if (first.length !== 4 || first[0] !== 1 || !first.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new KvFormatError(`k_0_q has shape [${first.join(",")}]; expected [1, kv_heads, tokens, head_dim]`, { code: "bad_shape", tensor: "k_0_q" });
  }
  const n = first[0] * first[1] * first[2] * first[3];
  q.layers.forEach((l, i) => {
    for (const [kv, t] of [["k", l.key], ["v", l.value]] as const) {
      const name = `${kv}_${i}`;
      if (t.shape.length !== 4 || t.shape.some((d, j) => d !== first[j])) {
        throw new KvFormatError(`${name}_q has shape [${t.shape.join(",")}], k_0_q has [${first.join(",")}]`, { code: "inconsistent_shape", tensor: `${name}_q` });
      }
      if (!(t.q instanceof Uint8Array) || t.q.length !== n) throw new KvFormatError(`${name}_q must be a Uint8Array of ${n} codes`, { code: "invalid_tensor", tensor: `${name}_q` });
      if (!Number.isFinite(t.scale) || t.scale <= 0) throw new KvFormatError(`${name}_s is ${t.scale}; scales are finite and positive`, { code: "bad_scale", tensor: `${name}_s` });
    }
  });
}

/**
 * Dequantize to a float cache, rounding to nearest even when the dtype is F16 or BF16.
 * @example const cache = dequantizeKv(q) // F16 for targets F16, I8 and FP8
 */
export function dequantizeKv<D extends KvDtype = KvDtype>(
  q: QuantizedKv,
  options: {
    /** Output dtype. @default dequantDtypeFor(q.target) */
    dtype?: D;
  } = {},
): KvCache<D> {
  validateQuantizedKv(q);
  const dtype = (options.dtype ?? dequantDtypeFor(q.target)) as D;
  if (!isKvDtype(dtype)) throw new KvFormatError(`cannot dequantize to ${String(dtype)}`, { code: "unsupported_dtype" });
  const one = (t: QuantizedTensor): KvTensor<D> => ({ dtype, shape: [...t.shape], data: dequantizeTo(dtype, t) });
  return { dtype, layers: q.layers.map((l) => ({ key: one(l.key), value: one(l.value) })) };
}

function dequantizeTo<D extends KvDtype>(dtype: D, t: QuantizedTensor): KvArray<D> {
  return dequantizeInto(t.q, t.scale, allocKvArray(dtype, t.q.length), dtype);
}

/** Codes dequantized at a time on the way to F16/BF16, so the F32 detour stays small. */
const WIDE_CHUNK_CODES = 16384;

/**
 * {@link dequantizeValues} into a caller's array of `dtype` (F16/BF16 round to nearest even, as {@link dequantizeKv}):
 * writes `q.length` elements at the start of `dst` (nothing past them is touched) and returns `dst`.
 * @example dequantizeInto(codes, scale, target.subarray(offset, offset + codes.length), "F16")
 */
export function dequantizeInto<D extends KvDtype>(q: Uint8Array, scale: number, dst: KvArray<D>, dtype: D): KvArray<D> {
  if (dst.length < q.length) throw new RangeError(`dequantizeInto: ${q.length} codes do not fit in ${dst.length} elements`);
  if (dtype === "F32") {
    dequantizeValues(q, scale, dst as Float32Array);
    return dst;
  }
  const wide = new Float32Array(Math.min(WIDE_CHUNK_CODES, q.length));
  for (let off = 0; off < q.length; off += WIDE_CHUNK_CODES) {
    const end = Math.min(q.length, off + WIDE_CHUNK_CODES);
    const part = dequantizeValues(q.subarray(off, end), scale, wide.subarray(0, end - off));
    narrow(part, dtype, (dst as Uint16Array).subarray(off, end));
  }
  return dst;
}
