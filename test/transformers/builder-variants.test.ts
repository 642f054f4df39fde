// transformers.js 4.3.1 on every builder-layout variant and rotary mode: it loads the folder offline (external data
// for fp32 / fp16 read from config.json's per-file use_external_data_format, single-file q4 / q4f16), and
// generateFromCache gives the tokens of the onnxruntime path and of a plain full-prompt generate().
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel, produceCache, resumeFromCache, type OnnxModel } from "../../src/onnx/index.js";
import { BUILDER_VARIANTS, ensureFixtureModel, isFloat16Variant, ROTARY_MODES } from "../../src/testing/index.js";
import { generateFromCache, loadTransformersModel, pastTensorType, presentToKv, type TransformersModel } from "../../src/transformers/index.js";
import { builderFixture, LONG_TEXT, makeTempDir } from "../onnx/helpers.js";

const N = 5;
const greedy = { max_new_tokens: N, do_sample: false } as const;

describe.each(ROTARY_MODES)("transformers.js on the builder layout, %s rotary", (rotary) => {
  describe.each(BUILDER_VARIANTS)("%s", (variant) => {
    let ortModel: OnnxModel;
    let tf: TransformersModel;
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let ids: number[];

    beforeAll(async () => {
      const dir = await ensureFixtureModel(builderFixture(rotary));
      [ortModel, tf] = await Promise.all([
        loadModel({ dir, dtype: variant, modelId: "fixture/builder" }),
        loadTransformersModel({ dir, dtype: variant }),
      ]);
      tmp = await makeTempDir();
      ids = ortModel.tokenizer.encode(LONG_TEXT);
    });
    afterAll(async () => {
      await ortModel?.dispose();
      await tmp?.cleanup();
    });

    it("loads offline and reads the past type from the session", () => {
      expect(tf.model.constructor.name).toBe("Qwen3ForCausalLM");
      expect(pastTensorType(tf.model)).toBe(isFloat16Variant(variant) ? "float16" : "float32");
    });

    it("generates from a .kv the tokens of the onnxruntime path and of a plain generate()", async () => {
      const { Tensor } = await import("@huggingface/transformers");
      const kv = join(tmp.dir, "ctx.kv");
      await produceCache({ model: ortModel, contextTokens: ids.slice(0, 21), output: kv });
      const question = "\n\nQ: Why?\nA:";
      const fromTf = await generateFromCache({ ...tf, kv, question, ...greedy });
      const fromOrt = await resumeFromCache({ model: ortModel, kv, question, maxNewTokens: N, ignoreEos: true }).collect();
      expect(fromTf.cachedTokens).toBe(21);
      expect(fromTf.newTokens).toEqual(fromOrt.tokens);
      const fullIds = [...ids.slice(0, 21), ...ortModel.tokenizer.encode(question, { addSpecialTokens: false })];
      const plain = (await tf.model.generate({
        ...greedy,
        input_ids: new Tensor("int64", BigInt64Array.from(fullIds, BigInt), [1, fullIds.length]),
        attention_mask: new Tensor("int64", new BigInt64Array(fullIds.length).fill(1n), [1, fullIds.length]),
      })) as { tolist(): bigint[][] };
      expect(fromTf.newTokens).toEqual(plain.tolist()[0]!.slice(fullIds.length).map(Number));
    });

    it("turns a forward's present.* into the cache the onnxruntime path produces", async () => {
      const { Tensor } = await import("@huggingface/transformers");
      const context = ids.slice(0, 11);
      const outputs = (await tf.model({
        input_ids: new Tensor("int64", BigInt64Array.from(context, BigInt), [1, context.length]),
        attention_mask: new Tensor("int64", new BigInt64Array(context.length).fill(1n), [1, context.length]),
      })) as Record<string, unknown>;
      const cache = presentToKv(outputs);
      const fromOrt = await produceCache({ model: ortModel, contextTokens: context });
      expect(cache.dtype).toBe(fromOrt.cache.dtype);
      // Same session type and the same single forward pass: the same bytes.
      cache.layers.forEach((l, i) => {
        expect(l.key.shape).toEqual(fromOrt.cache.layers[i]!.key.shape);
        expect(Array.from(l.key.data)).toEqual(Array.from(fromOrt.cache.layers[i]!.key.data));
        expect(Array.from(l.value.data)).toEqual(Array.from(fromOrt.cache.layers[i]!.value.data));
      });
    });
  });
});
