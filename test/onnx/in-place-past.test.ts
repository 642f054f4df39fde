// Builder-layout graphs run with every present.* output bound to its past input (docs/runtime.md#in-place-past): the
// results must be exactly those of the plain path (separate present buffers), for files, in-memory caches, prepared
// handles lent to one generation at a time or copied for others, prefixes, and a room that runs out.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readKv } from "../../src/kv/index.js";
import { allocateRoomyPast, roomyPastFromCache } from "../../src/onnx/past-buffers.js";
import { castForModel, kvToPast, loadModel, pastToKv, prepareCache, produceCache, resumeFromCache, resumeFromPrefix, runForward, type OnnxModel } from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { builderFixture, FIXTURE, LONG_TEXT, makeTempDir, maxAbsDiff } from "./helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const CACHED = 31;
const N = 6;

/** The same model with in-place runs turned off: the plain path every result is compared with. */
const plainOf = (model: OnnxModel): OnnxModel => ({ ...model, io: { ...model.io, pastInPlace: false } });

describe.each(["q4f16", "fp32"] as const)("in-place past, builder %s", (variant) => {
  let model: OnnxModel;
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let ids: number[];
  let kv: string;
  let question: number[];
  let reference: { tokens: number[]; logits: Float32Array[] };

  const resume = async (m: OnnxModel, source: Parameters<typeof resumeFromCache>[0]["kv"], q = question) => {
    const logits: Float32Array[] = [];
    const out = await resumeFromCache({ model: m, kv: source, questionTokens: q, maxNewTokens: N, ignoreEos: true, onLogits: (l) => logits.push(l) }).collect();
    return { tokens: out.tokens, logits };
  };

  beforeAll(async () => {
    model = await loadModel({ dir: await ensureFixtureModel(builderFixture("separate")), dtype: variant, modelId: "fixture/builder" });
    tmp = await makeTempDir();
    ids = model.tokenizer.encode(LONG_TEXT);
    kv = join(tmp.dir, "ctx.kv");
    await produceCache({ model, contextTokens: ids.slice(0, CACHED), output: kv });
    question = model.tokenizer.encode("\n\nQ: What does a consumer do?\nA:", { addSpecialTokens: false });
    reference = await resume(plainOf(model), kv);
  });
  afterAll(async () => {
    await model?.dispose();
    await tmp?.cleanup();
  });

  it("finds GroupQueryAttention joining every layer's past and present", () => {
    expect(model.io.pastInPlace).toBe(true);
  });

  it("resumes from a file and from memory exactly like the plain path, also on the buffers a generation left", async () => {
    for (let i = 0; i < 3; i++) {
      // The second and third runs reuse the arrays the previous one gave back (stale room included).
      const fromFile = await resume(model, kv);
      expect(fromFile.tokens).toEqual(reference.tokens);
      expect(maxAbsDiff(fromFile.logits, reference.logits)).toBe(0);
    }
    const other = model.tokenizer.encode(" Who writes the cache, and when is it shared?", { addSpecialTokens: false });
    const longer = await resume(model, kv, other);
    const longerPlain = await resume(plainOf(model), kv, other);
    expect(longer.tokens).toEqual(longerPlain.tokens);
    expect(maxAbsDiff(longer.logits, longerPlain.logits)).toBe(0);
    const fromMemory = await resume(model, await readKv(kv));
    expect(fromMemory.tokens).toEqual(reference.tokens);
    expect(maxAbsDiff(fromMemory.logits, reference.logits)).toBe(0);
  });

  it("ignores whatever the room holds (NaN bits) and never writes the cache's own positions", async () => {
    const cache = castForModel(model, (await readKv(kv)).cache);
    const past = await roomyPastFromCache(model, cache, CACHED, CACHED + 40);
    for (const t of Object.values(past.tensors)) {
      const data = t.data as Uint16Array | Float32Array;
      const nan = data instanceof Float32Array ? Number.NaN : 0x7e00;
      for (let h = 0; h < model.numKvHeads; h++) data.fill(nan, (h * past.capacity + CACHED) * model.headDim, (h + 1) * past.capacity * model.headDim);
    }
    const before = Object.values(past.tensors).map((t) => Array.from((t.data as Float32Array).subarray(0, CACHED * model.headDim)));
    const inPlace = await runForward({ model, inputIds: question, past });
    const plain = await runForward({ model: plainOf(model), inputIds: question, past: await kvToPast(model, cache) });
    expect(maxAbsDiff([inPlace.logits], [plain.logits])).toBe(0);
    expect(inPlace.present.tensors).toBe(past.tensors);
    expect(inPlace.present).toMatchObject({ length: CACHED + question.length, capacity: CACHED + 40 });
    Object.values(past.tensors).forEach((t, i) => expect(Array.from((t.data as Float32Array).subarray(0, CACHED * model.headDim))).toEqual(before[i]));
  });

  it("moves to larger buffers when the room runs out, with the same results", async () => {
    const cache = castForModel(model, (await readKv(kv)).cache);
    let past = await roomyPastFromCache(model, cache, CACHED, CACHED + 1);
    let plain = await kvToPast(model, cache);
    let input = question;
    for (let step = 0; step < 4; step++) {
      const a = await runForward({ model, inputIds: input, past });
      const b = await runForward({ model: plainOf(model), inputIds: input, past: plain });
      expect(maxAbsDiff([a.logits], [b.logits])).toBe(0);
      expect(a.present.capacity).toBeGreaterThanOrEqual(a.present.length);
      past = a.present as typeof past;
      plain = b.present;
      input = [step + 5];
    }
    expect(past.capacity).toBeGreaterThan(CACHED + 1);
    // A state with room turns back into a plain cache of its positions only.
    const back = pastToKv(model, past);
    const plainBack = pastToKv(model, plain);
    expect(back.layers[0]!.key.shape).toEqual(plainBack.layers[0]!.key.shape);
    expect(Array.from(back.layers[2]!.value.data)).toEqual(Array.from(plainBack.layers[2]!.value.data));
  });

  it("lends a prepared cache's buffers to one generation at a time; concurrent ones get copies; the cache stays intact", async () => {
    const ctx = await prepareCache(model, kv, { reserveTokens: question.length + N });
    try {
      expect(ctx.byteLength).toBe(model.numLayers * 2 * model.numKvHeads * (CACHED + question.length + N) * model.headDim * (variant === "q4f16" ? 2 : 4));
      const first = await resume(model, ctx);
      const again = await resume(model, ctx);
      const other = model.tokenizer.encode(" And the producer?", { addSpecialTokens: false });
      const [a, b, c] = await Promise.all([resume(model, ctx), resume(model, ctx, other), resume(model, ctx)]);
      for (const r of [first, again, a, c]) {
        expect(r.tokens).toEqual(reference.tokens);
        expect(maxAbsDiff(r.logits, reference.logits)).toBe(0);
      }
      const otherPlain = await resume(plainOf(model), kv, other);
      expect(b.tokens).toEqual(otherPlain.tokens);
      expect(maxAbsDiff(b.logits, otherPlain.logits)).toBe(0);
    } finally {
      ctx.dispose();
    }
  });

  it("a prepared cache with too little room, and a disposal during a generation, still work", async () => {
    const small = await prepareCache(model, kv, { reserveTokens: 0 });
    expect((await resume(model, small)).tokens).toEqual(reference.tokens);
    small.dispose();
    const ctx = await prepareCache(model, kv);
    const stream = resumeFromCache({ model, kv: ctx, questionTokens: question, maxNewTokens: N, ignoreEos: true });
    const tokens: number[] = [];
    for await (const event of stream) {
      if (tokens.length === 0) ctx.dispose();
      if ("token" in event) tokens.push(event.token);
    }
    expect(tokens).toEqual(reference.tokens);
    await expect(resume(model, ctx)).rejects.toMatchObject({ code: "disposed_cache" });
  });

  it("reuses a prefix shorter than a prepared cache without touching the cache", async () => {
    const ctx = await prepareCache(model, kv);
    try {
      const prompt = [...ids.slice(0, 20), ...question];
      const run = (m: OnnxModel, source: Parameters<typeof resumeFromPrefix>[0]["kv"]) =>
        resumeFromPrefix({ model: m, kv: source, promptTokens: prompt, maxNewTokens: N, ignoreEos: true }).collect();
      const plain = await run(plainOf(model), kv);
      expect((await run(model, ctx)).tokens).toEqual(plain.tokens);
      expect((await run(model, kv)).tokens).toEqual(plain.tokens);
      const after = await resume(model, ctx);
      expect(after.tokens).toEqual(reference.tokens);
      expect(maxAbsDiff(after.logits, reference.logits)).toBe(0);
    } finally {
      ctx.dispose();
    }
  });
});

describe("in-place past on a plain-op graph", () => {
  it("is off, and buffers with room are refused", async () => {
    const model = await loadModel({ dir: await ensureFixtureModel(FIXTURE) });
    try {
      expect(model.io.pastInPlace).toBe(false);
      await expect(allocateRoomyPast(model, 8)).rejects.toThrow(TypeError);
    } finally {
      await model.dispose();
    }
  });
});
