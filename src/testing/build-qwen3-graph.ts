import type { FixtureWeightSpec } from "./fixture-weights.js";
import type { Qwen3Dims } from "./fixture-shapes.js";
import { attrInt, attrInts, GraphBuilder, tensorValueInfo } from "./onnx-graph-builder.js";
import { ONNX_BOOL, ONNX_FLOAT, ONNX_INT64, type ModelMsg, type TensorMsg, type ValueInfoMsg } from "./onnx-proto-types.js";

/** ONNX opset of the fixture graph: standard ops only (`ai.onnx`), no contrib ops, so the math is plainly checkable. */
export const FIXTURE_OPSET = 17;
/** IR version that goes with opset 17. */
const IR_VERSION = 8;

/** Score for a masked (query, key) pair: large and finite, so a fully masked (padded) row gives a uniform row, not NaN. */
const MASKED_SCORE = -1e9;

/**
 * The initializer name a weight has in the ONNX graph: Hugging Face's name for embeddings and norms (stored as is),
 * `<module>.MatMul.weight` for linear layers (stored transposed, `[in, out]`, so `y = x @ W`).
 */
export function onnxInitializerName(spec: Pick<FixtureWeightSpec, "name" | "kind">): string {
  return spec.kind === "linear" ? spec.name.replace(/\.weight$/, ".MatMul.weight") : spec.name;
}

/** The ONNX dims of a weight: `[in, out]` for linear layers, the Hugging Face shape otherwise. */
export function onnxInitializerDims(spec: Pick<FixtureWeightSpec, "shape" | "kind">): number[] {
  return spec.kind === "linear" ? [spec.shape[1]!, spec.shape[0]!] : [...spec.shape];
}

/**
 * Build the Qwen3 decoder graph with the onnx-community I/O contract (docs/runtime.md#graph-inputs-and-outputs):
 * inputs `input_ids`, `attention_mask`, `position_ids` (int64) and `past_key_values.{i}.key|value` (float32
 * `[batch, kv_heads, past, head_dim]`); outputs `logits` and `present.{i}.key|value`.
 *
 * Per layer, exactly Hugging Face's `Qwen3DecoderLayer`: RMSNorm (x · 1/√(mean(x²)+ε) · w, in f32) → q/k/v
 * projections → per-head q_norm / k_norm → rotate-half RoPE at `position_ids` (inv_freq[j] = θ^(−2j/d), cos/sin
 * computed on the fly) → present = concat(past, new) on the sequence axis (keys post-norm, post-RoPE, pre-GQA) →
 * grouped-query attention (query head h reads KV head ⌊h / (heads/kv_heads)⌋) with scores / √head_dim, the causal
 * mask (query at absolute position past+i sees key j ≤ past+i) and the padding mask (`attention_mask[j] == 1`) →
 * softmax → o_proj → residual → post-attention RMSNorm → SwiGLU MLP (silu(gate) · up → down) → residual. Then the
 * final norm and the tied lm_head (Gemm with transB on the embedding initializer itself: no second copy).
 *
 * `weights` are the initializers of {@link fixtureWeightSpecs}, named by {@link onnxInitializerName}; they go into the
 * graph unchanged (inline or external).
 */
export function buildQwen3Graph(params: { dims: Qwen3Dims; weights: TensorMsg[]; docString?: string }): ModelMsg {
  const { dims } = params;
  const g = new GraphBuilder();
  const H = dims.hidden_size;
  const nH = dims.num_attention_heads;
  const nKV = dims.num_key_value_heads;
  const hd = dims.head_dim;
  const group = nH / nKV;
  const L = dims.num_hidden_layers;

  // Shared constants.
  const eps = g.float("const.rms_norm_eps", [dims.rms_norm_eps], []);
  const invFreq = g.float(
    "const.rope_inv_freq",
    Array.from({ length: hd / 2 }, (_, j) => 1 / Math.pow(dims.rope_theta, (2 * j) / hd)),
    [hd / 2],
  );
  const scale = g.float("const.attention_scale", [1 / Math.sqrt(hd)], []);
  const masked = g.float("const.masked_score", [MASKED_SCORE], []);
  const zero = g.int64("const.zero", [0]);
  const one = g.int64("const.one", [1]);
  const shapeQHeads = g.int64("const.shape_q_heads", [0, 0, nH, hd]);
  const shapeKvHeads = g.int64("const.shape_kv_heads", [0, 0, nKV, hd]);
  const shapeGrouped = g.int64("const.shape_q_grouped", [0, nKV, group, -1, hd]);
  const shapeUngrouped = g.int64("const.shape_ungrouped", [0, nH, -1, hd]);
  const shapeMerged = g.int64("const.shape_merged_heads", [0, 0, nH * hd]);
  const shapeFlat = g.int64("const.shape_flat_hidden", [-1, H]);
  const vocab = g.int64("const.vocab", [dims.vocab_size]);

  const rmsNorm = (prefix: string, x: string, weight: string): string => {
    const sq = g.op("Mul", `${prefix}/Square`, [x, x]);
    const mean = g.op("ReduceMean", `${prefix}/ReduceMean`, [sq], [attrInts("axes", [-1]), attrInt("keepdims", 1)]);
    const plus = g.op("Add", `${prefix}/AddEps`, [mean, eps]);
    const root = g.op("Sqrt", `${prefix}/Sqrt`, [plus]);
    const inv = g.op("Reciprocal", `${prefix}/Rsqrt`, [root]);
    const normed = g.op("Mul", `${prefix}/Normalize`, [x, inv]);
    return g.op("Mul", `${prefix}/Scale`, [normed, weight]);
  };

  // RoPE tables from position_ids, shaped [batch, 1, seq, head_dim] to broadcast over heads.
  const posF = g.op("Cast", "/rope/CastPositions", ["position_ids"], [attrInt("to", ONNX_FLOAT)]);
  const axes2 = g.int64("const.axes_2", [2]);
  const posCol = g.op("Unsqueeze", "/rope/UnsqueezePositions", [posF, axes2]);
  const freqs = g.op("Mul", "/rope/Freqs", [posCol, invFreq]);
  const emb = g.op("Concat", "/rope/DuplicateFreqs", [freqs, freqs], [attrInt("axis", -1)]);
  const axes1 = g.int64("const.axes_1", [1]);
  const cos = g.op("Unsqueeze", "/rope/UnsqueezeCos", [g.op("Cos", "/rope/Cos", [emb]), axes1]);
  const sin = g.op("Unsqueeze", "/rope/UnsqueezeSin", [g.op("Sin", "/rope/Sin", [emb]), axes1]);
  const halfSplit = g.int64("const.rope_half_split", [hd / 2, hd / 2]);
  const rope = (prefix: string, x: string): string => {
    // rotate_half(x) = concat(-x[..., d/2:], x[..., :d/2])
    const first = `${prefix}/Split/output_0`;
    const second = `${prefix}/Split/output_1`;
    g.nodes.push({ name: `${prefix}/Split`, opType: "Split", input: [x, halfSplit], output: [first, second], attribute: [attrInt("axis", -1)] });
    const neg = g.op("Neg", `${prefix}/Neg`, [second]);
    const rotated = g.op("Concat", `${prefix}/RotateHalf`, [neg, first], [attrInt("axis", -1)]);
    const a = g.op("Mul", `${prefix}/MulCos`, [x, cos]);
    const b = g.op("Mul", `${prefix}/MulSin`, [rotated, sin]);
    return g.op("Add", `${prefix}/Add`, [a, b]);
  };

  // Attention mask [batch, 1, 1, seq, total]: key j is visible to query i iff j <= past + i and attention_mask[j] != 0.
  const total = g.op("Shape", "/mask/TotalLength", ["attention_mask"], [attrInt("start", 1), attrInt("end", 2)]);
  const seq = g.op("Shape", "/mask/SequenceLength", ["input_ids"], [attrInt("start", 1), attrInt("end", 2)]);
  const past = g.op("Sub", "/mask/PastLength", [total, seq]);
  const totalScalar = g.op("Squeeze", "/mask/TotalScalar", [total, zero]);
  const pastScalar = g.op("Squeeze", "/mask/PastScalar", [past, zero]);
  const oneScalar = g.op("Squeeze", "/mask/OneScalar", [one, zero]);
  const zeroScalar = g.op("Squeeze", "/mask/ZeroScalar", [zero, zero]);
  const keyIdx = g.op("Range", "/mask/KeyPositions", [zeroScalar, totalScalar, oneScalar]);
  const queryIdx = g.op("Range", "/mask/QueryPositions", [pastScalar, totalScalar, oneScalar]);
  const queryCol = g.op("Unsqueeze", "/mask/QueryColumn", [queryIdx, axes1]);
  const causal = g.op("LessOrEqual", "/mask/Causal", [keyIdx, queryCol]);
  const padding = g.op("Cast", "/mask/Padding", ["attention_mask"], [attrInt("to", ONNX_BOOL)]);
  const padding5 = g.op("Unsqueeze", "/mask/PaddingUnsqueeze", [padding, g.int64("const.axes_1_2_3", [1, 2, 3])]);
  const allowed = g.op("And", "/mask/Allowed", [causal, padding5]);

  const embed = "model.embed_tokens.weight";
  let hidden = g.op("Gather", "/model/embed_tokens/Gather", [embed, "input_ids"], [attrInt("axis", 0)]);
  const w = (name: string): string => name;
  const mm = (name: string): string => onnxInitializerName({ name, kind: "linear" });

  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    const n = `/model/layers.${i}`;
    const x = rmsNorm(`${n}/input_layernorm`, hidden, w(`${p}.input_layernorm.weight`));

    const q0 = g.op("MatMul", `${n}/self_attn/q_proj/MatMul`, [x, mm(`${p}.self_attn.q_proj.weight`)]);
    const k0 = g.op("MatMul", `${n}/self_attn/k_proj/MatMul`, [x, mm(`${p}.self_attn.k_proj.weight`)]);
    const v0 = g.op("MatMul", `${n}/self_attn/v_proj/MatMul`, [x, mm(`${p}.self_attn.v_proj.weight`)]);
    const q1 = g.op("Reshape", `${n}/self_attn/q_heads`, [q0, shapeQHeads]);
    const k1 = g.op("Reshape", `${n}/self_attn/k_heads`, [k0, shapeKvHeads]);
    const v1 = g.op("Reshape", `${n}/self_attn/v_heads`, [v0, shapeKvHeads]);
    const q2 = rmsNorm(`${n}/self_attn/q_norm`, q1, w(`${p}.self_attn.q_norm.weight`));
    const k2 = rmsNorm(`${n}/self_attn/k_norm`, k1, w(`${p}.self_attn.k_norm.weight`));
    const perm = [attrInts("perm", [0, 2, 1, 3])];
    const q3 = g.op("Transpose", `${n}/self_attn/q_transpose`, [q2], perm);
    const k3 = g.op("Transpose", `${n}/self_attn/k_transpose`, [k2], perm);
    const v3 = g.op("Transpose", `${n}/self_attn/v_transpose`, [v1], perm);
    const q4 = rope(`${n}/self_attn/q_rope`, q3);
    const k4 = rope(`${n}/self_attn/k_rope`, k3);

    const presentK = g.op("Concat", `${n}/self_attn/present_key`, [`past_key_values.${i}.key`, k4], [attrInt("axis", 2)], `present.${i}.key`);
    const presentV = g.op("Concat", `${n}/self_attn/present_value`, [`past_key_values.${i}.value`, v3], [attrInt("axis", 2)], `present.${i}.value`);

    // GQA without materialising repeated heads: q [b, kv, group, s, d] against k [b, kv, 1, d, t] (MatMul broadcasts).
    const qg = g.op("Reshape", `${n}/self_attn/q_grouped`, [q4, shapeGrouped]);
    const kT = g.op("Transpose", `${n}/self_attn/k_t`, [presentK], [attrInts("perm", [0, 1, 3, 2])]);
    const kT5 = g.op("Unsqueeze", `${n}/self_attn/k_t_grouped`, [kT, axes2]);
    const v5 = g.op("Unsqueeze", `${n}/self_attn/v_grouped`, [presentV, axes2]);
    const scores0 = g.op("MatMul", `${n}/self_attn/scores`, [qg, kT5]);
    const scores = g.op("Mul", `${n}/self_attn/scale`, [scores0, scale]);
    const maskedScores = g.op("Where", `${n}/self_attn/mask`, [allowed, scores, masked]);
    const probs = g.op("Softmax", `${n}/self_attn/softmax`, [maskedScores], [attrInt("axis", -1)]);
    const ctx0 = g.op("MatMul", `${n}/self_attn/context`, [probs, v5]);
    const ctx1 = g.op("Reshape", `${n}/self_attn/context_heads`, [ctx0, shapeUngrouped]);
    const ctx2 = g.op("Transpose", `${n}/self_attn/context_transpose`, [ctx1], perm);
    const ctx3 = g.op("Reshape", `${n}/self_attn/context_merge`, [ctx2, shapeMerged]);
    const attn = g.op("MatMul", `${n}/self_attn/o_proj/MatMul`, [ctx3, mm(`${p}.self_attn.o_proj.weight`)]);
    hidden = g.op("Add", `${n}/attn_residual`, [hidden, attn]);

    const y = rmsNorm(`${n}/post_attention_layernorm`, hidden, w(`${p}.post_attention_layernorm.weight`));
    const gate = g.op("MatMul", `${n}/mlp/gate_proj/MatMul`, [y, mm(`${p}.mlp.gate_proj.weight`)]);
    const up = g.op("MatMul", `${n}/mlp/up_proj/MatMul`, [y, mm(`${p}.mlp.up_proj.weight`)]);
    const silu = g.op("Mul", `${n}/mlp/act_fn`, [gate, g.op("Sigmoid", `${n}/mlp/act_fn/Sigmoid`, [gate])]);
    const prod = g.op("Mul", `${n}/mlp/Mul`, [silu, up]);
    const down = g.op("MatMul", `${n}/mlp/down_proj/MatMul`, [prod, mm(`${p}.mlp.down_proj.weight`)]);
    hidden = g.op("Add", `${n}/mlp_residual`, [hidden, down]);
  }

  const final = rmsNorm("/model/norm", hidden, w("model.norm.weight"));
  const flat = g.op("Reshape", "/lm_head/Flatten", [final, shapeFlat]);
  const logitsFlat = g.op("Gemm", "/lm_head/Gemm", [flat, embed], [attrInt("transB", 1)]);
  const ids = g.op("Shape", "/lm_head/InputShape", ["input_ids"]);
  const logitsShape = g.op("Concat", "/lm_head/LogitsShape", [ids, vocab], [attrInt("axis", 0)]);
  g.op("Reshape", "/lm_head/Unflatten", [logitsFlat, logitsShape], [], "logits");

  const inputs: ValueInfoMsg[] = [
    tensorValueInfo("input_ids", ONNX_INT64, ["batch_size", "sequence_length"]),
    tensorValueInfo("attention_mask", ONNX_INT64, ["batch_size", "total_sequence_length"]),
    tensorValueInfo("position_ids", ONNX_INT64, ["batch_size", "sequence_length"]),
  ];
  const outputs: ValueInfoMsg[] = [tensorValueInfo("logits", ONNX_FLOAT, ["batch_size", "sequence_length", dims.vocab_size])];
  for (let i = 0; i < L; i++) {
    for (const kind of ["key", "value"]) {
      inputs.push(tensorValueInfo(`past_key_values.${i}.${kind}`, ONNX_FLOAT, ["batch_size", nKV, "past_sequence_length", hd]));
      outputs.push(tensorValueInfo(`present.${i}.${kind}`, ONNX_FLOAT, ["batch_size", nKV, "total_sequence_length", hd]));
    }
  }

  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: FIXTURE_OPSET }],
    producerName: "kvcdn",
    producerVersion: "fixture",
    docString: params.docString ?? "",
    graph: {
      name: "qwen3_fixture",
      node: g.nodes,
      initializer: [...params.weights, ...g.constants],
      input: inputs,
      output: outputs,
    },
  };
}
