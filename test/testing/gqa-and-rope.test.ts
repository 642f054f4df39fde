// Grouped-query attention and RoPE are Qwen3's: query head h reads KV head ⌊h / group⌋, keys are stored post-k_norm
// and post-RoPE (rotate-half, θ^(−2j/d)), and at position 0 RoPE is the identity.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createFixtureModel,
  ensureFixtureModel,
  loadReferenceQwen3,
  referenceQwen3Forward,
  type ReferenceQwen3Model,
} from "../../src/testing/index.js";
import { expectClose, maxAbsDiff, openSession, ortForward, RELATIVE_TOLERANCE, type ort } from "./ort-helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let session: ort.InferenceSession;
let model: ReferenceQwen3Model;
let dims: { layers: number; kvHeads: number; headDim: number };
let scratch: string;

beforeAll(async () => {
  const dir = await ensureFixtureModel({ shape: "tiny", seed: 2 });
  [session, model] = await Promise.all([openSession(dir), loadReferenceQwen3(dir)]);
  const c = model.config;
  dims = { layers: c.num_hidden_layers, kvHeads: c.num_key_value_heads, headDim: c.head_dim };
  scratch = await mkdtemp(join(tmpdir(), "kvcdn-gqa-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `[out, in]` times a vector. */
const matVec = (w: Float32Array, x: number[], out: number): number[] =>
  Array.from({ length: out }, (_, o) => x.reduce((acc, v, i) => acc + w[o * x.length + i]! * v, 0));
const rms = (x: number[], w: Float32Array, eps: number): number[] => {
  const inv = 1 / Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length + eps);
  return x.map((v, i) => v * inv * w[i]!);
};

/** Layer-0 key and value heads of one token, before RoPE, straight from the Hugging Face weights. */
function layer0KeyValue(token: number): { keys: number[][]; values: number[][] } {
  const c = model.config;
  const w = (n: string): Float32Array => model.weights.get(n)!;
  const x = Array.from(w("model.embed_tokens.weight").subarray(token * c.hidden_size, (token + 1) * c.hidden_size));
  const h = rms(x, w("model.layers.0.input_layernorm.weight"), c.rms_norm_eps);
  const k = matVec(w("model.layers.0.self_attn.k_proj.weight"), h, c.num_key_value_heads * c.head_dim);
  const v = matVec(w("model.layers.0.self_attn.v_proj.weight"), h, c.num_key_value_heads * c.head_dim);
  const heads = (y: number[]): number[][] => Array.from({ length: c.num_key_value_heads }, (_, g) => y.slice(g * c.head_dim, (g + 1) * c.head_dim));
  return { keys: heads(k).map((kh) => rms(kh, w("model.layers.0.self_attn.k_norm.weight"), c.rms_norm_eps)), values: heads(v) };
}

/** `present.0.key` / `.value` of one token as `[kv head][d]`. */
const headsOf = (t: ort.Tensor): number[][] => {
  const data = t.data as Float32Array;
  return Array.from({ length: dims.kvHeads }, (_, g) => Array.from(data.subarray(g * dims.headDim, (g + 1) * dims.headDim)));
};

describe("RoPE", () => {
  it("at position 0 the stored key is k_norm(k_proj(input_layernorm(embedding))) and the value is v_proj(...)", async () => {
    const token = 4340;
    const out = await ortForward(session, dims, { ids: [[token]], positions: [[0]] });
    const expected = layer0KeyValue(token);
    expectClose(headsOf(out.present[0]!.key).flat(), expected.keys.flat(), "key at position 0");
    expectClose(headsOf(out.present[0]!.value).flat(), expected.values.flat(), "value");
  });

  it.each([1, 7, 1000, 40959])("at position %i the key is rotate-half RoPE of the position-0 key", async (position) => {
    const token = 30;
    const out = await ortForward(session, dims, { ids: [[token]], positions: [[position]] });
    const c = model.config;
    const half = c.head_dim / 2;
    const rotated = layer0KeyValue(token).keys.map((k) =>
      k.map((v, i) => {
        const j = i % half;
        const angle = position * Math.pow(c.rope_theta, (-2 * j) / c.head_dim);
        return i < half ? v * Math.cos(angle) - k[i + half]! * Math.sin(angle) : v * Math.cos(angle) + k[i - half]! * Math.sin(angle);
      }),
    );
    // f32 angles (position · inv_freq, as Hugging Face computes them) lose ~1e-7 · position radians.
    const { diff, scale } = maxAbsDiff(headsOf(out.present[0]!.key).flat(), rotated.flat());
    expect(diff / scale).toBeLessThan(Math.max(RELATIVE_TOLERANCE, 2e-7 * position));
    expectClose(headsOf(out.present[0]!.value).flat(), layer0KeyValue(token).values.flat(), "values are not rotated");
  });
});

describe("grouped-query attention", () => {
  const ids = [4340, 525, 498, 3730, 30, 9707];

  it("matches the reference's ⌊h / group⌋ mapping and not the interleaved h mod kv_heads one", async () => {
    const out = await ortForward(session, dims, { ids: [ids] });
    const qwen3 = referenceQwen3Forward(model, { inputIds: [ids] });
    const interleaved = referenceQwen3Forward(model, { inputIds: [ids], kvHeadOf: (h, _n, kv) => h % kv });
    expectClose(out.logits, qwen3.logits, "logits");
    const wrong = maxAbsDiff(out.logits, interleaved.logits);
    expect(wrong.diff / wrong.scale).toBeGreaterThan(1e-2);
  });

  it("perturbing one KV head changes exactly the query heads that read it", async () => {
    // One layer, 4 query heads over 2 KV heads (group 2). o_proj ignores query heads 0 and 1, so the logits see only
    // heads 2 and 3, which must read KV head 1. Negating KV head 0's k/v rows must then leave the logits bit for bit
    // unchanged (its cache changes), while negating KV head 1's rows must change them.
    const shape = { num_hidden_layers: 1, vocab_size: 512 };
    const c = { ...model.config, ...shape };
    const hd = c.head_dim;
    const muteHeads01 = (name: string, v: Float32Array): void => {
      if (name !== "model.layers.0.self_attn.o_proj.weight") return;
      const cols = c.num_attention_heads * hd;
      for (let row = 0; row < c.hidden_size; row++) v.fill(0, row * cols, row * cols + 2 * hd);
    };
    const negateKvHead = (g: number) => (name: string, v: Float32Array): void => {
      muteHeads01(name, v);
      if (name.endsWith(".k_proj.weight") || name.endsWith(".v_proj.weight")) {
        for (let i = g * hd * c.hidden_size; i < (g + 1) * hd * c.hidden_size; i++) v[i] = -v[i]!;
      }
    };
    const make = async (name: string, transformWeight: (n: string, v: Float32Array) => void): Promise<ort.InferenceSession> => {
      const m = await createFixtureModel({ dir: join(scratch, name), shape, seed: 3, transformWeight });
      return openSession(m.dir);
    };
    const [base, kv0, kv1] = await Promise.all([make("base", muteHeads01), make("kv0", negateKvHead(0)), make("kv1", negateKvHead(1))]);
    const small = { layers: 1, kvHeads: c.num_key_value_heads, headDim: hd };
    const prompt = [[5, 77, 300, 12, 499, 1]];
    const [rb, r0, r1] = await Promise.all([
      ortForward(base, small, { ids: prompt }),
      ortForward(kv0, small, { ids: prompt }),
      ortForward(kv1, small, { ids: prompt }),
    ]);

    const valueHeads = (r: typeof rb): number[][] => {
      const data = r.present[0]!.value.data as Float32Array;
      const per = prompt[0]!.length * hd;
      return [Array.from(data.subarray(0, per)), Array.from(data.subarray(per, 2 * per))];
    };
    // The perturbation really happened: KV head 0's cache is negated, KV head 1's is untouched.
    expectClose(valueHeads(r0)[0]!, valueHeads(rb)[0]!.map((v) => -v), "negated head 0");
    expect(valueHeads(r0)[1]).toEqual(valueHeads(rb)[1]);
    // Heads 0 and 1 read KV head 0 and are muted: logits identical. Heads 2 and 3 read KV head 1: logits move.
    expect(Array.from(r0.logits)).toEqual(Array.from(rb.logits));
    const moved = maxAbsDiff(r1.logits, rb.logits);
    expect(moved.diff / moved.scale).toBeGreaterThan(1e-2);
  });
});
