import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  GenerationStream,
  isModuleNotFoundForTest,
  loadModel,
  produceCache,
  resumeFromCache,
  resumeFromPrefix,
  searchCaches,
  verifyCache,
  type CacheMatch,
  type GeneratedToken,
  type GenerationEvent,
  type GenerationResult,
  type OnnxModel,
  type ProducedCache,
  type VerifyResult,
} from "./public-api-imports.js";
import { generateFromCache, kvToDynamicCache, presentToKv, type GenerateFromCacheResult } from "../../src/transformers/index.js";
import type { DynamicCache } from "@huggingface/transformers";
import type { KvCache } from "../../src/kv/index.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

describe("kvcdn/onnx and kvcdn/transformers public API", () => {
  it("has the documented signatures", () => {
    expectTypeOf(loadModel).returns.resolves.toEqualTypeOf<OnnxModel>();
    expectTypeOf(produceCache).returns.resolves.toEqualTypeOf<ProducedCache>();
    expectTypeOf(resumeFromCache).returns.toEqualTypeOf<GenerationStream>();
    expectTypeOf(resumeFromPrefix).returns.toEqualTypeOf<GenerationStream>();
    expectTypeOf<GenerationStream>().toMatchTypeOf<AsyncIterable<GenerationEvent>>();
    expectTypeOf<GenerationStream["collect"]>().returns.resolves.toEqualTypeOf<GenerationResult>();
    expectTypeOf(verifyCache).returns.resolves.toEqualTypeOf<VerifyResult>();
    expectTypeOf(searchCaches).returns.resolves.toEqualTypeOf<CacheMatch[]>();
    expectTypeOf(kvToDynamicCache).returns.resolves.toEqualTypeOf<DynamicCache>();
    expectTypeOf(presentToKv).returns.toEqualTypeOf<KvCache>();
    expectTypeOf(generateFromCache).returns.resolves.toEqualTypeOf<GenerateFromCacheResult>();
    expectTypeOf<ProducedCache["metadata"]["tokens"]>().toEqualTypeOf<number[] | undefined>();
  });

  it("loads onnxruntime-node and @huggingface/transformers only inside functions (optional peers)", async () => {
    const root = join(import.meta.dirname, "../../src");
    const files = [
      ...(await readdir(join(root, "onnx"))).map((f) => join(root, "onnx", f)),
      ...(await readdir(join(root, "transformers"))).map((f) => join(root, "transformers", f)),
      ...["generate", "resume", "search", "verify"].map((c) => join(root, "cli/commands", `${c}.ts`)),
    ];
    const staticImport = /^\s*(import|export)\s+(?!type\b)[^;]*from\s+["'](onnxruntime-node|@huggingface\/transformers)["']/m;
    for (const file of files) {
      const text = await readFile(file, "utf8");
      expect(staticImport.test(text), file).toBe(false);
    }
  });

  it("recognises a missing peer package (and only that) as not installed", () => {
    const missing = Object.assign(new Error("Cannot find package 'onnxruntime-node' imported from /x.js"), { code: "ERR_MODULE_NOT_FOUND" });
    const broken = Object.assign(new Error("Cannot find module './binding.node'"), { code: "MODULE_NOT_FOUND" });
    expect(isModuleNotFoundForTest(missing, "onnxruntime-node")).toBe(true);
    expect(isModuleNotFoundForTest(broken, "onnxruntime-node")).toBe(false);
    expect(isModuleNotFoundForTest(new Error("boom"), "onnxruntime-node")).toBe(false);
  });
});
