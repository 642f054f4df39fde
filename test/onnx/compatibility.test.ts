import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CompatibilityError, isKvcdnError } from "../../src/errors/index.js";
import { writeKv, type KvCache } from "../../src/kv/index.js";
import { checkCompatibility, produceCache, resumeFromCache, type OnnxModel, type ProducedCache } from "../../src/onnx/index.js";
import { LONG_TEXT, loadTinyModel, makeTempDir } from "./helpers.js";

// Runs onnxruntime sessions of the fixture models: slower than the suite's default timeout on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let model: OnnxModel;
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let produced: ProducedCache;

beforeAll(async () => {
  model = await loadTinyModel();
  tmp = await makeTempDir();
  produced = await produceCache({ model, context: LONG_TEXT.slice(0, 60) });
});
afterAll(async () => {
  await model?.dispose();
  await tmp?.cleanup();
});

async function resumeError(kv: Parameters<typeof resumeFromCache>[0]["kv"], extra: object = {}): Promise<CompatibilityError> {
  const error = await resumeFromCache({ model, kv, question: "?", maxNewTokens: 1, ...extra }).collect().catch((e) => e);
  expect(error).toBeInstanceOf(CompatibilityError);
  expect(isKvcdnError(error)).toBe(true);
  return error as CompatibilityError;
}

function withHeads(cache: KvCache, heads: number, dim: number): KvCache {
  const tokens = cache.layers[0]!.key.shape[2];
  const t = () => ({ dtype: "F32" as const, shape: [1, heads, tokens, dim] as [number, number, number, number], data: new Float32Array(heads * tokens * dim) });
  return { dtype: "F32", layers: cache.layers.map(() => ({ key: t(), value: t() })) };
}

describe("compatibility checks before running", () => {
  it("names num_layers for a cache with another layer count", async () => {
    const cache = { dtype: produced.cache.dtype, layers: produced.cache.layers.slice(0, 2) } as KvCache;
    const error = await resumeError({ cache, metadata: {} });
    expect([error.field, error.expected, error.actual]).toEqual(["num_layers", 3, 2]);
    expect(error.message).toMatch(/num_layers is 2 in the cache but 3 in the model/);
  });

  it("names num_kv_heads and head_dim for another head layout", async () => {
    // Same element count per position (2 × 32 = 4 × 16): only the layout differs.
    const heads = await resumeError({ cache: withHeads(produced.cache, 4, 16), metadata: {} });
    expect([heads.field, heads.expected, heads.actual]).toEqual(["num_kv_heads", 2, 4]);
    const dims = await resumeError({ cache: withHeads(produced.cache, 2, 64), metadata: {} });
    expect([dims.field, dims.expected, dims.actual]).toEqual(["head_dim", 32, 64]);
  });

  it("compares the fingerprint field by field and reports the first difference", async () => {
    const fingerprint = { ...model.fingerprint, tokenizer_sha256: "0".repeat(64) };
    const error = await resumeError({ cache: produced.cache, metadata: { ...produced.metadata, fingerprint } });
    expect([error.field, error.expected, error.actual]).toEqual([
      "fingerprint.tokenizer_sha256",
      model.fingerprint.tokenizer_sha256,
      "0".repeat(64),
    ]);
    const rope = await resumeError({
      cache: produced.cache,
      metadata: { ...produced.metadata, fingerprint: { ...model.fingerprint, rope_theta: 10000, architecture: "LlamaForCausalLM" } },
    });
    expect(rope.field).toBe("fingerprint.architecture");
    // An escape hatch for a field the caller knows to be harmless.
    const ok = await resumeFromCache({
      model,
      kv: { cache: produced.cache, metadata: { ...produced.metadata, fingerprint } },
      question: "?",
      maxNewTokens: 1,
      ignoreFields: ["tokenizer_sha256"],
    }).collect();
    expect(ok.tokens).toHaveLength(1);
  });

  it("accepts a cache from another weight variant of the same model unless strictDtype", async () => {
    const metadata = { ...produced.metadata, fingerprint: { ...model.fingerprint, model_dtype: "q4f16" } };
    const ok = await resumeFromCache({ model, kv: { cache: produced.cache, metadata }, question: "?", maxNewTokens: 1 }).collect();
    expect(ok.tokens).toHaveLength(1);
    const strict = await resumeError({ cache: produced.cache, metadata }, { strictDtype: true });
    expect([strict.field, strict.actual]).toEqual(["fingerprint.model_dtype", "q4f16"]);
  });

  it("compares the revision only for a cache without weights_sha256, and only when both sides know it", () => {
    const known = { ...model, fingerprint: { ...model.fingerprint, revision: "a".repeat(40) } };
    const cache = { numLayers: 3, numKvHeads: 2, headDim: 32 };
    // Same files, another commit: the weights digest agrees, so the revision is not compared.
    expect(() => checkCompatibility({ model: known, cache, metadata: { fingerprint: { ...model.fingerprint, revision: "b".repeat(40) } } })).not.toThrow();
    const { arch_sha256: _a, weights_sha256: _w, ...legacy } = model.fingerprint;
    expect(() => checkCompatibility({ model: known, cache, metadata: { fingerprint: { ...legacy, revision: null } } })).not.toThrow();
    expect(() => checkCompatibility({ model: known, cache, metadata: { fingerprint: { ...legacy, revision: "b".repeat(40) } } })).toThrow(
      /fingerprint\.revision/,
    );
  });

  it("falls back to model_name when the cache has no fingerprint", async () => {
    const { fingerprint: _, ...noFingerprint } = produced.metadata;
    const error = await resumeError({ cache: produced.cache, metadata: { ...noFingerprint, model_name: "meta-llama/Llama-3.2-1B" } });
    expect([error.field, error.expected, error.actual]).toEqual(["model_name", model.modelId, "meta-llama/Llama-3.2-1B"]);
    expect(error.message).toMatch(/modelId/);
    // kvcdn-cli's header-only fallback says "unknown": only the tensor dimensions can be checked.
    const ok = await resumeFromCache({ model, kv: { cache: produced.cache, metadata: { model_name: "unknown" } }, question: "?", maxNewTokens: 1 }).collect();
    expect(ok.tokens).toHaveLength(1);
  });

  it("rejects a .kv file from another model before reading its tensors", async () => {
    const path = join(tmp.dir, "other.kv");
    await writeKv(path, produced.cache, {
      sidecar: { ...produced.metadata, fingerprint: { ...model.fingerprint, weights_sha256: "f".repeat(64) } },
    });
    // Corrupt the tensor bytes (keeping the size): a check that read them would fail on the sha256 instead.
    const bytes = await readFile(path);
    bytes.fill(0, bytes.length - 64);
    await writeFile(path, bytes);
    const error = await resumeError(path);
    expect(error.field).toBe("fingerprint.weights_sha256");
  });
});
