import { KvFormatError } from "../errors/kv-format-error.js";

/** Float dtypes a {@link KvCache} can hold. F16/BF16 data are raw bit patterns in a Uint16Array. */
export type KvDtype = "F32" | "F16" | "BF16";

/** `[batch (always 1), num_kv_heads, num_tokens, head_dim]`, the layout of kvcdn-cli's `k_{i}`/`v_{i}`. */
export type KvShape = [batch: number, kvHeads: number, tokens: number, headDim: number];

/** The element array of a dtype: Float32Array for F32, Uint16Array bit patterns for F16 and BF16. */
export type KvArray<D extends KvDtype = KvDtype> = D extends "F32" ? Float32Array : Uint16Array;

/** One key or value tensor, C order. */
export interface KvTensor<D extends KvDtype = KvDtype> {
  /** Element type. */
  dtype: D;
  /** `[1, kv_heads, tokens, head_dim]`. */
  shape: KvShape;
  /** `product(shape)` elements. */
  data: KvArray<D>;
}

/** One decoder layer's cache entry. */
export interface KvLayer<D extends KvDtype = KvDtype> {
  /** Keys: post-norm, post-RoPE, pre-GQA-repeat (see docs/kv-format.md#unquantized-tensors). */
  key: KvTensor<D>;
  /** Values: raw `v_proj` output. */
  value: KvTensor<D>;
}

/** A KV cache: every layer's key and value, all with one dtype and one shape. */
export interface KvCache<D extends KvDtype = KvDtype> {
  /** Element type of every tensor. */
  dtype: D;
  /** Layers 0 … num_layers − 1. */
  layers: Array<KvLayer<D>>;
}

/** Dimensions of a valid cache. */
export interface KvCacheInfo {
  /** Element type. */
  dtype: KvDtype;
  /** Number of layers (k/v pairs). */
  numLayers: number;
  /** KV heads per layer (before any GQA repeat). */
  numKvHeads: number;
  /** Sequence length. */
  numTokens: number;
  /** Head dimension. */
  headDim: number;
}

/** True for `"F32"`, `"F16"` and `"BF16"`. */
export function isKvDtype(value: unknown): value is KvDtype {
  return value === "F32" || value === "F16" || value === "BF16";
}

/** Bytes per element of a {@link KvDtype}. */
export function kvDtypeSize(dtype: KvDtype): number {
  return dtype === "F32" ? 4 : 2;
}

/** Allocate a zero-filled array for `length` elements of `dtype`. */
export function allocKvArray<D extends KvDtype>(dtype: D, length: number): KvArray<D> {
  return (dtype === "F32" ? new Float32Array(length) : new Uint16Array(length)) as KvArray<D>;
}

/**
 * Check that a cache is well formed — at least one layer, one dtype, rank-4 `[1, heads, tokens, dim]` tensors with
 * identical shapes, arrays of the right type and length — and return its dimensions.
 * @example const { numTokens } = validateKvCache(cache)
 */
export function validateKvCache(cache: KvCache): KvCacheInfo {
  if (!isKvDtype(cache.dtype)) throw new KvFormatError(`cache dtype ${String(cache.dtype)} is not F32, F16 or BF16`, { code: "bad_dtype" });
  if (!Array.isArray(cache.layers) || cache.layers.length === 0) throw new KvFormatError("cache has no layers", { code: "no_kv_tensors" });
  let shape: KvShape | undefined;
  cache.layers.forEach((layer, i) => {
    for (const [kind, t] of [["k", layer?.key], ["v", layer?.value]] as const) {
      const name = `${kind}_${i}`;
      if (t === undefined) throw new KvFormatError(`layer ${i} has no ${kind === "k" ? "key" : "value"}`, { code: "missing_tensor", tensor: name });
      if (t.dtype !== cache.dtype) {
        throw new KvFormatError(`${name} is ${t.dtype} but the cache is ${cache.dtype}`, { code: "bad_dtype", tensor: name });
      }
      checkShape(name, t.shape);
      if (shape === undefined) shape = t.shape;
      else if (!sameShape(shape, t.shape)) {
        throw new KvFormatError(`${name} has shape [${t.shape.join(",")}], k_0 has [${shape.join(",")}]`, { code: "inconsistent_shape", tensor: name });
      }
      const wantArray = cache.dtype === "F32" ? Float32Array : Uint16Array;
      const n = t.shape[0] * t.shape[1] * t.shape[2] * t.shape[3];
      if (!(t.data instanceof wantArray) || t.data.length !== n) {
        throw new KvFormatError(`${name} must be a ${wantArray.name} of ${n} elements`, { code: "invalid_tensor", tensor: name });
      }
    }
  });
  const s = shape!;
  return { dtype: cache.dtype, numLayers: cache.layers.length, numKvHeads: s[1], numTokens: s[2], headDim: s[3] };
}

function checkShape(name: string, shape: readonly number[]): asserts shape is KvShape {
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new KvFormatError(`${name} has shape ${JSON.stringify(shape)}; expected [1, kv_heads, tokens, head_dim]`, { code: "bad_shape", tensor: name });
  }
  if (shape[0] !== 1) throw new KvFormatError(`${name} has batch ${shape[0]}; only batch 1 is supported`, { code: "bad_shape", tensor: name });
}

/** True if two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Keep the first `n` tokens of every layer (`[:, :, 0:n, :]`), for partial prefix reuse. Returns new arrays.
 * @example const prefix = sliceTokens(cache, 12)
 */
export function sliceTokens<D extends KvDtype>(cache: KvCache<D>, n: number): KvCache<D> {
  const info = validateKvCache(cache);
  if (!Number.isSafeInteger(n) || n < 0 || n > info.numTokens) {
    throw new KvFormatError(`cannot keep ${n} tokens of a ${info.numTokens}-token cache`, { code: "out_of_range" });
  }
  const { numKvHeads: heads, numTokens: tokens, headDim: dim } = info;
  const cut = (t: KvTensor<D>): KvTensor<D> => {
    const out = allocKvArray(cache.dtype, heads * n * dim);
    for (let h = 0; h < heads; h++) {
      const src = t.data.subarray(h * tokens * dim, h * tokens * dim + n * dim);
      out.set(src as never, h * n * dim);
    }
    return { dtype: cache.dtype, shape: [1, heads, n, dim], data: out };
  };
  return { dtype: cache.dtype, layers: cache.layers.map((l) => ({ key: cut(l.key), value: cut(l.value) })) };
}

/**
 * Append `b`'s tokens after `a`'s in every layer (concatenation along the sequence axis). Both caches must have the
 * same dtype, layer count, heads and head dim.
 * @example const longer = concatTokens(prefix, suffix)
 */
export function concatTokens<D extends KvDtype>(a: KvCache<D>, b: KvCache<D>): KvCache<D> {
  const ia = validateKvCache(a);
  const ib = validateKvCache(b);
  if (ia.dtype !== ib.dtype || ia.numLayers !== ib.numLayers || ia.numKvHeads !== ib.numKvHeads || ia.headDim !== ib.headDim) {
    throw new KvFormatError(
      `cannot concatenate ${describe(ia)} with ${describe(ib)}`,
      { code: "inconsistent_shape" },
    );
  }
  const { numKvHeads: heads, headDim: dim } = ia;
  const ta = ia.numTokens;
  const tb = ib.numTokens;
  const join = (x: KvTensor<D>, y: KvTensor<D>): KvTensor<D> => {
    const out = allocKvArray(a.dtype, heads * (ta + tb) * dim);
    for (let h = 0; h < heads; h++) {
      out.set(x.data.subarray(h * ta * dim, (h + 1) * ta * dim) as never, h * (ta + tb) * dim);
      out.set(y.data.subarray(h * tb * dim, (h + 1) * tb * dim) as never, h * (ta + tb) * dim + ta * dim);
    }
    return { dtype: a.dtype, shape: [1, heads, ta + tb, dim], data: out };
  };
  return { dtype: a.dtype, layers: a.layers.map((l, i) => ({ key: join(l.key, b.layers[i]!.key), value: join(l.value, b.layers[i]!.value) })) };
}

function describe(i: KvCacheInfo): string {
  return `${i.dtype} ${i.numLayers} layers × ${i.numKvHeads} heads × ${i.headDim} dims`;
}
