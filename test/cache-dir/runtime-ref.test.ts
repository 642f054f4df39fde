import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel, produceCache, resumeFromCache, resumeFromPrefix, verifyCache, type OnnxModel } from "../../src/onnx/index.js";
import { generateFromCache, loadTransformersModel, type TransformersModel } from "../../src/transformers/index.js";
import { ensureFixtureModel } from "../../src/testing/index.js";
import { FIXTURE, LONG_TEXT } from "../onnx/helpers.js";
import { startCacheHarness, type CacheHarness } from "./harness.js";

let h: CacheHarness;
let model: OnnxModel;
let tf: TransformersModel;
let id: string;
let local: string;
const N = 6;
const question = "\n\nQ: Why?\nA:";

beforeAll(async () => {
  h = await startCacheHarness();
  const dir = await ensureFixtureModel(FIXTURE);
  [model, tf] = await Promise.all([loadModel({ dir }), loadTransformersModel({ dir })]);
  local = join(h.dir, "ctx.kv");
  await produceCache({ model, contextTokens: model.tokenizer.encode(LONG_TEXT).slice(0, 40), output: local });
  id = (await h.client.upload(local, { name: "ctx" })).id;
}, 120_000);
afterAll(async () => {
  await model?.dispose();
  await h?.close();
});

describe("the runtime takes a reference", { timeout: 120_000 }, () => {
  it("resumeFromCache({ kv: { ref } }) fetches once through the directory and generates what the local file gives", async () => {
    const fetch = { client: h.client, cacheDir: h.cacheDir, env: {} };
    const expected = await resumeFromCache({ model, kv: local, question, maxNewTokens: N, ignoreEos: true }).collect();
    h.store.requests.clear();
    const first = await resumeFromCache({ model, kv: { ref: id, fetch }, question, maxNewTokens: N, ignoreEos: true }).collect();
    expect(first.tokens).toEqual(expected.tokens);
    expect(h.store.requests.count("get")).toBe(1);
    h.store.requests.clear();
    const second = await resumeFromCache({ model, kv: { ref: id, fetch }, question, maxNewTokens: N, ignoreEos: true }).collect();
    expect(second.tokens).toEqual(expected.tokens);
    expect(h.store.requests.count()).toBe(0);
  });

  it("resumeFromPrefix, verifyCache and generateFromCache take a reference too, offline once it is held", async () => {
    const fetch = { cacheDir: h.cacheDir, env: {}, offline: true };
    const prompt = `${LONG_TEXT.slice(0, 120)} and more`;
    const fromRef = await resumeFromPrefix({ model, kv: { ref: id, fetch: { ...fetch, offline: false, client: h.client } }, prompt, maxNewTokens: N, ignoreEos: true }).collect();
    const fromPath = await resumeFromPrefix({ model, kv: local, prompt, maxNewTokens: N, ignoreEos: true }).collect();
    expect(fromRef.tokens).toEqual(fromPath.tokens);
    h.store.requests.clear();
    const ctx = { ...fetch, env: { KVCDN_API_URL: h.store.url } };
    const verified = await verifyCache({ model, kv: { ref: id, fetch: ctx }, maxNewTokens: 4 });
    expect(verified.match).toBe(true);
    const tfOut = await generateFromCache({ ...tf, kv: { ref: id, fetch: ctx }, question, max_new_tokens: N, do_sample: false });
    const ortOut = await resumeFromCache({ model, kv: local, question, maxNewTokens: N }).collect();
    expect(tfOut.newTokens).toEqual(ortOut.tokens);
    expect(h.store.requests.count()).toBe(0);
  });
});
