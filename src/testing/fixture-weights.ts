import type { Qwen3Dims } from "./fixture-shapes.js";
import { SeededRandom } from "./seeded-random.js";

/** One parameter of the fixture, named and shaped as in Hugging Face's Qwen3 (`[out, in]` for linear layers). */
export interface FixtureWeightSpec {
  /** Hugging Face parameter name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  name: string;
  /** Hugging Face shape. */
  shape: number[];
  /** `linear`: a `[out, in]` projection the ONNX graph stores transposed (`[in, out]`) for MatMul. */
  kind: "embedding" | "linear" | "norm";
  /** Mean of the initial values: 1 for norm weights, 0 otherwise. */
  mean: number;
  /** Spread of the values (standard deviation of the triangular distribution). */
  std: number;
}

/**
 * Every parameter of a tied-embedding Qwen3 decoder in Hugging Face order (no `lm_head.weight`: it is
 * `model.embed_tokens.weight`).
 *
 * Scales keep activations sane at any size: projections use std 1/√fan_in (output rms ≈ input rms); embeddings use
 * 3/√hidden so logits have rms ≈ 3 after the final norm (a peaked but not one-hot softmax); norm weights are
 * 1 ± 0.25 so every norm visibly matters in tests.
 */
export function fixtureWeightSpecs(dims: Qwen3Dims): FixtureWeightSpec[] {
  const h = dims.hidden_size;
  const q = dims.num_attention_heads * dims.head_dim;
  const kv = dims.num_key_value_heads * dims.head_dim;
  const ff = dims.intermediate_size;
  const norm = (name: string, size: number): FixtureWeightSpec => ({ name, shape: [size], kind: "norm", mean: 1, std: 0.25 / Math.sqrt(6) });
  const linear = (name: string, out: number, inp: number): FixtureWeightSpec => ({
    name,
    shape: [out, inp],
    kind: "linear",
    mean: 0,
    std: 1 / Math.sqrt(inp),
  });
  const specs: FixtureWeightSpec[] = [
    { name: "model.embed_tokens.weight", shape: [dims.vocab_size, h], kind: "embedding", mean: 0, std: 3 / Math.sqrt(h) },
  ];
  for (let i = 0; i < dims.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    specs.push(
      norm(`${p}.input_layernorm.weight`, h),
      linear(`${p}.self_attn.q_proj.weight`, q, h),
      linear(`${p}.self_attn.k_proj.weight`, kv, h),
      linear(`${p}.self_attn.v_proj.weight`, kv, h),
      linear(`${p}.self_attn.o_proj.weight`, h, q),
      norm(`${p}.self_attn.q_norm.weight`, dims.head_dim),
      norm(`${p}.self_attn.k_norm.weight`, dims.head_dim),
      norm(`${p}.post_attention_layernorm.weight`, h),
      linear(`${p}.mlp.gate_proj.weight`, ff, h),
      linear(`${p}.mlp.up_proj.weight`, ff, h),
      linear(`${p}.mlp.down_proj.weight`, h, ff),
    );
  }
  specs.push(norm("model.norm.weight", h));
  return specs;
}

/** The values of one parameter for `seed`, in Hugging Face layout; every value is exactly a bfloat16. */
export function generateFixtureWeight(spec: FixtureWeightSpec, seed: number): Float32Array {
  const out = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
  new SeededRandom(seed, spec.name).fillBf16(out, spec.mean, spec.std);
  return out;
}

/** The BF16 bytes (little-endian) of bf16-exact f32 values: the upper half of each f32. */
export function bf16Bytes(values: Float32Array): Uint8Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = bits[i]! >>> 16;
  return littleEndianBytes(out);
}

/** The f32 bytes (little-endian) of a `[rows, cols]` matrix transposed to `[cols, rows]` (ONNX MatMul layout). */
export function transposedF32Bytes(values: Float32Array, rows: number, cols: number): Uint8Array {
  return littleEndianBytes(transposeF32(values, rows, cols));
}

/** A `[rows, cols]` row-major matrix transposed to `[cols, rows]`. */
export function transposeF32(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[base + c]!;
  }
  return out;
}

/** The f32 bytes (little-endian) of `values`, without copying on little-endian machines. */
export function f32Bytes(values: Float32Array): Uint8Array {
  return littleEndianBytes(values);
}

/** The f16 bytes (little-endian) of f16 bit patterns, without copying on little-endian machines. */
export function f16Bytes(bits: Uint16Array): Uint8Array {
  return littleEndianBytes(bits);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(view: Float32Array | Uint16Array): Uint8Array {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.length);
  const w = view.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let j = 0; j < w; j++) swapped[i + j] = bytes[i + w - 1 - j]!;
  return swapped;
}
