import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CacheInputError } from "../../src/errors/index.js";
import { castKv, writeKv } from "../../src/kv/index.js";
import { produceCache, verifyCache, type OnnxModel } from "../../src/onnx/index.js";
import { LONG_TEXT, loadTinyModel, makeTempDir } from "./helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let model: OnnxModel;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let ids: number[];

beforeAll(async () => {
  model = await loadTinyModel();
  tmp = await makeTempDir();
  ids = model.tokenizer.encode(LONG_TEXT);
});
afterAll(async () => {
  await model?.dispose();
  await tmp?.cleanup();
});

describe("verifyCache", () => {
  it("matches a cache against a full prefill of context + question, with logits and top-k agreement", async () => {
    const kv = join(tmp.dir, "good.kv");
    await produceCache({ model, contextTokens: ids.slice(0, 23), output: kv });
    const result = await verifyCache({ model, kv, maxNewTokens: 8 });
    expect(result).toMatchObject({ match: true, mismatchIndices: [], maxNewTokens: 8, numTokens: 23, topK: 5, comparedSteps: 8 });
    expect(result.tokensCached).toEqual(result.tokensFull);
    expect(result.tokensCached).toHaveLength(8);
    expect(result.maxAbsLogitDiff).toBeLessThan(1e-4);
    expect(result.topKAgreement).toBe(1);
    expect(result.questionTokens).toBe(model.tokenizer.encode("\n\nQ: Summarize the key claim in one sentence.\nA:", { addSpecialTokens: false }).length);
  });

  it("reports mismatches when the cache does not hold what its tokens say", async () => {
    const { cache, metadata } = await produceCache({ model, contextTokens: ids.slice(0, 23) });
    const kv = join(tmp.dir, "lying.kv");
    // The K/V of one context, labelled with the ids of another of the same length.
    const { prompt: _, ...rest } = metadata;
    await writeKv(kv, cache, { sidecar: { ...rest, tokens: ids.slice(40, 63) } });
    const result = await verifyCache({ model, kv, maxNewTokens: 8 });
    console.log(`mislabelled cache: mismatches at ${result.mismatchIndices.join(",")}, max |logit diff| ${result.maxAbsLogitDiff.toFixed(3)}, top-5 agreement ${result.topKAgreement.toFixed(2)}`);
    expect(result.match).toBe(false);
    expect(result.mismatchIndices.length).toBeGreaterThan(0);
    expect(result.comparedSteps).toBe(result.mismatchIndices[0]! + 1);
    expect(result.maxAbsLogitDiff).toBeGreaterThan(0.01);
  });

  it("reports an F16 copy of an fp32 cache within tolerance", async () => {
    const { cache, metadata } = await produceCache({ model, contextTokens: ids.slice(0, 30) });
    const kv = join(tmp.dir, "f16.kv");
    await writeKv(kv, castKv(cache, "F16"), { sidecar: { ...metadata } });
    const result = await verifyCache({ model, kv, maxNewTokens: 6, question: " So" });
    console.log(`F16 cache verify: match ${result.match}, max |logit diff| ${result.maxAbsLogitDiff.toExponential(3)}`);
    expect(result.maxAbsLogitDiff).toBeLessThan(0.02);
    expect(result.topKAgreement).toBeGreaterThanOrEqual(0.8);
  });

  it("needs the context ids: from the sidecar or contextTokens", async () => {
    const { cache } = await produceCache({ model, contextTokens: ids.slice(0, 10) });
    const kv = join(tmp.dir, "bare.kv");
    await writeKv(kv, cache, { sidecar: { model_name: model.modelId } });
    const error = await verifyCache({ model, kv, maxNewTokens: 2 }).catch((e) => e);
    expect(error).toBeInstanceOf(CacheInputError);
    expect(error.code).toBe("no_tokens");
    const ok = await verifyCache({ model, kv, maxNewTokens: 4, contextTokens: ids.slice(0, 10) });
    expect(ok.match).toBe(true);
  });
});
