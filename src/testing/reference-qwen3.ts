import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors } from "../kv/safetensors/index.js";
import { FixtureModelError } from "./fixture-model-error.js";

// An independent statement of Qwen3's math (Hugging Face `modeling_qwen3.py`), written as plain float64 loops over
// the Hugging Face weights. It deliberately shares no code with the ONNX graph builder: the graph is checked against
// this, so a mistake in one is not repeated in the other.

/** The config.json fields the reference reads. */
export interface ReferenceQwen3Config {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rope_theta: number;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
}

/** A Qwen3 model held for the reference forward: config plus every weight (f32 holds bf16 values exactly). */
export interface ReferenceQwen3Model {
  config: ReferenceQwen3Config;
  /** Hugging Face name → values in Hugging Face layout (`[out, in]` for linear layers). */
  weights: Map<string, Float32Array>;
}

/** One layer's cache: `key` / `value` are `[batch, kv_heads, tokens, head_dim]` row-major in float64. */
export interface ReferenceKv {
  key: Float64Array;
  value: Float64Array;
  /** `[batch, kv_heads, tokens, head_dim]`. */
  dims: [number, number, number, number];
}

/** Inputs of {@link referenceQwen3Forward}; rows are batch entries, all of the same length. */
export interface ReferenceForwardInput {
  /** `[batch][seq]` token ids. */
  inputIds: number[][];
  /** `[batch][past + seq]` 1 = attend, 0 = padding. @default all ones */
  attentionMask?: number[][];
  /** `[batch][seq]` absolute RoPE positions. @default past … past+seq−1 */
  positionIds?: number[][];
  /** One entry per layer (`present` of an earlier call). @default empty (past = 0) */
  pastKeyValues?: ReferenceKv[];
  /**
   * Which KV head query head `h` reads. Qwen3 (Hugging Face `repeat_kv`) is `⌊h / (heads / kv_heads)⌋`, the default;
   * tests pass another mapping to prove the choice is observable.
   */
  kvHeadOf?: (h: number, numHeads: number, numKvHeads: number) => number;
}

/** Outputs of {@link referenceQwen3Forward}. */
export interface ReferenceForwardOutput {
  /** `[batch, seq, vocab]` row-major. */
  logits: Float64Array;
  /** One entry per layer: past ++ this call's keys (post-k_norm, post-RoPE) and values, not repeated for GQA. */
  present: ReferenceKv[];
}

const MASKED_SCORE = -1e9;

/**
 * Load `config.json` and `model.safetensors` (BF16, F16 or F32) from a model folder for the reference forward.
 * @throws FixtureModelError `bad_config` when the folder is not a Qwen3 model this reference supports.
 * @example const model = await loadReferenceQwen3(dir)
 */
export async function loadReferenceQwen3(dir: string): Promise<ReferenceQwen3Model> {
  const raw = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  if (raw["model_type"] !== "qwen3") {
    throw new FixtureModelError(`${dir}/config.json: model_type is ${JSON.stringify(raw["model_type"])}, not "qwen3"`, { code: "bad_config" });
  }
  if (raw["rope_scaling"] !== null && raw["rope_scaling"] !== undefined) {
    throw new FixtureModelError(`${dir}/config.json: rope_scaling is not supported by the reference`, { code: "bad_config" });
  }
  const num = (key: string): number => {
    const v = raw[key];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new FixtureModelError(`${dir}/config.json: ${key} must be a number`, { code: "bad_config" });
    }
    return v;
  };
  const config: ReferenceQwen3Config = {
    vocab_size: num("vocab_size"),
    hidden_size: num("hidden_size"),
    intermediate_size: num("intermediate_size"),
    num_hidden_layers: num("num_hidden_layers"),
    num_attention_heads: num("num_attention_heads"),
    num_key_value_heads: num("num_key_value_heads"),
    head_dim: num("head_dim"),
    rope_theta: num("rope_theta"),
    rms_norm_eps: num("rms_norm_eps"),
    tie_word_embeddings: raw["tie_word_embeddings"] !== false,
  };
  const { tensors } = await readSafetensors(join(dir, "model.safetensors"));
  const weights = new Map<string, Float32Array>();
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const out = new Float32Array(n);
    if (t.dtype === "F32") {
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    } else if (t.dtype === "BF16") {
      const bits = new Uint32Array(out.buffer); // a bf16 is the upper half of an f32
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
    } else if (t.dtype === "F16") {
      for (let i = 0; i < n; i++) out[i] = f16ToNumber(view.getUint16(i * 2, true));
    } else {
      throw new FixtureModelError(`${dir}/model.safetensors: ${name} has dtype ${t.dtype}; expected BF16, F16 or F32`, { code: "bad_config" });
    }
    weights.set(name, out);
  }
  return { config, weights };
}

function f16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The Qwen3 forward pass in float64: logits for every position and every layer's present key/value, with
 * `past_key_values`, padding masks and explicit position ids. Slow but obviously correct; meant for small models.
 * @example const { logits, present } = referenceQwen3Forward(model, { inputIds: [[4340, 525, 498]] })
 */
export function referenceQwen3Forward(model: ReferenceQwen3Model, input: ReferenceForwardInput): ReferenceForwardOutput {
  const c = model.config;
  const H = c.hidden_size;
  const nH = c.num_attention_heads;
  const nKV = c.num_key_value_heads;
  const hd = c.head_dim;
  const V = c.vocab_size;
  const B = input.inputIds.length;
  const S = input.inputIds[0]?.length ?? 0;
  const past = input.pastKeyValues?.[0]?.dims[2] ?? 0;
  const T = past + S;
  const kvHeadOf = input.kvHeadOf ?? ((h: number, heads: number, kvHeads: number) => Math.floor(h / (heads / kvHeads)));
  const weight = (name: string): Float32Array => {
    const w = model.weights.get(name);
    if (w === undefined) throw new FixtureModelError(`weight ${name} is missing`, { code: "bad_config" });
    return w;
  };
  const embed = weight("model.embed_tokens.weight");
  const lmHead = c.tie_word_embeddings ? embed : weight("lm_head.weight");

  const present: ReferenceKv[] = [];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = input.pastKeyValues?.[l];
    if (p !== undefined && (p.dims[0] !== B || p.dims[1] !== nKV || p.dims[2] !== past || p.dims[3] !== hd)) {
      throw new FixtureModelError(`past_key_values[${l}] has dims [${p.dims.join(", ")}]`, { code: "bad_options" });
    }
    present.push({ key: new Float64Array(B * nKV * T * hd), value: new Float64Array(B * nKV * T * hd), dims: [B, nKV, T, hd] });
  }
  const logits = new Float64Array(B * S * V);

  for (let b = 0; b < B; b++) {
    const ids = input.inputIds[b]!;
    const mask = input.attentionMask?.[b] ?? new Array<number>(T).fill(1);
    const positions = input.positionIds?.[b] ?? Array.from({ length: S }, (_, i) => past + i);
    if (ids.length !== S || mask.length !== T || positions.length !== S) {
      throw new FixtureModelError(`row ${b}: input_ids, attention_mask and position_ids lengths disagree`, { code: "bad_options" });
    }
    // x[s] is the residual stream of token s.
    const x: Float64Array[] = ids.map((id) => {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new FixtureModelError(`token id ${id} is outside the vocabulary`, { code: "bad_options" });
      return Float64Array.from(embed.subarray(id * H, (id + 1) * H));
    });

    for (let l = 0; l < c.num_hidden_layers; l++) {
      const pre = `model.layers.${l}`;
      const keys = present[l]!.key;
      const values = present[l]!.value;
      const pastKv = input.pastKeyValues?.[l];
      // Copy this row's past into present: [b, kvh, 0..past).
      if (pastKv !== undefined) {
        for (let g = 0; g < nKV; g++) {
          for (let t = 0; t < past; t++) {
            for (let d = 0; d < hd; d++) {
              keys[((b * nKV + g) * T + t) * hd + d] = pastKv.key[((b * nKV + g) * past + t) * hd + d]!;
              values[((b * nKV + g) * T + t) * hd + d] = pastKv.value[((b * nKV + g) * past + t) * hd + d]!;
            }
          }
        }
      }
      const queries: Float64Array[] = []; // [s] → nH*hd, normed and rotated
      for (let s = 0; s < S; s++) {
        const h = rmsNorm(x[s]!, weight(`${pre}.input_layernorm.weight`), c.rms_norm_eps);
        const q = linear(weight(`${pre}.self_attn.q_proj.weight`), h, nH * hd);
        const k = linear(weight(`${pre}.self_attn.k_proj.weight`), h, nKV * hd);
        const v = linear(weight(`${pre}.self_attn.v_proj.weight`), h, nKV * hd);
        for (let head = 0; head < nH; head++) {
          const qh = rmsNorm(q.subarray(head * hd, (head + 1) * hd), weight(`${pre}.self_attn.q_norm.weight`), c.rms_norm_eps);
          q.set(rotary(qh, positions[s]!, c.rope_theta), head * hd);
        }
        queries.push(q);
        for (let g = 0; g < nKV; g++) {
          const kh = rmsNorm(k.subarray(g * hd, (g + 1) * hd), weight(`${pre}.self_attn.k_norm.weight`), c.rms_norm_eps);
          const rotated = rotary(kh, positions[s]!, c.rope_theta);
          const at = ((b * nKV + g) * T + past + s) * hd;
          keys.set(rotated, at);
          values.set(v.subarray(g * hd, (g + 1) * hd), at);
        }
      }
      for (let s = 0; s < S; s++) {
        const context = new Float64Array(nH * hd);
        for (let head = 0; head < nH; head++) {
          const g = kvHeadOf(head, nH, nKV);
          const scores = new Float64Array(T);
          for (let t = 0; t < T; t++) {
            // Causal by index in the sequence (past + s), padding by the mask; position_ids only drive RoPE.
            if (t > past + s || mask[t] === 0) {
              scores[t] = MASKED_SCORE;
              continue;
            }
            let dot = 0;
            const at = ((b * nKV + g) * T + t) * hd;
            for (let d = 0; d < hd; d++) dot += queries[s]![head * hd + d]! * keys[at + d]!;
            scores[t] = dot / Math.sqrt(hd);
          }
          let max = -Infinity;
          for (const v of scores) max = Math.max(max, v);
          let sum = 0;
          for (let t = 0; t < T; t++) sum += scores[t] = Math.exp(scores[t]! - max);
          for (let t = 0; t < T; t++) {
            const pr = scores[t]! / sum;
            const at = ((b * nKV + g) * T + t) * hd;
            for (let d = 0; d < hd; d++) context[head * hd + d]! += pr * values[at + d]!;
          }
        }
        const attn = linear(weight(`${pre}.self_attn.o_proj.weight`), context, H);
        for (let i = 0; i < H; i++) x[s]![i]! += attn[i]!;
        const h2 = rmsNorm(x[s]!, weight(`${pre}.post_attention_layernorm.weight`), c.rms_norm_eps);
        const gate = linear(weight(`${pre}.mlp.gate_proj.weight`), h2, c.intermediate_size);
        const up = linear(weight(`${pre}.mlp.up_proj.weight`), h2, c.intermediate_size);
        for (let i = 0; i < gate.length; i++) gate[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
        const down = linear(weight(`${pre}.mlp.down_proj.weight`), gate, H);
        for (let i = 0; i < H; i++) x[s]![i]! += down[i]!;
      }
    }
    for (let s = 0; s < S; s++) {
      const h = rmsNorm(x[s]!, weight("model.norm.weight"), c.rms_norm_eps);
      logits.set(linear(lmHead, h, V), (b * S + s) * V);
    }
  }
  return { logits, present };
}

/** y = W x for W stored `[out, in]` row-major. */
function linear(w: Float32Array, x: Float64Array, out: number): Float64Array {
  const n = x.length;
  if (w.length !== out * n) throw new FixtureModelError(`weight of ${w.length} values cannot map ${n} to ${out}`, { code: "bad_config" });
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let acc = 0;
    const row = o * n;
    for (let i = 0; i < n; i++) acc += w[row + i]! * x[i]!;
    y[o] = acc;
  }
  return y;
}

/** x / √(mean(x²) + ε) · w. */
function rmsNorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ms = 0;
  for (const v of x) ms += v * v;
  const inv = 1 / Math.sqrt(ms / x.length + eps);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! * inv * w[i]!;
  return y;
}

/** Rotate-half RoPE: pairs (i, i + d/2) rotate by position · θ^(−2i/d). */
function rotary(x: Float64Array, position: number, theta: number): Float64Array {
  const d = x.length;
  const half = d / 2;
  const y = new Float64Array(d);
  for (let i = 0; i < half; i++) {
    const angle = position * Math.pow(theta, (-2 * i) / d);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    y[i] = x[i]! * cos - x[i + half]! * sin;
    y[i + half] = x[i + half]! * cos + x[i]! * sin;
  }
  return y;
}
