import type { DynamicCache, PreTrainedModel } from "@huggingface/transformers";
import { castKv } from "../kv/cast-kv.js";
import { validateKvCache, type KvCache } from "../kv/kv-cache.js";
import { dequantizeKv, type QuantizedKv } from "../kv/quantize.js";
import { importTransformers } from "../peers/import-transformers.js";

/** Element type of transformers.js past tensors. */
export type PastTensorType = "float32" | "float16";

/**
 * Build a NEW transformers.js `DynamicCache` from a cache: `past_key_values.{i}.key|value` CPU tensors
 * `[1, kv_heads, tokens, head_dim]` of `dtype` (float16 as Uint16Array bit patterns). Make one per `generate()` call:
 * transformers.js ≥ 4.1 grows the cache it is given in place. The tensors share the cache's arrays when no conversion
 * is needed; generation replaces entries and never writes into them.
 * @example const past_key_values = await kvToDynamicCache(cache, { dtype: await pastTensorType(model) });
 */
export async function kvToDynamicCache(
  kv: KvCache | QuantizedKv,
  options: {
    /** Element type the model's past inputs take (see {@link pastTensorType}). @default "float32" */
    dtype?: PastTensorType;
  } = {},
): Promise<DynamicCache> {
  const { DynamicCache, Tensor } = await importTransformers();
  const dtype = options.dtype ?? "float32";
  const want = dtype === "float16" ? "F16" : "F32";
  const plain: KvCache =
    "quantized" in kv && kv.quantized === true ? dequantizeKv(kv, { dtype: want }) : (kv as KvCache);
  const cache = plain.dtype === want ? plain : castKv(plain, want);
  validateKvCache(cache);
  const entries: Record<string, InstanceType<typeof Tensor>> = {};
  cache.layers.forEach((layer, i) => {
    entries[`past_key_values.${i}.key`] = new Tensor(dtype, layer.key.data, [...layer.key.shape]);
    entries[`past_key_values.${i}.value`] = new Tensor(dtype, layer.value.data, [...layer.value.shape]);
  });
  return new DynamicCache(entries);
}

/**
 * The element type a transformers.js model's `past_key_values.*` inputs take, read from its ONNX session metadata
 * (float16 for fp16/q4f16 exports, float32 otherwise). Never assumed.
 */
export function pastTensorType(model: PreTrainedModel): PastTensorType {
  const sessions = (model as unknown as { sessions: Record<string, { inputMetadata?: ReadonlyArray<{ name: string; type?: string }> }> })
    .sessions;
  const session = sessions["model"] ?? sessions["decoder_model_merged"];
  const meta = session?.inputMetadata?.find((m) => m.name === "past_key_values.0.key");
  if (meta?.type === "float16") return "float16";
  if (meta?.type === "float32" || meta === undefined) return "float32";
  throw new TypeError(`past_key_values.0.key has unsupported type ${meta.type}`);
}
