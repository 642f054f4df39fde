import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { castKv, KvFormatError, quantizeKv, readKv, writeKv } from "../../src/kv/index.js";
import { produceCache, resumeFromCache, type OnnxModel } from "../../src/onnx/index.js";
import { fullPrefillGreedy, LONG_TEXT, loadTinyModel, makeTempDir, maxAbsDiff } from "./helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let model: OnnxModel;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let longIds: number[];
const N = 6;

beforeAll(async () => {
  model = await loadTinyModel();
  tmp = await makeTempDir();
  longIds = model.tokenizer.encode(LONG_TEXT);
});
afterAll(async () => {
  await model?.dispose();
  await tmp?.cleanup();
});

describe("produceCache then resumeFromCache", () => {
  const questions = ["\n\nQ: What does a producer do?\nA:", " Therefore", "?"];

  for (const length of [1, 7, 37]) {
    it(`equals a full prefill token for token (greedy, ${length}-token context, ${questions.length} questions)`, async () => {
      const contextTokens = longIds.slice(0, length);
      const output = join(tmp.dir, `ctx-${length}.kv`);
      const produced = await produceCache({ model, contextTokens, output });
      expect(produced.metadata.num_tokens).toBe(length);
      for (const question of questions) {
        const questionTokens = model.tokenizer.encode(question, { addSpecialTokens: false });
        const logits: Float32Array[] = [];
        const resumed = await resumeFromCache({
          model,
          kv: output,
          question,
          maxNewTokens: N,
          ignoreEos: true,
          onLogits: (l) => logits.push(l),
        }).collect();
        const full = await fullPrefillGreedy(model, [...contextTokens, ...questionTokens], N);
        expect(resumed.tokens).toEqual(full.tokens);
        expect(resumed.cachedTokens).toBe(length);
        expect(resumed.prefillTokens).toBe(questionTokens.length);
        // Same runtime, same dtype: only summation order differs between the two paths.
        expect(maxAbsDiff(logits, full.logits)).toBeLessThan(1e-4);
      }
    });
  }

  it("tokenizes the context with special tokens and the question without, then appends the ids", async () => {
    const context = "Caches are files.\n";
    const question = "\n\nQ: Summarize.\nA:";
    const output = join(tmp.dir, "text.kv");
    await produceCache({ model, context, output });
    const resumed = await resumeFromCache({ model, kv: output, question, maxNewTokens: N, ignoreEos: true }).collect();
    const ids = [
      ...model.tokenizer.encode(context, { addSpecialTokens: true }),
      ...model.tokenizer.encode(question, { addSpecialTokens: false }),
    ];
    const full = await fullPrefillGreedy(model, ids, N);
    expect(resumed.tokens).toEqual(full.tokens);
    expect(resumed.text).toBe(model.tokenizer.decode(full.tokens));
  });

  it("writes the sidecar with tokens, prompt, model id, fingerprint, sha256 and producer", async () => {
    const context = "How are you doing?";
    const output = join(tmp.dir, "sidecar.kv");
    const { metadata, written } = await produceCache({ model, context, output, modelId: "Qwen/Qwen3-0.6B" });
    const sidecar = JSON.parse(await readFile(`${output}.json`, "utf8"));
    expect(sidecar).toEqual(metadata);
    expect(sidecar).toMatchObject({
      model_name: "Qwen/Qwen3-0.6B",
      num_layers: model.numLayers,
      num_tokens: 5,
      dtype: "F32", // an fp32 graph produces float32 present.* tensors
      storage_dtype: "F32",
      quantized: false,
      prompt: context,
      tokens: [4340, 525, 498, 3730, 30],
      fingerprint: model.fingerprint,
      producer: { name: "kvcdn" },
    });
    const bytes = await readFile(output);
    expect(sidecar.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(written?.nbytes).toBe(bytes.length);
    // The cache has kvcdn-cli's layout: [1, kv_heads, tokens, head_dim] per layer.
    const { cache } = await readKv(output);
    expect(cache.layers[0]!.key.shape).toEqual([1, model.numKvHeads, 5, model.headDim]);
  });

  it("resumes an in-memory cache without touching the disk", async () => {
    const contextTokens = longIds.slice(0, 9);
    const { cache, metadata } = await produceCache({ model, contextTokens });
    const questionTokens = longIds.slice(20, 23);
    const resumed = await resumeFromCache({ model, kv: { cache, metadata }, questionTokens, maxNewTokens: N, ignoreEos: true }).collect();
    expect(resumed.tokens).toEqual((await fullPrefillGreedy(model, [...contextTokens, ...questionTokens], N)).tokens);
  });
});

describe("integrity", () => {
  it("checks the .kv bytes against the sidecar's sha256 unless told not to", async () => {
    const output = join(tmp.dir, "flipped.kv");
    await produceCache({ model, contextTokens: longIds.slice(0, 6), output });
    const bytes = await readFile(output);
    bytes[bytes.length - 1]! ^= 0x01; // one bit of the last value of the last tensor
    await writeFile(output, bytes);
    const error = await resumeFromCache({ model, kv: output, question: "?", maxNewTokens: 1 }).collect().catch((e) => e);
    expect(error).toBeInstanceOf(KvFormatError);
    expect(error.message).toMatch(/sha256/);
    const unchecked = await resumeFromCache({ model, kv: output, question: "?", maxNewTokens: 1, verifySha256: false }).collect();
    expect(unchecked.tokens).toHaveLength(1);
  });
});

describe("prefill in pieces", () => {
  it("gives the cache and continuation of a one-pass prefill", async () => {
    const contextTokens = longIds.slice(0, 70);
    const onePass = await produceCache({ model, contextTokens, prefillChunkTokens: Infinity });
    const pieces = await produceCache({ model, contextTokens, prefillChunkTokens: 16 });
    let maxDiff = 0;
    onePass.cache.layers.forEach((layer, i) => {
      const other = pieces.cache.layers[i]!;
      for (const [a, b] of [[layer.key.data, other.key.data], [layer.value.data, other.value.data]] as const) {
        expect(a.length).toBe(b.length);
        for (let j = 0; j < a.length; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j]! - b[j]!));
      }
    });
    expect(maxDiff).toBeLessThan(1e-5);
    const question = " Next?";
    const resume = (kv: typeof onePass, chunk: number) =>
      resumeFromCache({ model, kv, question, maxNewTokens: N, ignoreEos: true, prefillChunkTokens: chunk }).collect();
    expect((await resume(pieces, 2)).tokens).toEqual((await resume(onePass, Infinity)).tokens);
  });
});

describe("dtype conversion on load", () => {
  const contextTokens = () => longIds.slice(0, 37);
  const question = "\n\nQ: Why?\nA:";

  it("feeds an F16 cache to the fp32 model within 0.02 of the F32 cache's logits", async () => {
    const { cache, metadata } = await produceCache({ model, contextTokens: contextTokens() });
    const f16Path = join(tmp.dir, "f16.kv");
    await writeKv(f16Path, castKv(cache, "F16"), { sidecar: { ...metadata } });
    expect((await readKv(f16Path)).cache.dtype).toBe("F16");
    const run = async (kv: string | { cache: typeof cache; metadata: typeof metadata }) => {
      const logits: Float32Array[] = [];
      const r = await resumeFromCache({ model, kv, question, maxNewTokens: N, ignoreEos: true, onLogits: (l) => logits.push(l) }).collect();
      return { tokens: r.tokens, logits };
    };
    const f32 = await run({ cache, metadata });
    const f16 = await run(f16Path);
    const diff = maxAbsDiff(f16.logits, f32.logits);
    console.log(`F16 cache in the fp32 model: max |logit diff| ${diff.toExponential(3)}, tokens ${f16.tokens.join(",")} vs ${f32.tokens.join(",")}`);
    // Tolerance: F16 keeps 11 significant bits (relative error ≤ 2^-11 ≈ 4.9e-4 per K/V element).
    expect(diff).toBeLessThan(0.02);
    expect(diff).toBeGreaterThan(0); // it really ran on rounded values
  });

  it("reports an int8-quantized cache's continuation against the float one", async () => {
    const { cache, metadata } = await produceCache({ model, contextTokens: contextTokens() });
    const qPath = join(tmp.dir, "q8.kv");
    await writeKv(qPath, quantizeKv(cache, { target: "F32" }), { sidecar: { ...metadata } });
    const n = 16;
    const float = await resumeFromCache({ model, kv: { cache, metadata }, question, maxNewTokens: n, ignoreEos: true }).collect();
    const quant = await resumeFromCache({ model, kv: qPath, question, maxNewTokens: n, ignoreEos: true }).collect();
    const same = float.tokens.filter((t, i) => quant.tokens[i] === t).length;
    let firstDiff = float.tokens.findIndex((t, i) => quant.tokens[i] !== t);
    if (firstDiff < 0) firstDiff = n;
    console.log(`I8 cache vs F32 cache: ${same}/${n} tokens agree, first divergence at ${firstDiff}`);
    expect(quant.tokens).toHaveLength(n);
    expect(same / n).toBeGreaterThanOrEqual(0.25);
  });
});
