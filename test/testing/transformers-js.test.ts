// transformers.js loads the fixture folder offline as Qwen3ForCausalLM (inline and external ONNX weights), its greedy
// generate() equals a greedy loop driven by onnxruntime-node directly, and the copied tokenizer is Qwen3's.
import { AutoModelForCausalLM, AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer } from "@huggingface/transformers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ensureFixtureModel, FIXTURE_SHAPES } from "../../src/testing/index.js";
import { expectClose, openSession, ortForward, ortGreedy, type ort } from "./ort-helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

env.allowRemoteModels = false;
env.useFSCache = false;

const tiny = FIXTURE_SHAPES.tiny;
const dims = { layers: tiny.num_hidden_layers, kvHeads: tiny.num_key_value_heads, headDim: tiny.head_dim, vocab: tiny.vocab_size };
const load = (dir: string): Promise<PreTrainedModel> =>
  AutoModelForCausalLM.from_pretrained(dir, { dtype: "fp32", device: "cpu", local_files_only: true });

let dir: string;
let tokenizer: PreTrainedTokenizer;
let model: PreTrainedModel;
let session: ort.InferenceSession;

beforeAll(async () => {
  dir = await ensureFixtureModel({ shape: "tiny", seed: 3 });
  [tokenizer, model, session] = await Promise.all([
    AutoTokenizer.from_pretrained(dir, { local_files_only: true }),
    load(dir),
    openSession(dir),
  ]);
});

/** Greedy generate() with transformers.js; returns only the new ids. */
async function generateGreedy(m: PreTrainedModel, ids: number[], maxNewTokens: number): Promise<number[]> {
  const input_ids = tokenizer(tokenizer.decode(ids, { skip_special_tokens: false }), { add_special_tokens: false }).input_ids;
  expect(Array.from(input_ids.data as BigInt64Array, Number)).toEqual(ids);
  const out = (await m.generate({ input_ids, max_new_tokens: maxNewTokens, do_sample: false })) as { tolist(): bigint[][] };
  return out.tolist()[0]!.slice(ids.length).map(Number);
}

describe("transformers.js on the fixture folder", () => {
  it("loads offline as Qwen3ForCausalLM with the fixture's config", () => {
    expect(model.constructor.name).toBe("Qwen3ForCausalLM");
    expect(model.config.model_type).toBe("qwen3");
    expect((model.config as unknown as Record<string, unknown>)["num_key_value_heads"]).toBe(tiny.num_key_value_heads);
  });

  it.each(["How are you doing?", "The quick brown fox jumps over the lazy dog", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"])(
    "greedy generate of %j equals a greedy loop on onnxruntime-node",
    async (prompt) => {
      const ids = tokenizer.encode(prompt);
      const fromTransformers = await generateGreedy(model, ids, 12);
      const fromOrt = await ortGreedy(session, dims, ids, 12);
      expect(fromTransformers).toEqual(fromOrt);
      expect(fromTransformers).toHaveLength(12);
    },
  );

  it("greedy continuations are not degenerate, so the comparison above means something", async () => {
    const ids = tokenizer.encode("How are you doing?");
    expect(new Set(await ortGreedy(session, dims, ids, 12)).size).toBeGreaterThanOrEqual(3);
  });

  it("a single forward returns the same logits as onnxruntime-node", async () => {
    const ids = tokenizer.encode("How are you doing?");
    const inputs = tokenizer("How are you doing?");
    const out = (await model(inputs)) as { logits: { data: Float32Array; dims: number[] } };
    const direct = await ortForward(session, dims, { ids: [ids] });
    expect(out.logits.dims).toEqual([...direct.logitsDims]);
    expectClose(out.logits.data, direct.logits, "transformers.js logits");
  });

  it("loads ONNX weights from onnx/model.onnx_data (external data) and generates the same tokens", async () => {
    const external = await ensureFixtureModel({ shape: "tiny", seed: 3, externalData: true });
    const config = await import("node:fs/promises").then((fs) => fs.readFile(`${external}/config.json`, "utf8"));
    expect(JSON.parse(config)["transformers.js_config"]).toEqual({ use_external_data_format: true });
    const externalModel = await load(external);
    const ids = tokenizer.encode("How are you doing?");
    expect(await generateGreedy(externalModel, ids, 12)).toEqual(await generateGreedy(model, ids, 12));
  });
});

describe("the copied tokenizer is Qwen3's", () => {
  it("encodes the documented ids, with no BOS or EOS added", () => {
    expect(tokenizer.constructor.name).toBe("Qwen2Tokenizer");
    expect(tokenizer.encode("How are you doing?")).toEqual([4340, 525, 498, 3730, 30]);
    expect(tokenizer.encode("How are you doing?", { add_special_tokens: false })).toEqual([4340, 525, 498, 3730, 30]);
  });

  it("maps the special tokens to Qwen3's ids", () => {
    expect(tokenizer.encode("<|endoftext|><|im_start|><|im_end|><think></think>")).toEqual([151643, 151644, 151645, 151667, 151668]);
    const chat = tokenizer.encode("<|im_start|>user\nHow are you doing?<|im_end|>");
    expect(chat[0]).toBe(151644);
    expect(chat.at(-1)).toBe(151645);
    expect(chat.slice(-6, -1)).toEqual([4340, 525, 498, 3730, 30]);
  });

  it("decodes back to the text", () => {
    expect(tokenizer.decode([4340, 525, 498, 3730, 30])).toBe("How are you doing?");
  });
});
