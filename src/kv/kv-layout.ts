import { KvFormatError } from "../errors/kv-format-error.js";
import type { SafetensorsDtype } from "./safetensors/dtype.js";
import type { SafetensorsHeader, SafetensorsTensorInfo } from "./safetensors/types.js";
import { isKvDtype, sameShape, type KvDtype, type KvShape } from "./kv-cache.js";

/** What a `.kv` header holds, after checking its tensor names, dtypes and shapes. */
export type KvLayout =
  | {
      quantized: false;
      /** The dtype of every `k_{i}`/`v_{i}`. */
      dtype: KvDtype;
      numLayers: number;
      /** Common shape of every tensor. */
      shape: KvShape;
    }
  | {
      quantized: true;
      /** Always `"U8"`. */
      dtype: "U8";
      numLayers: number;
      /** Common shape of every `_q` tensor. */
      shape: KvShape;
    };

const NAME = /^([kv])_(0|[1-9][0-9]*)(_q|_s)?$/;

/**
 * Check a `.kv` header: only `k_{i}`/`v_{i}` (or only `k_{i}_q`, `k_{i}_s`, `v_{i}_q`, `v_{i}_s`) for i = 0 … n−1, every
 * k with its v, no gap in the layers, one float dtype (or U8 + rank-0 F32 scales), identical `[1, heads, tokens, dim]`
 * shapes.
 */
export function kvLayout(header: SafetensorsHeader): KvLayout {
  const tensors = header.tensors;
  const hasPlain = tensors.has("k_0");
  const hasQuant = tensors.has("k_0_q") || tensors.has("k_0_s");
  if (!hasPlain && !hasQuant) {
    throw new KvFormatError("no KV tensors found (no k_0, k_0_q or k_0_s)", { code: "no_kv_tensors" });
  }
  if (hasPlain && hasQuant) throw new KvFormatError("file mixes plain (k_0) and quantized (k_0_q) tensors", { code: "unexpected_tensor", tensor: "k_0" });
  const quantized = hasQuant;

  let maxLayer = -1;
  for (const name of tensors.keys()) {
    const m = NAME.exec(name);
    if (m === null || (m[3] !== undefined) !== quantized) {
      throw new KvFormatError(`unexpected tensor ${JSON.stringify(name)} in a ${quantized ? "quantized" : "plain"} KV file`, { code: "unexpected_tensor", tensor: name });
    }
    maxLayer = Math.max(maxLayer, Number(m[2]));
  }
  // Layers are k_0, k_1, … until one is missing (kvcdn-cli); anything after the first gap is an error here.
  let numLayers = 0;
  while (tensors.has(quantized ? `k_${numLayers}_q` : `k_${numLayers}`) || tensors.has(`k_${numLayers}_s`)) numLayers++;
  if (numLayers <= maxLayer) {
    throw new KvFormatError(`layer ${numLayers} is missing but layer ${maxLayer} exists`, { code: "missing_layer", tensor: quantized ? `k_${numLayers}_q` : `k_${numLayers}` });
  }

  let shape: KvShape | undefined;
  let dtype: SafetensorsDtype | undefined;
  const need = (name: string): SafetensorsTensorInfo => {
    const info = tensors.get(name);
    if (info === undefined) {
      const scale = name.endsWith("_s");
      throw new KvFormatError(
        scale ? `${name.slice(0, -2)}_q has no scale ${name}` : `${name} is missing (layer ${name.replace(/^[kv]_([0-9]+).*$/, "$1")})`,
        { code: scale ? "missing_scale" : "missing_tensor", tensor: name },
      );
    }
    return info;
  };
  for (let i = 0; i < numLayers; i++) {
    for (const kv of ["k", "v"]) {
      const info = need(quantized ? `${kv}_${i}_q` : `${kv}_${i}`);
      if (quantized) {
        if (info.dtype !== "U8") throw new KvFormatError(`${info.name} is ${info.dtype}; quantized tensors are U8`, { code: "bad_dtype", tensor: info.name });
        const s = need(`${kv}_${i}_s`);
        if (s.dtype !== "F32") throw new KvFormatError(`${s.name} is ${s.dtype}; scales are F32`, { code: "bad_scale", tensor: s.name });
        if (s.shape.length !== 0) {
          throw new KvFormatError(`${s.name} has shape [${s.shape.join(",")}]; only rank-0 (per-tensor) scales are supported`, { code: "bad_scale", tensor: s.name });
        }
      } else if (!isKvDtype(info.dtype)) {
        throw new KvFormatError(`${info.name} is ${info.dtype}; KV tensors are F32, F16 or BF16`, { code: "unsupported_dtype", tensor: info.name });
      }
      if (dtype === undefined) dtype = info.dtype;
      else if (info.dtype !== dtype) throw new KvFormatError(`${info.name} is ${info.dtype} but k_0 is ${dtype}`, { code: "bad_dtype", tensor: info.name });
      if (info.shape.length !== 4 || info.shape[0] !== 1) {
        throw new KvFormatError(`${info.name} has shape [${info.shape.join(",")}]; expected [1, kv_heads, tokens, head_dim]`, { code: "bad_shape", tensor: info.name });
      }
      if (shape === undefined) shape = info.shape as KvShape;
      else if (!sameShape(shape, info.shape)) {
        throw new KvFormatError(`${info.name} has shape [${info.shape.join(",")}] but the first layer has [${shape.join(",")}]`, { code: "inconsistent_shape", tensor: info.name });
      }
    }
  }
  return quantized
    ? { quantized: true, dtype: "U8", numLayers, shape: shape! }
    : { quantized: false, dtype: dtype as KvDtype, numLayers, shape: shape! };
}
