import { f16ToF32, f32ToF16 } from "../kv/float16.js";
import { builderLinearNames, COS_CACHE_NAME, LM_HEAD_NAME, SIN_CACHE_NAME } from "./build-builder-graph.js";
import { isFloat16Variant, isQ4Variant, type BuilderVariant } from "./builder-variant.js";
import type { Qwen3Dims } from "./fixture-shapes.js";
import { f16Bytes, f32Bytes, fixtureWeightSpecs, transposeF32, type FixtureWeightSpec } from "./fixture-weights.js";
import { ONNX_FLOAT, ONNX_FLOAT16, ONNX_UINT8 } from "./onnx-proto-types.js";
import { dequantizeQ4, quantizeQ4 } from "./quantize-q4.js";
import type { ReferenceQwen3Model } from "./reference-qwen3.js";

/** One initializer of a builder-layout graph: its name, dims, ONNX data type and little-endian bytes. */
export interface VariantTensor {
  name: string;
  dims: number[];
  dataType: number;
  bytes: Uint8Array;
}

/**
 * The initializers one Hugging Face weight (`[out, in]` for linear layers) becomes in a builder variant: norms and
 * the embedding table in the variant's float type; linear layers as a transposed `[in, out]` float MatMul weight or
 * as 4-bit MatMulNBits blocks; the embedding also yields the tied lm_head, quantized like any linear layer (the
 * embedding Gather keeps the float table).
 */
export function builderVariantTensors(spec: FixtureWeightSpec, values: Float32Array, variant: BuilderVariant): VariantTensor[] {
  const f16 = isFloat16Variant(variant);
  if (spec.kind === "norm") return [floatTensor(spec.name, spec.shape, values, f16)];
  const [out, inp] = spec.shape as [number, number];
  if (spec.kind === "embedding") {
    return [floatTensor(spec.name, spec.shape, values, f16), ...linearTensors(LM_HEAD_NAME, values, out, inp, variant)];
  }
  return linearTensors(spec.name, values, out, inp, variant);
}

function linearTensors(hfName: string, values: Float32Array, out: number, inp: number, variant: BuilderVariant): VariantTensor[] {
  const f16 = isFloat16Variant(variant);
  const names = builderLinearNames(hfName);
  if (!isQ4Variant(variant)) return [floatTensor(names.weight, [inp, out], transposeF32(values, out, inp), f16)];
  const q = quantizeQ4(values, out, inp, { f16Scales: f16 });
  const blocks = q.scales.length / out;
  return [
    { name: names.packed, dims: [out, blocks, q.packed.length / (out * blocks)], dataType: ONNX_UINT8, bytes: q.packed },
    floatTensor(names.scales, [out * blocks], q.scales, f16),
  ];
}

function floatTensor(name: string, dims: number[], values: Float32Array, f16: boolean): VariantTensor {
  return f16
    ? { name, dims, dataType: ONNX_FLOAT16, bytes: f16Bytes(f32ToF16(values)) }
    : { name, dims, dataType: ONNX_FLOAT, bytes: f32Bytes(values) };
}

/**
 * The rotary tables RotaryEmbedding and GroupQueryAttention read: `cos_cache[p][i] = cos(p · θ^(−2i/d))` and the same
 * with sin, `[max_position_embeddings, head_dim / 2]`, computed in float64 and rounded once to the variant's type.
 */
export function rotaryCacheTensors(dims: Qwen3Dims, variant: BuilderVariant): VariantTensor[] {
  const half = dims.head_dim / 2;
  const rows = dims.max_position_embeddings;
  const cos = new Float32Array(rows * half);
  const sin = new Float32Array(rows * half);
  const invFreq = Array.from({ length: half }, (_, i) => Math.pow(dims.rope_theta, (-2 * i) / dims.head_dim));
  for (let p = 0; p < rows; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * invFreq[i]!;
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  const f16 = isFloat16Variant(variant);
  return [floatTensor(COS_CACHE_NAME, [rows, half], cos, f16), floatTensor(SIN_CACHE_NAME, [rows, half], sin, f16)];
}

/**
 * The float64 reference model a builder variant must agree with: the same weights as stored in that variant's graph
 * (rounded to float16 for fp16 / q4f16, linear layers and the lm_head dequantized from their 4-bit blocks for q4 /
 * q4f16), with the lm_head as its own weight. Quantization error is then not part of a comparison; what remains is
 * the runtime's arithmetic (float32, or float16 activations).
 * @example const ref = builderReferenceModel(await loadReferenceQwen3(dir), "q4f16")
 */
export function builderReferenceModel(model: ReferenceQwen3Model, variant: BuilderVariant): ReferenceQwen3Model {
  const c = model.config;
  const specs = fixtureWeightSpecs({ ...c, max_position_embeddings: 1 });
  const f16 = isFloat16Variant(variant);
  const round = (v: Float32Array): Float32Array => (f16 ? f16ToF32(f32ToF16(v)) : v);
  const linear = (v: Float32Array, out: number, inp: number): Float32Array =>
    isQ4Variant(variant) ? dequantizeQ4(quantizeQ4(v, out, inp, { f16Scales: f16 })) : round(v);
  const weights = new Map<string, Float32Array>();
  for (const spec of specs) {
    const values = model.weights.get(spec.name);
    if (values === undefined) throw new RangeError(`the reference model has no ${spec.name}`);
    const [out, inp] = spec.shape as [number, number];
    weights.set(spec.name, spec.kind === "linear" ? linear(values, out, inp) : round(values));
    if (spec.kind === "embedding") weights.set(LM_HEAD_NAME, linear(values, out, inp));
  }
  return { config: { ...c, tie_word_embeddings: false }, weights };
}
