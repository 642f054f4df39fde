import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CompatibilityError } from "../../src/errors/index.js";
import { readKv } from "../../src/kv/index.js";
import { loadModel, produceCache, resumeFromCache, verifyCache, type OnnxModel } from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { generateFromCache, loadTransformersModel, pastTensorType } from "../../src/transformers/index.js";
import { makeFloat16IoVariant } from "./float16-io-variant.js";
import { FIXTURE, fullPrefillGreedy, LONG_TEXT, makeTempDir, maxAbsDiff } from "./helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

// A model whose graph takes and returns float16 past/present/logits, like onnx-community's fp16 and q4f16 exports:
// the same code must read those types from the session and convert caches to them.
let fp32: OnnxModel;
let fp16: OnnxModel;
let fp16Dir: string;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let ids: number[];
const N = 6;

beforeAll(async () => {
  tmp = await makeTempDir();
  const source = await ensureFixtureModel(FIXTURE);
  fp16Dir = await makeFloat16IoVariant(source, join(tmp.dir, "model"));
  [fp32, fp16] = await Promise.all([loadModel({ dir: source }), loadModel({ dir: fp16Dir, dtype: "fp16", modelId: "fixture" })]);
  ids = fp32.tokenizer.encode(LONG_TEXT);
});
afterAll(async () => {
  await fp32?.dispose();
  await fp16?.dispose();
  await tmp?.cleanup();
});

describe("a float16-I/O model (dtype fp16)", () => {
  it("picks onnx/model_fp16.onnx and reads float16 types from the session metadata", () => {
    expect(fp16.onnxPath).toBe(join(fp16Dir, "onnx/model_fp16.onnx"));
    expect(fp16.io).toMatchObject({ pastType: "float16", presentType: "float16", logitsType: "float16" });
    expect(fp16.fingerprint.model_dtype).toBe("float16");
    expect(fp32.io.pastType).toBe("float32");
  });

  it("produces F16 caches and resumes from them exactly like a full prefill", async () => {
    const kv = join(tmp.dir, "f16.kv");
    const { metadata } = await produceCache({ model: fp16, contextTokens: ids.slice(0, 37), output: kv });
    expect(metadata).toMatchObject({ dtype: "F16", storage_dtype: "F16" });
    expect((await readKv(kv)).cache.dtype).toBe("F16");
    const question = fp16.tokenizer.encode(" Why so?", { addSpecialTokens: false });
    const resumed = await resumeFromCache({ model: fp16, kv, questionTokens: question, maxNewTokens: N, ignoreEos: true }).collect();
    expect(resumed.tokens).toEqual((await fullPrefillGreedy(fp16, [...ids.slice(0, 37), ...question], N)).tokens);
    expect((await verifyCache({ model: fp16, kv, maxNewTokens: N })).match).toBe(true);
  });

  it("takes an F32 cache from the fp32 variant (converted to F16), and the fp32 model takes the F16 one", async () => {
    const context = ids.slice(0, 25);
    const fromFp32 = await produceCache({ model: fp32, contextTokens: context });
    const fromFp16 = await produceCache({ model: fp16, contextTokens: context });
    const question = fp32.tokenizer.encode(" Next", { addSpecialTokens: false });
    const run = async (model: OnnxModel, produced: typeof fromFp32) => {
      const logits: Float32Array[] = [];
      const r = await resumeFromCache({ model, kv: produced, questionTokens: question, maxNewTokens: N, ignoreEos: true, onLogits: (l) => logits.push(l) }).collect();
      return { tokens: r.tokens, logits };
    };
    const crossInto16 = await run(fp16, fromFp32);
    const native16 = await run(fp16, fromFp16);
    const crossInto32 = await run(fp32, fromFp16);
    const native32 = await run(fp32, fromFp32);
    const d16 = maxAbsDiff(crossInto16.logits, native16.logits);
    const d32 = maxAbsDiff(crossInto32.logits, native32.logits);
    console.log(`F32 cache in the fp16-I/O model: max |logit diff| ${d16.toExponential(3)}; F16 cache in fp32: ${d32.toExponential(3)}`);
    // This variant computes in float32 and rounds its outputs to float16, so an F32 cache rounded on load (nearest
    // even) is bit-identical to its own F16 cache; the fp32 model sees F16-rounded K/V, a float16-sized difference.
    expect(d16).toBe(0);
    expect(crossInto16.tokens).toEqual(native16.tokens);
    expect(d32).toBeGreaterThan(0);
    expect(d32).toBeLessThan(0.05);
  });

  it("refuses a cache from the other variant only with strictDtype", async () => {
    const produced = await produceCache({ model: fp32, contextTokens: ids.slice(0, 5) });
    const error = await resumeFromCache({ model: fp16, kv: produced, question: "?", maxNewTokens: 1, strictDtype: true }).collect().catch((e) => e);
    expect(error).toBeInstanceOf(CompatibilityError);
    expect([error.field, error.expected, error.actual]).toEqual(["fingerprint.model_dtype", "float16", "float32"]);
  });

  it("seeds transformers.js loaded with dtype fp16 with float16 tensors, matching the onnxruntime path", async () => {
    const { model, tokenizer } = await loadTransformersModel({ dir: fp16Dir, dtype: "fp16" });
    expect(pastTensorType(model)).toBe("float16");
    const kv = join(tmp.dir, "for-tf.kv");
    await produceCache({ model: fp32, contextTokens: ids.slice(0, 12), output: kv });
    const fromTf = await generateFromCache({ model, tokenizer, kv, question: " And", max_new_tokens: N, do_sample: false });
    const fromOrt = await resumeFromCache({ model: fp16, kv, question: " And", maxNewTokens: N }).collect();
    expect(fromTf.newTokens).toEqual(fromOrt.tokens);
  });
});
