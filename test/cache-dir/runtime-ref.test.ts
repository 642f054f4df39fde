import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { fetchCache } from "../../src/index.js";
import { readVerification } from "../../src/kv/verification-record.js";
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
let modelDir: string;
const N = 6;
const question = "\n\nQ: Why?\nA:";

beforeAll(async () => {
  h = await startCacheHarness();
  const dir = await ensureFixtureModel(FIXTURE);
  modelDir = dir;
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

  it("reads the blob without hashing it: the verification record written when it was stored is never renewed", async () => {
    const fetch = { client: h.client, cacheDir: h.cacheDir, env: {} };
    const { path } = await fetchCache(id, fetch);
    const stored = await readVerification(path);
    expect(stored).toBeDefined();
    await resumeFromCache({ model, kv: { ref: id, fetch }, question, maxNewTokens: 1 }).collect();
    await resumeFromCache({ model, kv: path, question, maxNewTokens: 1 }).collect();
    // readKv records each hash it makes; the record is still the one fetchCache wrote, so none was made.
    expect((await readVerification(path))?.verifiedAt).toBe(stored!.verifiedAt);
  });

  it("kvcdn resume --kv REF fetches through the cache directory named by KVCDN_CACHE_DIR", async () => {
    let stdout = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    let code: number;
    try {
      const env = { KVCDN_API_URL: h.store.url, KVCDN_API_KEY: h.store.apiKey, KVCDN_CACHE_DIR: h.cacheDir, KVCDN_OFFLINE: "1" };
      code = await runCli(["node", "kvcdn", "resume", "--model", modelDir, "--kv", id, "--question", question, "-n", String(N), "--ignore-eos", "--json"], { env, configPath: false });
    } finally {
      out.mockRestore();
    }
    expect(code).toBe(0);
    const expected = await resumeFromCache({ model, kv: local, question, maxNewTokens: N, ignoreEos: true }).collect();
    expect(JSON.parse(stdout).tokens).toEqual(expected.tokens);
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
