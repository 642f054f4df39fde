import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AbortError, CacheInputError } from "../../src/errors/index.js";
import { produceCache, resumeFromCache, type GenerationResult, type OnnxModel, type ProducedCache } from "../../src/onnx/index.js";
import { LONG_TEXT, loadTinyModel } from "./helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let model: OnnxModel;
let produced: ProducedCache;
let kv: { cache: ProducedCache["cache"]; metadata: ProducedCache["metadata"] };
const question = "\n\nQ: What is stored?\nA:";

beforeAll(async () => {
  model = await loadTinyModel();
  produced = await produceCache({ model, context: LONG_TEXT.slice(0, 200) });
  kv = { cache: produced.cache, metadata: produced.metadata };
});
afterAll(async () => {
  await model?.dispose();
});

describe("decoding from a cache", () => {
  it("streams tokens whose texts concatenate to the collected text", async () => {
    const stream = resumeFromCache({ model, kv, question, maxNewTokens: 8, ignoreEos: true });
    const seen: Array<{ token: number; text: string }> = [];
    const done: GenerationResult[] = [];
    for await (const event of stream) {
      if (event.phase === "token") seen.push({ token: event.token, text: event.text });
      else done.push(event.result);
    }
    expect(seen).toHaveLength(8);
    // Exactly one `done` event, last, carrying the same result collect() returns.
    expect(done).toHaveLength(1);
    expect(done[0]!.tokens).toEqual(seen.map((s) => s.token));
    expect(seen.map((s) => s.text).join("")).toBe(done[0]!.text);
    expect(done[0]!.finishReason).toBe("length");
    expect(await stream.collect()).toBe(done[0]);
  });

  it("stops at an end-of-sequence id unless ignoreEos (kvcdn-cli parity) is set", async () => {
    const parity = await resumeFromCache({ model, kv, question, maxNewTokens: 6, ignoreEos: true }).collect();
    // Make the third greedy token an EOS id of this model: generation must end right there.
    const eosModel = { ...model, eosTokenIds: [parity.tokens[2]!] };
    const stopped = await resumeFromCache({ model: eosModel, kv, question, maxNewTokens: 6 }).collect();
    expect(stopped.finishReason).toBe("eos");
    expect(stopped.tokens).toEqual(parity.tokens.slice(0, parity.tokens.indexOf(parity.tokens[2]!) + 1));
    const ignored = await resumeFromCache({ model: eosModel, kv, question, maxNewTokens: 6, ignoreEos: true }).collect();
    expect(ignored.tokens).toEqual(parity.tokens);
  });

  it("stops at a stop string and cuts the text before it", async () => {
    const parity = await resumeFromCache({ model, kv, question, maxNewTokens: 8, ignoreEos: true }).collect();
    const stop = parity.text.slice(Math.floor(parity.text.length / 2), Math.floor(parity.text.length / 2) + 2);
    expect(stop.length).toBe(2);
    const stream = resumeFromCache({ model, kv, question, maxNewTokens: 8, ignoreEos: true, stop: [stop] });
    let streamed = "";
    let result: GenerationResult | undefined;
    for await (const event of stream) {
      if (event.phase === "token") streamed += event.text;
      else result = event.result;
    }
    if (!result) throw new Error("the stream ended without a done event");
    expect(result.finishReason).toBe("stop");
    expect(result.text).toBe(parity.text.slice(0, parity.text.indexOf(stop)));
    expect(streamed).toBe(result.text);
    expect(result.tokens).toEqual(parity.tokens.slice(0, result.tokens.length));
  });

  it("samples reproducibly from a seed, and differently from another", async () => {
    const sample = (seed: number) =>
      resumeFromCache({ model, kv, question, maxNewTokens: 8, ignoreEos: true, sampling: { temperature: 1.5, topK: 50, topP: 0.95, seed } })
        .collect()
        .then((r) => r.tokens);
    const a = await sample(1);
    expect(await sample(1)).toEqual(a);
    const others = await Promise.all([2, 3, 4].map(sample));
    expect(others.some((o) => o.join() !== a.join())).toBe(true);
  });

  it("rejects an empty question: at least one token must run after the cache", async () => {
    const error = await resumeFromCache({ model, kv, question: "" }).collect().catch((e) => e);
    expect(error).toBeInstanceOf(CacheInputError);
    expect(error.code).toBe("empty_prompt");
  });

  it("stops between forward passes when the signal fires", async () => {
    const controller = new AbortController();
    const stream = resumeFromCache({ model, kv, question, maxNewTokens: 20, ignoreEos: true, signal: controller.signal });
    const seen: number[] = [];
    const run = (async () => {
      for await (const event of stream) {
        if (event.phase !== "token") continue;
        seen.push(event.token);
        if (seen.length === 2) controller.abort(new Error("user stop"));
      }
    })();
    const error = await run.catch((e) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(error.cause).toEqual(new Error("user stop"));
    expect(seen).toHaveLength(2);
  });
});
