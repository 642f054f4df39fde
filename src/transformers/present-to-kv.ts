import { KvFormatError } from "../errors/kv-format-error.js";
import { validateKvCache, type KvCache, type KvDtype, type KvTensor } from "../kv/kv-cache.js";

/** The parts of a transformers.js / onnxruntime tensor this reads. */
interface TensorLike {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/**
 * Turn the `present.{i}.key|value` (or `past_key_values.{i}.*`, e.g. a `DynamicCache`) tensors of a forward pass
 * into a {@link KvCache}: float32 → F32, float16 → F16. Layers are taken from 0 until one is missing; the arrays are
 * shared, not copied.
 * @example const out = await model({ input_ids, attention_mask }); await writeKv("ctx.kv", presentToKv(out), { sidecar });
 */
export function presentToKv(outputs: Readonly<Record<string, unknown>>): KvCache {
  const prefix = "present.0.key" in outputs ? "present" : "past_key_values";
  const layers: KvCache["layers"] = [];
  let dtype: KvDtype | undefined;
  const tensor = (name: string): KvTensor => {
    const t = outputs[name] as TensorLike | undefined;
    if (!t || typeof t !== "object") throw new KvFormatError(`${name} is missing`, { code: "missing_tensor", tensor: name });
    const d: KvDtype | undefined = t.type === "float32" ? "F32" : t.type === "float16" ? "F16" : undefined;
    if (d === undefined) throw new KvFormatError(`${name} has unsupported type ${t.type}`, { code: "unsupported_dtype", tensor: name });
    dtype ??= d;
    const [b, h, n, hd] = t.dims;
    return { dtype: d, shape: [b!, h!, n!, hd!], data: t.data as Float32Array & Uint16Array };
  };
  for (let i = 0; `${prefix}.${i}.key` in outputs; i++) {
    layers.push({ key: tensor(`${prefix}.${i}.key`), value: tensor(`${prefix}.${i}.value`) });
  }
  if (layers.length === 0) {
    throw new KvFormatError("no present.{i}.key|value tensors in the outputs", { code: "no_kv_tensors" });
  }
  const cache: KvCache = { dtype: dtype!, layers };
  validateKvCache(cache);
  return cache;
}
