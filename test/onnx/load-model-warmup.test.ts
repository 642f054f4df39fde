import { describe, expect, it } from "vitest";
import { loadModel, produceCache, resumeFromCache } from "../../src/onnx/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { FIXTURE, LONG_TEXT } from "./helpers.js";

describe("loadModel({ warmup })", () => {
  it("runs a forward at load and leaves no state behind: a warmed session generates what a cold one does", async () => {
    const dir = await ensureFixtureModel(FIXTURE);
    const [cold, warm] = await Promise.all([loadModel({ dir }), loadModel({ dir, warmup: { pastTokens: 40, inputTokens: 3 } })]);
    try {
      const kv = await produceCache({ model: cold, context: LONG_TEXT.slice(0, 120) });
      const run = (model: typeof cold) =>
        resumeFromCache({ model, kv: { cache: kv.cache, metadata: kv.metadata }, question: " Why?", maxNewTokens: 5, ignoreEos: true }).collect();
      expect((await run(warm)).tokens).toEqual((await run(cold)).tokens);
    } finally {
      await Promise.all([cold.dispose(), warm.dispose()]);
    }
  });

  it("rejects a warmup it cannot run, and releases the session", async () => {
    const dir = await ensureFixtureModel(FIXTURE);
    await expect(loadModel({ dir, warmup: { inputTokens: 0 } })).rejects.toThrow(/inputTokens must be a positive integer/);
    await expect(loadModel({ dir, warmup: { pastTokens: -1 } })).rejects.toThrow(RangeError);
  });
});
