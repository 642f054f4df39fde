import type { Tensor } from "onnxruntime-node";
import { castKv } from "../kv/cast-kv.js";
import { validateKvCache, type KvCache, type KvDtype, type KvTensor } from "../kv/kv-cache.js";
import { dequantizeKv, type QuantizedKv } from "../kv/quantize.js";
import type { KvTensorType } from "./describe-graph.js";
import { importOnnxRuntime } from "../peers/import-onnxruntime.js";
import type { OnnxModel } from "./load-model.js";
import type { ModelDescription } from "./model-description.js";
import type { PastState } from "./run-forward.js";

/**
 * The `.kv` dtype holding a graph's past/present element type without conversion.
 * @example kvDtypeFor(model.io.pastType) // "F16" for fp16 / q4f16 exports
 */
export function kvDtypeFor(type: KvTensorType): "F32" | "F16" {
  return type === "float16" ? "F16" : "F32";
}

/**
 * Convert a cache (any float dtype, or int8-quantized) to the dtype the session's past inputs take: F16/BF16 into
 * fp32 graphs and F32 into fp16 graphs are converted (round to nearest even when narrowing), quantized caches
 * dequantized. A cache already in the right dtype is returned as is.
 * @example const past = await kvToPast(model, castForModel(model, (await readKv("ctx.kv")).cache));
 */
export function castForModel(model: Pick<ModelDescription, "pastType">, cache: KvCache | QuantizedKv): KvCache<"F32" | "F16"> {
  const dtype = kvDtypeFor(model.pastType);
  if ("quantized" in cache && cache.quantized === true) return dequantizeKv(cache, { dtype });
  const plain = cache as KvCache;
  return plain.dtype === dtype ? (plain as KvCache<"F32" | "F16">) : castKv(plain, dtype);
}

/**
 * Feed a cache to the session: one onnxruntime tensor per `past_key_values.{i}.key|value`, sharing the cache's
 * arrays (no copy). The cache must already have the session's dtype ({@link castForModel}).
 * @example const { logits } = await runForward({ model, inputIds: [30], past: await kvToPast(model, cache) });
 */
export async function kvToPast(model: OnnxModel, cache: KvCache<"F32" | "F16">): Promise<PastState> {
  const ort = await importOnnxRuntime();
  const info = validateKvCache(cache);
  const want = kvDtypeFor(model.io.pastType);
  if (info.dtype !== want) throw new TypeError(`kvToPast needs a ${want} cache, got ${info.dtype}; use castForModel first`);
  const tensor = (t: KvTensor): Tensor =>
    t.dtype === "F32"
      ? new ort.Tensor("float32", t.data as Float32Array, [...t.shape])
      : new ort.Tensor("float16", t.data as Uint16Array, [...t.shape]);
  const tensors: Record<string, Tensor> = {};
  cache.layers.forEach((layer, i) => {
    const names = model.io.layers[i]!;
    tensors[names.pastKey] = tensor(layer.key);
    tensors[names.pastValue] = tensor(layer.value);
  });
  return { length: info.numTokens, tensors };
}

/**
 * Turn a forward pass's state back into a {@link KvCache} (F32 for float32 graphs, F16 for float16 ones), sharing
 * the onnxruntime output arrays (a state with room is copied out, its `length` positions only).
 * @example const { present } = await runPrefill({ model, inputIds, past: await emptyPast(model) }); pastToKv(model, present);
 */
export function pastToKv(model: OnnxModel, past: PastState): KvCache {
  const dtype: KvDtype = kvDtypeFor(model.io.presentType);
  const tensor = (t: Tensor): KvTensor => {
    const [b, h, n, d] = t.dims as [number, number, number, number];
    const data = t.data as Float32Array;
    if (past.capacity === undefined || n === past.length) return { dtype, shape: [b, h, n, d], data: data as Float32Array & Uint16Array };
    // Buffers with room: copy out the `length` positions of each head.
    const out = new (data.constructor as Float32ArrayConstructor)(h * past.length * d);
    for (let i = 0; i < h; i++) out.set(data.subarray(i * n * d, i * n * d + past.length * d), i * past.length * d);
    return { dtype, shape: [b, h, past.length, d], data: out as Float32Array & Uint16Array };
  };
  const cache: KvCache = {
    dtype,
    layers: model.io.layers.map((names) => ({
      key: tensor(past.tensors[names.pastKey]!),
      value: tensor(past.tensors[names.pastValue]!),
    })),
  };
  validateKvCache(cache);
  return cache;
}
