import { isFloat16Variant, isQ4Variant, type BuilderVariant, type RotaryMode } from "./builder-variant.js";
import type { Qwen3Dims } from "./fixture-shapes.js";
import { attrFloat, attrInt, attrInts, GraphBuilder, tensorValueInfo } from "./onnx-graph-builder.js";
import { Q4_BLOCK_SIZE } from "./quantize-q4.js";
import { ONNX_FLOAT, ONNX_FLOAT16, ONNX_INT32, ONNX_INT64, type ModelMsg, type TensorMsg, type ValueInfoMsg } from "./onnx-proto-types.js";

/** ONNX opset of builder-layout graphs (the builder's), plus `com.microsoft` version 1 for the contrib ops. */
export const BUILDER_OPSET = 14;
/** IR version that goes with opset 14. */
const IR_VERSION = 7;
const MS = "com.microsoft";

/**
 * Initializer names of one linear layer in a builder-layout graph, from its Hugging Face weight name
 * (`model.layers.0.self_attn.q_proj.weight`): a float `[in, out]` MatMul weight, or for 4-bit variants the
 * `MatMulNBits` packed weight and scales.
 */
export function builderLinearNames(hfName: string): { weight: string; packed: string; scales: string } {
  const base = hfName.replace(/\.weight$/, ".MatMul.weight");
  return { weight: base, packed: `${base}_Q4`, scales: `${base}_scales` };
}

/** Names of the tied lm_head (its own initializer: a transposed float copy or 4-bit blocks of the embedding). */
export const LM_HEAD_NAME = "lm_head.weight";
/** Names of the rotary tables, `[max_position_embeddings, head_dim / 2]` in the variant's float type. */
export const COS_CACHE_NAME = "cos_cache";
export const SIN_CACHE_NAME = "sin_cache";

/**
 * Build a Qwen3 decoder graph the way onnxruntime-genai's model builder writes it (see docs/builder-layout.md), with
 * the onnx-community I/O names. Per layer: SimplifiedLayerNormalization (layer 0) or SkipSimplifiedLayerNormalization
 * (which also carries the residual sum) → q/k/v MatMul or MatMulNBits → per-head q_norm / k_norm as
 * Reshape → SimplifiedLayerNormalization → Reshape → RotaryEmbedding at `position_ids` (separate) → GroupQueryAttention
 * (`do_rotary=1` with the cos/sin caches when fused) writing `present.{i}.key|value` → o_proj →
 * SkipSimplifiedLayerNormalization → gate/up → SiLU as Sigmoid·Mul → down. Then the final norm and lm_head.
 *
 * `weights` go into the graph unchanged (inline or external); pass none to stream them into the file separately.
 */
export function buildBuilderGraph(params: {
  dims: Qwen3Dims;
  variant: BuilderVariant;
  rotary: RotaryMode;
  weights: TensorMsg[];
  docString?: string;
}): ModelMsg {
  const { dims, variant, rotary } = params;
  const g = new GraphBuilder();
  const float = isFloat16Variant(variant) ? ONNX_FLOAT16 : ONNX_FLOAT;
  const q4 = isQ4Variant(variant);
  const nH = dims.num_attention_heads;
  const nKV = dims.num_key_value_heads;
  const hd = dims.head_dim;
  const eps = attrFloat("epsilon", dims.rms_norm_eps);

  // GroupQueryAttention's length inputs (docs/builder-layout.md): seqlens_k = Σ mask − 1 per row, as int32; and
  // total_sequence_length = the mask's width, an int32 scalar. Both come from attention_mask, which is why the mask
  // must be exactly past + new tokens long.
  const maskSum = g.op("ReduceSum", "/model/attn_mask_reformat/ReduceSum", ["attention_mask", g.int64("const.axes_1", [1])], [attrInt("keepdims", 0)]);
  const maskSub = g.op("Sub", "/model/attn_mask_reformat/Sub", [maskSum, g.int64("const.one", [1])]);
  const seqlensK = g.op("Cast", "/model/attn_mask_reformat/seqlens_k", [maskSub], [attrInt("to", ONNX_INT32)]);
  const maskShape = g.op("Shape", "/model/attn_mask_reformat/Shape", ["attention_mask"]);
  const width = g.op("Gather", "/model/attn_mask_reformat/Gather", [maskShape, g.int64("const.index_1", [1], true)], [attrInt("axis", 0)]);
  const totalLength = g.op("Cast", "/model/attn_mask_reformat/total_seq_len", [width], [attrInt("to", ONNX_INT32)]);
  const headsShape = g.int64("const.shape_heads", [0, 0, -1, hd]);
  const mergedShape = g.int64("const.shape_merged", [0, 0, -1]);

  const linear = (name: string, x: string, hfName: string, k: number, n: number): string => {
    const names = builderLinearNames(hfName);
    if (!q4) return g.op("MatMul", `${name}/MatMul`, [x, names.weight]);
    return g.opMulti(
      "MatMulNBits",
      `${name}/MatMulNBits`,
      [x, names.packed, names.scales],
      [`${name}/MatMulNBits/output_0`],
      [attrInt("K", k), attrInt("N", n), attrInt("bits", 4), attrInt("block_size", Q4_BLOCK_SIZE)],
      MS,
    )[0]!;
  };
  const simplifiedNorm = (name: string, x: string, weight: string): string =>
    g.op("SimplifiedLayerNormalization", name, [x, weight], [attrInt("axis", -1), eps, attrInt("stash_type", 1)]);
  /** Returns [normed, input + skip]; the sum output is skipped when `withSum` is false. */
  const skipNorm = (name: string, x: string, skip: string, weight: string, withSum = true): [string, string] => {
    const outs = g.opMulti(
      "SkipSimplifiedLayerNormalization",
      name,
      [x, skip, weight],
      [`${name}/output_0`, "", "", withSum ? `${name}/output_3` : ""],
      [eps],
      MS,
    );
    return [outs[0]!, outs[3]!];
  };
  const headNorm = (name: string, x: string, weight: string): string => {
    const split = g.op("Reshape", `${name}/Reshape_to_heads`, [x, headsShape]);
    const normed = simplifiedNorm(`${name}/SimplifiedLayerNormalization`, split, weight);
    return g.op("Reshape", `${name}/Reshape_merge`, [normed, mergedShape]);
  };

  const H = dims.hidden_size;
  const qSize = nH * hd;
  const kvSize = nKV * hd;
  const ff = dims.intermediate_size;
  let residual = g.op("Gather", "/model/embed_tokens/Gather", ["model.embed_tokens.weight", "input_ids"], [attrInt("axis", 0)]);
  let pending: string | undefined; // the last sublayer output, added to `residual` by the next SkipSimplified norm
  for (let i = 0; i < dims.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    const n = `/model/layers.${i}`;
    let x: string;
    if (pending === undefined) x = simplifiedNorm(`${n}/input_layernorm/SimplifiedLayerNormalization`, residual, `${p}.input_layernorm.weight`);
    else [x, residual] = skipNorm(`${n}/input_layernorm/SkipLayerNorm`, pending, residual, `${p}.input_layernorm.weight`);

    let q = linear(`${n}/attn/q_proj`, x, `${p}.self_attn.q_proj.weight`, H, qSize);
    let k = linear(`${n}/attn/k_proj`, x, `${p}.self_attn.k_proj.weight`, H, kvSize);
    const v = linear(`${n}/attn/v_proj`, x, `${p}.self_attn.v_proj.weight`, H, kvSize);
    q = headNorm(`${n}/attn/q_norm`, q, `${p}.self_attn.q_norm.weight`);
    k = headNorm(`${n}/attn/k_norm`, k, `${p}.self_attn.k_norm.weight`);
    if (rotary === "separate") {
      const rope = (name: string, input: string): string =>
        g.opMulti("RotaryEmbedding", name, [input, "position_ids", COS_CACHE_NAME, SIN_CACHE_NAME], [`${name}/output_0`], [attrInt("interleaved", 0)], MS)[0]!;
      q = rope(`${n}/attn/q_rotary/RotaryEmbedding`, q);
      k = rope(`${n}/attn/k_rotary/RotaryEmbedding`, k);
    }
    const gqaInputs = [q, k, v, `past_key_values.${i}.key`, `past_key_values.${i}.value`, seqlensK, totalLength];
    if (rotary === "fused") gqaInputs.push(COS_CACHE_NAME, SIN_CACHE_NAME);
    const [attn] = g.opMulti(
      "GroupQueryAttention",
      `${n}/attn/GroupQueryAttention`,
      gqaInputs,
      [`${n}/attn/GroupQueryAttention/output_0`, `present.${i}.key`, `present.${i}.value`],
      [
        attrInt("num_heads", nH),
        attrInt("kv_num_heads", nKV),
        attrFloat("scale", 1 / Math.sqrt(hd)),
        attrInt("local_window_size", -1),
        attrInt("do_rotary", rotary === "fused" ? 1 : 0),
        attrInt("rotary_interleaved", 0),
      ],
      MS,
    );
    const o = linear(`${n}/attn/o_proj`, attn!, `${p}.self_attn.o_proj.weight`, qSize, H);
    let y: string;
    [y, residual] = skipNorm(`${n}/post_attention_layernorm/SkipLayerNorm`, o, residual, `${p}.post_attention_layernorm.weight`);
    const gate = linear(`${n}/mlp/gate_proj`, y, `${p}.mlp.gate_proj.weight`, H, ff);
    const up = linear(`${n}/mlp/up_proj`, y, `${p}.mlp.up_proj.weight`, H, ff);
    const sigmoid = g.op("Sigmoid", `${n}/mlp/act_fn/Sigmoid`, [gate]);
    const silu = g.op("Mul", `${n}/mlp/act_fn/Mul`, [gate, sigmoid]);
    const prod = g.op("Mul", `${n}/mlp/Mul`, [silu, up]);
    pending = linear(`${n}/mlp/down_proj`, prod, `${p}.mlp.down_proj.weight`, ff, H);
  }
  const [final] = skipNorm("/model/norm/SkipLayerNorm", pending!, residual, "model.norm.weight", false);
  const head = linear("/lm_head", final, LM_HEAD_NAME, H, dims.vocab_size);
  g.op("Identity", "/lm_head/logits", [head], [], "logits");

  const inputs: ValueInfoMsg[] = [
    tensorValueInfo("input_ids", ONNX_INT64, ["batch_size", "sequence_length"]),
    tensorValueInfo("attention_mask", ONNX_INT64, ["batch_size", "total_sequence_length"]),
  ];
  if (rotary === "separate") inputs.push(tensorValueInfo("position_ids", ONNX_INT64, ["batch_size", "sequence_length"]));
  const outputs: ValueInfoMsg[] = [tensorValueInfo("logits", float, ["batch_size", "sequence_length", dims.vocab_size])];
  for (let i = 0; i < dims.num_hidden_layers; i++) {
    for (const kind of ["key", "value"]) {
      inputs.push(tensorValueInfo(`past_key_values.${i}.${kind}`, float, ["batch_size", nKV, "past_sequence_length", hd]));
      outputs.push(tensorValueInfo(`present.${i}.${kind}`, float, ["batch_size", nKV, "total_sequence_length", hd]));
    }
  }
  return {
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: "", version: BUILDER_OPSET },
      { domain: MS, version: 1 },
    ],
    producerName: "kvcdn",
    producerVersion: "fixture",
    docString: params.docString ?? "",
    graph: {
      name: "qwen3_fixture_builder",
      node: g.nodes,
      initializer: [...params.weights, ...g.constants],
      input: inputs,
      output: outputs,
    },
  };
}
