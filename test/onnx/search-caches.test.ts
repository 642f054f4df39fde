import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LocalFileError } from "../../src/errors/index.js";
import { writeKv } from "../../src/kv/index.js";
import { produceCache, searchCaches, type OnnxModel } from "../../src/onnx/index.js";
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
  const make = (name: string, contextTokens: number[]) => produceCache({ model, contextTokens, output: join(tmp.dir, name) });
  await make("long.kv", ids.slice(0, 40)); // shares 30 with the query
  await make("short.kv", ids.slice(0, 10)); // shares 10
  await make("same-30.kv", [...ids.slice(0, 30), ...ids.slice(70, 75)]); // shares 30, holds 35
  await make("unrelated.kv", ids.slice(50, 60)); // shares 0
  const { cache, metadata } = await produceCache({ model, contextTokens: ids.slice(0, 20) });
  await writeKv(join(tmp.dir, "no-tokens.kv"), cache, { sidecar: { model_name: model.modelId } });
  await writeKv(join(tmp.dir, "other-model.kv"), cache, {
    sidecar: { ...metadata, fingerprint: { ...model.fingerprint, architecture: "LlamaForCausalLM" } },
  });
  await writeFile(join(tmp.dir, "broken.kv"), "not a safetensors file");
  await mkdir(join(tmp.dir, "nested"));
  await make("nested/deep.kv", ids.slice(0, 30));
});
afterAll(async () => {
  await model?.dispose();
  await tmp?.cleanup();
});

describe("searchCaches", () => {
  it("ranks compatible caches by shared prefix, best first, from their sidecars", async () => {
    const skipped: string[] = [];
    const query = [...ids.slice(0, 30), ...ids.slice(100, 110)];
    const matches = await searchCaches({ dir: tmp.dir, model, queryTokens: query, onSkip: (p) => skipped.push(p) });
    expect(matches).toEqual([
      { path: join(tmp.dir, "same-30.kv"), prefixTokens: 30, totalTokens: 35, model: model.modelId },
      { path: join(tmp.dir, "long.kv"), prefixTokens: 30, totalTokens: 40, model: model.modelId },
      { path: join(tmp.dir, "short.kv"), prefixTokens: 10, totalTokens: 10, model: model.modelId },
    ]);
    expect(skipped.map((p) => p.slice(tmp.dir.length + 1)).sort()).toEqual(["broken.kv", "no-tokens.kv", "other-model.kv"]);
  });

  it("tokenizes a text query like a context and can scan subfolders", async () => {
    const matches = await searchCaches({ dir: tmp.dir, model, query: LONG_TEXT, recursive: true });
    expect(matches.map((m) => m.path.slice(tmp.dir.length + 1))).toEqual(["long.kv", "nested/deep.kv", "same-30.kv", "short.kv"]);
    // Fewer cached positions rank first among equal prefixes: less to load, nothing stale.
    expect(matches.map((m) => [m.prefixTokens, m.totalTokens])).toEqual([[40, 40], [30, 30], [30, 35], [10, 10]]);
  });
});

describe("searchCaches on a missing folder", () => {
  it("throws a LocalFileError naming the folder", async () => {
    const error = await searchCaches({ dir: join(tmp.dir, "nope"), model, query: "x" }).catch((e) => e);
    expect(error).toBeInstanceOf(LocalFileError);
    expect(error.message).toMatch(/no such folder/);
  });
});
