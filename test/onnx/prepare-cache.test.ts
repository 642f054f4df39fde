import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CacheInputError, CompatibilityError } from "../../src/errors/index.js";
import {
  prepareCache,
  PreparedCache,
  produceCache,
  resumeFromCache,
  resumeFromPrefix,
  verifyCache,
  type OnnxModel,
} from "../../src/onnx/index.js";
import { fullPrefillGreedy, LONG_TEXT, loadTinyModel, makeTempDir } from "./helpers.js";

let model: OnnxModel;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let file: string;
let contextIds: number[];
const N = 6;

beforeAll(async () => {
  model = await loadTinyModel();
  tmp = await makeTempDir();
  file = join(tmp.dir, "ctx.kv");
  contextIds = model.tokenizer.encode(LONG_TEXT.slice(0, 240), { addSpecialTokens: true });
  await produceCache({ model, contextTokens: contextIds, output: file });
});
afterAll(async () => {
  await model?.dispose();
  await tmp?.cleanup();
});

describe("prepareCache", () => {
  it("holds the cache in the session's dtype and says how many bytes", async () => {
    const ctx = await prepareCache(model, file);
    try {
      expect(ctx).toBeInstanceOf(PreparedCache);
      expect(ctx.numTokens).toBe(contextIds.length);
      expect(ctx.tokens).toEqual(contextIds);
      // The tiny fixture is an fp32 graph: F32 tensors.
      expect(ctx.dtype).toBe("F32");
      expect(ctx.byteLength).toBe(model.numLayers * 2 * model.numKvHeads * contextIds.length * model.headDim * 4);
      expect(ctx.disposed).toBe(false);
    } finally {
      ctx.dispose();
    }
  });

  it("answers many questions from one handle, each token for token as a resume from the file and a full prefill", async () => {
    const ctx = await prepareCache(model, file);
    try {
      for (const question of [" Why?", " What is stored, and where?"]) {
        const q = model.tokenizer.encode(question, { addSpecialTokens: false });
        const fromHandle = await resumeFromCache({ model, kv: ctx, questionTokens: q, maxNewTokens: N, ignoreEos: true }).collect();
        const fromFile = await resumeFromCache({ model, kv: file, questionTokens: q, maxNewTokens: N, ignoreEos: true }).collect();
        expect(fromHandle.tokens).toEqual(fromFile.tokens);
        expect(fromHandle.cachedTokens).toBe(contextIds.length);
        const reference = await fullPrefillGreedy(model, [...contextIds, ...q], N);
        expect(fromHandle.tokens).toEqual(reference.tokens);
      }
      // Nothing was consumed or mutated: the handle still holds the whole cache.
      expect(ctx.numTokens).toBe(contextIds.length);
    } finally {
      ctx.dispose();
    }
  });

  it("serves resumeFromPrefix (whole and partial prefix) and verifyCache", async () => {
    const ctx = await prepareCache(model, file);
    try {
      const prompt = [...contextIds.slice(0, 20), ...model.tokenizer.encode(" A different ending.", { addSpecialTokens: false })];
      const partial = await resumeFromPrefix({ model, kv: ctx, promptTokens: prompt, maxNewTokens: N, ignoreEos: true }).collect();
      const partialFile = await resumeFromPrefix({ model, kv: file, promptTokens: prompt, maxNewTokens: N, ignoreEos: true }).collect();
      expect(partial.cachedTokens).toBe(20);
      expect(partial.tokens).toEqual(partialFile.tokens);
      const whole = [...contextIds, ...model.tokenizer.encode(" Next?", { addSpecialTokens: false })];
      const full = await resumeFromPrefix({ model, kv: ctx, promptTokens: whole, maxNewTokens: N, ignoreEos: true }).collect();
      expect(full.cachedTokens).toBe(contextIds.length);
      const report = await verifyCache({ model, kv: ctx, maxNewTokens: 4 });
      expect(report.match).toBe(true);
      expect(report.numTokens).toBe(contextIds.length);
    } finally {
      ctx.dispose();
    }
  });

  it("is a CacheInputError (disposed_cache) once disposed; dispose is idempotent", async () => {
    const ctx = await prepareCache(model, file);
    ctx.dispose();
    ctx.dispose();
    expect(ctx.disposed).toBe(true);
    const error = await resumeFromCache({ model, kv: ctx, question: "?", maxNewTokens: 1 }).collect().catch((e) => e);
    expect(error).toBeInstanceOf(CacheInputError);
    expect(error.code).toBe("disposed_cache");
    await expect(verifyCache({ model, kv: ctx })).rejects.toMatchObject({ name: "CacheInputError", code: "disposed_cache" });
  });

  it("is a CompatibilityError with another model, before anything runs", async () => {
    const ctx = await prepareCache(model, file);
    let runs = 0;
    const session = new Proxy(model.session, {
      get: (target, key, receiver) => (key === "run" ? () => ((runs += 1), Promise.reject(new Error("ran"))) : Reflect.get(target, key, receiver)),
    });
    // Same dimensions, another config: the fingerprint of the model the handle was prepared for differs.
    const other: OnnxModel = { ...model, session, fingerprint: { ...model.fingerprint, arch_sha256: "0".repeat(64) } };
    try {
      const error = await resumeFromCache({ model: other, kv: ctx, question: "?", maxNewTokens: 1 }).collect().catch((e) => e);
      expect(error).toBeInstanceOf(CompatibilityError);
      expect(error.field).toBe("fingerprint.arch_sha256");
      await expect(verifyCache({ model: other, kv: ctx })).rejects.toBeInstanceOf(CompatibilityError);
      // A session with another past type (an fp16 export of the same model) cannot take F32 tensors.
      const fp16: OnnxModel = { ...model, session, pastType: "float16", io: { ...model.io, pastType: "float16" } };
      const typed = await resumeFromPrefix({ model: fp16, kv: ctx, promptTokens: contextIds, maxNewTokens: 1 }).collect().catch((e) => e);
      expect(typed).toBeInstanceOf(CompatibilityError);
      expect(typed.field).toBe("past_type");
      expect(runs).toBe(0);
    } finally {
      ctx.dispose();
    }
  });

  it("checks compatibility before reading the tensors, as for a path", async () => {
    const other: OnnxModel = { ...model, fingerprint: { ...model.fingerprint, tokenizer_sha256: "1".repeat(64) } };
    await expect(prepareCache(other, file)).rejects.toBeInstanceOf(CompatibilityError);
  });
});
