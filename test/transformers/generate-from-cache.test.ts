import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AbortError, CacheInputError, CompatibilityError, KvcdnError, ModelFolderError } from "../../src/errors/index.js";
import { writeKv, type KvCache } from "../../src/kv/index.js";
import { loadModel, prepareCache, produceCache, resumeFromCache, type OnnxModel } from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import {
  generateFromCache,
  kvToDynamicCache,
  loadTransformersModel,
  pastTensorType,
  presentToKv,
  type TransformersGenerateOptions,
  type TransformersModel,
} from "../../src/transformers/index.js";
import { FIXTURE, LONG_TEXT, makeTempDir } from "../onnx/helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let dir: string;
let ortModel: OnnxModel;
let tf: TransformersModel;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let ids: number[];
const N = 8;
const greedy = { max_new_tokens: N, do_sample: false } as const;

beforeAll(async () => {
  dir = await ensureFixtureModel(FIXTURE);
  [ortModel, tf] = await Promise.all([loadModel({ dir }), loadTransformersModel({ dir })]);
  tmp = await makeTempDir();
  ids = ortModel.tokenizer.encode(LONG_TEXT);
});
afterAll(async () => {
  await ortModel?.dispose();
  await tmp?.cleanup();
});

/** transformers.js greedy generate() over the whole prompt, no cache. */
async function plainGenerate(inputIds: number[]): Promise<number[]> {
  const { Tensor } = await import("@huggingface/transformers");
  const out = (await tf.model.generate({
    ...greedy,
    input_ids: new Tensor("int64", BigInt64Array.from(inputIds, BigInt), [1, inputIds.length]),
    attention_mask: new Tensor("int64", new BigInt64Array(inputIds.length).fill(1n), [1, inputIds.length]),
  })) as { tolist(): bigint[][] };
  return out.tolist()[0]!.slice(inputIds.length).map(Number);
}

const digest = (cache: KvCache) => {
  const h = createHash("sha256");
  for (const l of cache.layers) for (const t of [l.key, l.value]) h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return h.digest("hex");
};

describe("generateFromCache (transformers.js)", () => {
  it("loads offline without changing transformers.js's global env", async () => {
    const { env } = await import("@huggingface/transformers");
    expect(env.allowRemoteModels).toBe(true); // the default; kvcdn passes local_files_only per call instead
    expect(tf.model.constructor.name).toBe("Qwen3ForCausalLM");
  });

  it("reads the past type from the session metadata", () => {
    expect(pastTensorType(tf.model)).toBe("float32");
  });

  it("generates the same greedy tokens as the onnxruntime path and as a plain full-prompt generate()", async () => {
    for (const [length, question] of [[1, " So"], [7, "\n\nQ: Why?\nA:"], [37, " The cache"]] as const) {
      const kv = join(tmp.dir, `ctx-${length}.kv`);
      await produceCache({ model: ortModel, contextTokens: ids.slice(0, length), output: kv });
      const fromTf = await generateFromCache({ ...tf, kv, question, ...greedy });
      const fromOrt = await resumeFromCache({ model: ortModel, kv, question, maxNewTokens: N }).collect();
      expect(fromTf.newTokens).toEqual(fromOrt.tokens);
      expect(fromTf.cachedTokens).toBe(length);
      const fullIds = [...ids.slice(0, length), ...ortModel.tokenizer.encode(question, { addSpecialTokens: false })];
      expect(fromTf.sequences.slice(0, fullIds.length)).toEqual(fullIds);
      expect(fromTf.newTokens).toEqual(await plainGenerate(fullIds));
      expect(fromTf.text).toBe(ortModel.tokenizer.decode(fromTf.newTokens));
    }
  });

  it("builds a fresh DynamicCache per call and never mutates the caller's cache", async () => {
    const { cache, metadata } = await produceCache({ model: ortModel, contextTokens: ids.slice(0, 20) });
    const before = digest(cache);
    const inputIds = [...ids.slice(0, 20), ...ids.slice(40, 44)];
    const first = await generateFromCache({ ...tf, kv: { cache, metadata }, inputIds, ...greedy });
    const second = await generateFromCache({ ...tf, kv: { cache, metadata }, inputIds, ...greedy });
    expect(second.newTokens).toEqual(first.newTokens);
    expect(digest(cache)).toBe(before);
    expect(cache.layers[0]!.key.shape[2]).toBe(20);

    const a = await kvToDynamicCache(cache);
    const b = await kvToDynamicCache(cache);
    expect(a).not.toBe(b);
    expect(a.get_seq_length()).toBe(20);
  });

  it("accepts a kvcdn/onnx prepareCache handle, and refuses a disposed one", async () => {
    const kv = join(tmp.dir, "prepared.kv");
    await produceCache({ model: ortModel, contextTokens: ids.slice(0, 12), output: kv });
    const ctx = await prepareCache(ortModel, kv);
    const fromHandle = await generateFromCache({ ...tf, kv: ctx, question: " Then", ...greedy });
    const fromFile = await generateFromCache({ ...tf, kv, question: " Then", ...greedy });
    expect(fromHandle.newTokens).toEqual(fromFile.newTokens);
    expect(fromHandle.cachedTokens).toBe(12);
    ctx.dispose();
    await expect(generateFromCache({ ...tf, kv: ctx, question: " Then", ...greedy })).rejects.toMatchObject({
      name: "CacheInputError",
      code: "disposed_cache",
    });
  });

  it("feeds an F16 cache to the fp32 model (converted to the session's type)", async () => {
    const { cache, metadata } = await produceCache({ model: ortModel, contextTokens: ids.slice(0, 20) });
    const f16 = join(tmp.dir, "f16.kv");
    await writeKv(f16, cache, { dtype: "F16", sidecar: { ...metadata } });
    const out = await generateFromCache({ ...tf, kv: f16, question: " Yes", ...greedy });
    expect(out.newTokens).toHaveLength(N);
    expect(out.cachedTokens).toBe(20);
  });

  it("turns a forward's present.* into a .kv the onnxruntime path resumes from", async () => {
    const { Tensor } = await import("@huggingface/transformers");
    const context = ids.slice(0, 15);
    const outputs = (await tf.model({
      input_ids: new Tensor("int64", BigInt64Array.from(context, BigInt), [1, context.length]),
      attention_mask: new Tensor("int64", new BigInt64Array(context.length).fill(1n), [1, context.length]),
    })) as Record<string, unknown>;
    const cache = presentToKv(outputs);
    expect(cache.dtype).toBe("F32");
    expect(cache.layers).toHaveLength(3);
    expect(cache.layers[0]!.key.shape).toEqual([1, 2, 15, 32]);
    const fromOrt = await produceCache({ model: ortModel, contextTokens: context });
    let maxDiff = 0;
    cache.layers.forEach((l, i) => {
      const o = fromOrt.cache.layers[i]!;
      for (const [x, y] of [[l.key.data, o.key.data], [l.value.data, o.value.data]] as const) {
        for (let j = 0; j < x.length; j++) maxDiff = Math.max(maxDiff, Math.abs(x[j]! - y[j]!));
      }
    });
    expect(maxDiff).toBeLessThan(1e-5);
    const kv = join(tmp.dir, "from-transformers.kv");
    await writeKv(kv, cache, { sidecar: { model_name: ortModel.modelId, tokens: context, fingerprint: ortModel.fingerprint } });
    const resumed = await resumeFromCache({ model: ortModel, kv, question: " And", maxNewTokens: 4, ignoreEos: true }).collect();
    const reference = await resumeFromCache({ model: ortModel, kv: fromOrt, question: " And", maxNewTokens: 4, ignoreEos: true }).collect();
    expect(resumed.tokens).toEqual(reference.tokens);
  });

  describe("seeding rules", () => {
    let cached: { cache: KvCache; metadata: { tokens: number[] } };
    beforeAll(async () => {
      const p = await produceCache({ model: ortModel, contextTokens: ids.slice(0, 12) });
      cached = { cache: p.cache, metadata: { tokens: p.tokens } };
    });

    it("refuses a fully cached prompt, and reuses all but the last token with reusePrefix", async () => {
      const error = await generateFromCache({ ...tf, kv: cached, inputIds: ids.slice(0, 12), ...greedy }).catch((e) => e);
      expect(error).toBeInstanceOf(CacheInputError);
      expect(error.code).toBe("fully_cached");
      expect(error.message).toMatch(/reusePrefix/);
      const reused = await generateFromCache({ ...tf, kv: cached, inputIds: ids.slice(0, 12), reusePrefix: true, ...greedy });
      expect(reused.cachedTokens).toBe(11);
      expect(reused.newTokens).toEqual(await plainGenerate(ids.slice(0, 12)));
    });

    it("refuses ids that do not start with the cached tokens, and truncates with reusePrefix", async () => {
      const inputIds = [...ids.slice(0, 5), ...ids.slice(60, 70)];
      const error = await generateFromCache({ ...tf, kv: cached, inputIds, ...greedy }).catch((e) => e);
      expect(error).toBeInstanceOf(CacheInputError);
      expect(error.code).toBe("prefix_mismatch");
      const reused = await generateFromCache({ ...tf, kv: cached, inputIds, reusePrefix: true, ...greedy });
      expect(reused.cachedTokens).toBe(5);
      expect(reused.newTokens).toEqual(await plainGenerate(inputIds));
    });

    it("needs the cached tokens", async () => {
      const error = await generateFromCache({ ...tf, kv: { cache: cached.cache }, question: "?", ...greedy }).catch((e) => e);
      expect(error).toBeInstanceOf(CacheInputError);
      expect(error.code).toBe("no_tokens");
    });

    it("refuses a cache with another layer count", async () => {
      const cache = { dtype: cached.cache.dtype, layers: cached.cache.layers.slice(0, 2) } as KvCache;
      const error = await generateFromCache({ ...tf, kv: { cache, metadata: cached.metadata }, question: "?", ...greedy }).catch((e) => e);
      expect(error).toBeInstanceOf(CompatibilityError);
      expect([error.field, error.expected, error.actual]).toEqual(["num_layers", 3, 2]);
    });
  });

  describe("the same compatibility checks as kvcdn/onnx", () => {
    let produced: Awaited<ReturnType<typeof produceCache>>;
    beforeAll(async () => {
      produced = await produceCache({ model: ortModel, contextTokens: ids.slice(0, 10) });
    });

    it("describes the loaded model as loadModel does", () => {
      expect(tf.description).toMatchObject({
        modelId: ortModel.modelId,
        numLayers: ortModel.numLayers,
        numKvHeads: ortModel.numKvHeads,
        headDim: ortModel.headDim,
        pastType: ortModel.io.pastType,
        fingerprint: ortModel.fingerprint,
      });
    });

    it("refuses a cache of the same shape from another model (fingerprint)", async () => {
      const metadata = { ...produced.metadata, fingerprint: { ...produced.metadata.fingerprint!, architecture: "LlamaForCausalLM" } };
      const error = await generateFromCache({ ...tf, kv: { cache: produced.cache, metadata }, question: "?", ...greedy }).catch((e) => e);
      expect(error).toBeInstanceOf(CompatibilityError);
      expect(error.field).toBe("fingerprint.architecture");
      // the onnxruntime path refuses it the same way
      const fromOrt = await resumeFromCache({ model: ortModel, kv: { cache: produced.cache, metadata }, question: "?" }).collect().catch((e) => e);
      expect(fromOrt).toBeInstanceOf(CompatibilityError);
      expect(fromOrt.field).toBe(error.field);
    });

    it("refuses a .kv file whose sidecar names another model and has no fingerprint", async () => {
      const kv = join(tmp.dir, "other-model.kv");
      await writeKv(kv, produced.cache, { sidecar: { model_name: "someone/other-model", tokens: produced.tokens } });
      const error = await generateFromCache({ ...tf, kv, question: "?", ...greedy }).catch((e) => e);
      expect(error).toBeInstanceOf(CompatibilityError);
      expect([error.field, error.actual]).toEqual(["model_name", "someone/other-model"]);
    });

    it("without a description, checks dimensions and the model name from model.config", async () => {
      const error = await generateFromCache({ model: tf.model, tokenizer: tf.tokenizer, kv: { cache: produced.cache, metadata: { ...produced.metadata, num_layers: 2 } }, question: "?", ...greedy }).catch((e) => e);
      expect(error).toBeInstanceOf(CompatibilityError);
      expect(error.field).toBe("num_layers");
    });
  });

  describe("typed options and signal", () => {
    let kv: string;
    beforeAll(async () => {
      kv = join(tmp.dir, "typed.kv");
      await produceCache({ model: ortModel, contextTokens: ids.slice(0, 9), output: kv });
    });

    it("refuses an option that is neither kvcdn's nor transformers.js's, naming the right spelling", async () => {
      // @ts-expect-error maxNewTokens is not an option: transformers.js calls it max_new_tokens
      const error = await generateFromCache({ ...tf, kv, question: "?", maxNewTokens: 4 }).catch((e) => e);
      expect(error).toBeInstanceOf(KvcdnError);
      expect(error.code).toBe("unknown_option");
      expect(error.message).toMatch(/no option "maxNewTokens"; transformers.js names it "max_new_tokens"/);
    });

    it("stops between two tokens when the signal fires, rejecting with kvcdn's AbortError", async () => {
      const controller = new AbortController();
      let puts = 0;
      // The streamer sees every generated token: abort once three have come out.
      const streamer = {
        put: () => {
          if (++puts === 3) controller.abort("enough");
        },
        end: () => {},
      } as unknown as NonNullable<TransformersGenerateOptions["streamer"]>;
      const error = await generateFromCache({ ...tf, kv, question: "?", max_new_tokens: 20, do_sample: false, streamer, signal: controller.signal }).catch(
        (e) => e,
      );
      expect(error).toBeInstanceOf(AbortError);
      expect(error.cause).toBe("enough");
      expect(puts).toBe(3);
    });

    it("rejects at once for a signal that has already fired, and keeps the caller's stopping criteria", async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(generateFromCache({ ...tf, kv, question: "?", ...greedy, signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
      const { StoppingCriteria } = await import("@huggingface/transformers");
      class AfterTwo extends StoppingCriteria {
        override _call(inputIds: number[][]): boolean[] {
          return inputIds.map((row) => row.length >= 9 + 1 + 2);
        }
      }
      const out = await generateFromCache({ ...tf, kv, question: "?", ...greedy, stopping_criteria: [new AfterTwo()], signal: new AbortController().signal });
      expect(out.newTokens.length).toBeLessThanOrEqual(2);
    });
  });

  it("loadTransformersModel names missing files before transformers.js runs", async () => {
    const error = await loadTransformersModel({ dir, dtype: "q4f16" }).catch((e) => e);
    expect(error).toBeInstanceOf(ModelFolderError);
    expect(error.missing).toEqual(["onnx/model_q4f16.onnx"]);
    expect(error.message).toMatch(/fp32/);
  });
});
