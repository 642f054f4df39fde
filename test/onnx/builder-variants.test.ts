// The whole onnxruntime path on every builder-layout variant (fp32, fp16, q4f16, q4) in both rotary modes: produce,
// resume, prefill in pieces, prefix reuse, verify and search behave exactly as on the plain fp32 fixture, whether the
// graph takes position_ids (separate RotaryEmbedding) or not (rotary fused into GroupQueryAttention), and whether its
// past, present and logits are float32 or float16.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readKv } from "../../src/kv/index.js";
import { emptyPast, loadModel, produceCache, resumeFromCache, resumeFromPrefix, runPrefill, searchCaches, verifyCache, type OnnxModel } from "../../src/onnx/index.js";
import { BUILDER_VARIANTS, ensureFixtureModel, isFloat16Variant, ROTARY_MODES } from "../../src/testing/index.js";
import { builderFixture, fullPrefillGreedy, LONG_TEXT, makeTempDir, maxAbsDiff } from "./helpers.js";

const N = 5;
const CACHED = 29;

describe.each(ROTARY_MODES)("builder layout, %s rotary", (rotary) => {
  describe.each(BUILDER_VARIANTS)("%s", (variant) => {
    let model: OnnxModel;
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let ids: number[];
    let kv: string;

    beforeAll(async () => {
      model = await loadModel({ dir: await ensureFixtureModel(builderFixture(rotary)), dtype: variant, modelId: "fixture/builder" });
      tmp = await makeTempDir();
      ids = model.tokenizer.encode(LONG_TEXT);
      kv = join(tmp.dir, "ctx.kv");
      await produceCache({ model, contextTokens: ids.slice(0, CACHED), output: kv });
    });
    afterAll(async () => {
      await model?.dispose();
      await tmp?.cleanup();
    });

    it("reads the graph's I/O: float16 for fp16 / q4f16, position_ids only with a separate rotary", async () => {
      const type = isFloat16Variant(variant) ? "float16" : "float32";
      expect(model.io).toMatchObject({ pastType: type, presentType: type, logitsType: type, hasPositionIds: rotary === "separate" });
      const { cache, metadata } = await readKv(kv);
      expect(cache.dtype).toBe(type === "float16" ? "F16" : "F32");
      expect(metadata).toMatchObject({ num_tokens: CACHED, fingerprint: { model_dtype: model.fingerprint.model_dtype } });
    });

    it("resumes from a .kv exactly like a full prefill of context + question", async () => {
      const question = model.tokenizer.encode("\n\nQ: What does a producer do?\nA:", { addSpecialTokens: false });
      const logits: Float32Array[] = [];
      const resumed = await resumeFromCache({ model, kv, questionTokens: question, maxNewTokens: N, ignoreEos: true, onLogits: (l) => logits.push(l) }).collect();
      const full = await fullPrefillGreedy(model, [...ids.slice(0, CACHED), ...question], N);
      expect(resumed.tokens).toEqual(full.tokens);
      expect(resumed.cachedTokens).toBe(CACHED);
      // Same runtime and dtype; the two paths batch the attention differently, so float16 graphs differ by rounding.
      expect(maxAbsDiff(logits, full.logits)).toBeLessThan(isFloat16Variant(variant) ? 0.05 : 1e-4);
    });

    it("prefills in pieces (GroupQueryAttention with a past and several new tokens) like one pass", async () => {
      const context = ids.slice(0, CACHED);
      const one = await runPrefill({ model, inputIds: context, past: await emptyPast(model), chunkTokens: Infinity });
      const pieces = await runPrefill({ model, inputIds: context, past: await emptyPast(model), chunkTokens: 8 });
      expect(pieces.present.length).toBe(CACHED);
      expect(maxAbsDiff([pieces.logits], [one.logits])).toBeLessThan(isFloat16Variant(variant) ? 0.05 : 1e-4);
    });

    it("reuses the longest common prefix of a cache for a diverging prompt", async () => {
      const promptTokens = [...ids.slice(0, 17), ...ids.slice(60, 66)];
      const out = await resumeFromPrefix({ model, kv, promptTokens, maxNewTokens: N, ignoreEos: true }).collect();
      expect(out.cachedTokens).toBe(17);
      expect(out.tokens).toEqual((await fullPrefillGreedy(model, promptTokens, N)).tokens);
    });

    it("verifies its own cache token for token", async () => {
      const result = await verifyCache({ model, kv, maxNewTokens: 6 });
      expect(result).toMatchObject({ match: true, mismatchIndices: [], numTokens: CACHED });
    });

    it("finds the cache by shared prefix", async () => {
      const matches = await searchCaches({ dir: tmp.dir, model, queryTokens: [...ids.slice(0, 20), 13, 13] });
      expect(matches).toEqual([{ path: kv, prefixTokens: 20, totalTokens: CACHED, model: model.modelId }]);
    });
  });
});
