// Same seed ⇒ byte-identical folder; another seed ⇒ other weights. ensureFixtureModel caches by a key that changes
// with the generator, survives concurrent callers, and bad requests fail with a typed error leaving nothing behind.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createFixtureModel,
  ensureFixtureModel,
  FIXTURE_GENERATOR_VERSION,
  FixtureModelError,
  resolveFixtureShape,
  type FixtureModel,
} from "../../src/testing/index.js";

// Generates fixture model folders (weights, ONNX graphs) and hashes them: seconds each, more on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "kvcdn-fixture-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function hashes(model: FixtureModel): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of Object.keys(model.files)) {
    out[file] = createHash("sha256").update(await readFile(join(model.dir, file))).digest("hex");
  }
  return out;
}

describe("determinism", () => {
  it("the same seed gives byte-identical files; another seed changes the weights and the config", async () => {
    const [a, b, c] = await Promise.all([
      createFixtureModel({ dir: join(scratch, "a"), shape: "tiny", seed: 5 }),
      createFixtureModel({ dir: join(scratch, "b"), shape: "tiny", seed: 5 }),
      createFixtureModel({ dir: join(scratch, "c"), shape: "tiny", seed: 6 }),
    ]);
    const [ha, hb, hc] = await Promise.all([hashes(a), hashes(b), hashes(c)]);
    expect(Object.keys(ha).sort()).toEqual([
      "config.json",
      "generation_config.json",
      "model.safetensors",
      "onnx/model.onnx",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    expect(hb).toEqual(ha);
    for (const file of ["model.safetensors", "onnx/model.onnx", "config.json"]) expect(hc[file], file).not.toBe(ha[file]);
    for (const file of ["generation_config.json", "tokenizer.json", "tokenizer_config.json"]) expect(hc[file], file).toBe(ha[file]);
  });

  it("pins the bytes of a small custom fixture (bump FIXTURE_GENERATOR_VERSION when this changes on purpose)", async () => {
    // A change here means cached fixtures would be stale: bump FIXTURE_GENERATOR_VERSION and update these hashes.
    const m = await createFixtureModel({ dir: join(scratch, "pinned"), shape: { num_hidden_layers: 1, vocab_size: 256 }, seed: 7 });
    expect(FIXTURE_GENERATOR_VERSION).toBe(1);
    const h = await hashes(m);
    expect({ safetensors: h["model.safetensors"], onnx: h["onnx/model.onnx"], config: h["config.json"] }).toEqual(PINNED);
  });

  it("external data holds the same weights: same safetensors, and the ONNX weights move to model.onnx_data", async () => {
    const shape = { num_hidden_layers: 1, vocab_size: 4096 };
    const [inline, external] = await Promise.all([
      createFixtureModel({ dir: join(scratch, "inline"), shape, seed: 8 }),
      createFixtureModel({ dir: join(scratch, "external"), shape, seed: 8, externalData: true }),
    ]);
    expect(inline.externalData).toBe(false);
    expect(external.externalData).toBe(true);
    const [hi, he] = await Promise.all([hashes(inline), hashes(external)]);
    expect(he["model.safetensors"]).toBe(hi["model.safetensors"]);
    // The graph alone is ~20 KB; the 4096 × 64 f32 embedding alone is 1 MiB.
    expect(external.files["onnx/model.onnx"]).toBeLessThan(64 * 1024);
    expect(inline.files["onnx/model.onnx"]).toBeGreaterThan(1024 * 1024);
    expect(external.files["onnx/model.onnx_data"]).toBeGreaterThan(inline.files["onnx/model.onnx"]! - 64 * 1024);
    expect(inline.files).not.toHaveProperty("onnx/model.onnx_data");
  });
});

describe("bad requests", () => {
  it.each([
    ["an unknown shape name", { shape: "qwen3-7b" as "tiny" }, "bad_config"],
    ["heads not divisible by KV heads", { shape: { num_attention_heads: 3, num_key_value_heads: 2 } }, "bad_config"],
    ["an odd head_dim", { shape: { head_dim: 15 } }, "bad_config"],
    ["a zero dimension", { shape: { hidden_size: 0 } }, "bad_config"],
    ["an unknown dimension", { shape: { hidden: 64 } as never }, "bad_config"],
    ["a negative seed", { seed: -1 }, "bad_seed"],
    ["a fractional seed", { seed: 1.5 }, "bad_seed"],
  ])("%s is a FixtureModelError and writes nothing", async (_, options, code) => {
    const dir = join(scratch, `bad-${code}-${Math.random().toString(36).slice(2)}`);
    const error = await createFixtureModel({ dir, ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FixtureModelError);
    expect((error as FixtureModelError).code).toBe(code);
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
  });

  it("refuses a non-empty folder and leaves it untouched; overwrite replaces it", async () => {
    const dir = join(scratch, "occupied");
    await mkdir(dir);
    await writeFile(join(dir, "keep.txt"), "mine");
    const error = await createFixtureModel({ dir, shape: { num_hidden_layers: 1, vocab_size: 64 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FixtureModelError);
    expect(await readdir(dir)).toEqual(["keep.txt"]);
    await createFixtureModel({ dir, shape: { num_hidden_layers: 1, vocab_size: 64 }, overwrite: true });
    expect(await readdir(dir)).not.toContain("keep.txt");
    expect(await readdir(scratch)).not.toContain(expect.stringMatching(/\.tmp/));
  });

  it("an abort leaves neither the folder nor a temporary one", async () => {
    const dir = join(scratch, "aborted");
    const controller = new AbortController();
    const error = await createFixtureModel({
      dir,
      shape: "tiny",
      signal: controller.signal,
      onProgress: (e) => {
        if (e.done === 3) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AbortError");
    expect((await readdir(scratch)).filter((n) => n.includes("aborted"))).toEqual([]);
  });
});

describe("ensureFixtureModel", () => {
  const shape = { num_hidden_layers: 1, vocab_size: 128 };

  it("generates once under a key naming shape, seed and generator version, then reuses the folder", async () => {
    const cacheDir = join(scratch, "cache-reuse");
    const dir = await ensureFixtureModel({ shape, seed: 4, cacheDir });
    expect(dir.startsWith(cacheDir)).toBe(true);
    expect(dir).toMatch(new RegExp(`/${resolveFixtureShape(shape).name}-4-g${FIXTURE_GENERATOR_VERSION}-[0-9a-f]{8}$`));
    const before = (await stat(join(dir, "model.safetensors"))).mtimeMs;
    expect(await ensureFixtureModel({ shape, seed: 4, cacheDir })).toBe(dir);
    expect((await stat(join(dir, "model.safetensors"))).mtimeMs).toBe(before);
    const others = await Promise.all([
      ensureFixtureModel({ shape, seed: 5, cacheDir }),
      ensureFixtureModel({ shape: { ...shape, head_dim: 16 }, seed: 4, cacheDir }),
      ensureFixtureModel({ shape, seed: 4, cacheDir, externalData: true }),
    ]);
    expect(new Set([dir, ...others]).size).toBe(4);
  });

  it("concurrent callers all get the same complete folder and leave no temporary folders", async () => {
    const cacheDir = join(scratch, "cache-race");
    const dirs = await Promise.all(Array.from({ length: 4 }, () => ensureFixtureModel({ shape, seed: 9, cacheDir })));
    expect(new Set(dirs).size).toBe(1);
    expect(await readdir(cacheDir)).toEqual([dirs[0]!.slice(cacheDir.length + 1)]);
    const fresh = await createFixtureModel({ dir: join(scratch, "race-check"), shape, seed: 9 });
    expect(await hashes({ ...fresh, dir: dirs[0]! })).toEqual(await hashes(fresh));
  });

  it("regenerates a cached folder that lost a file", async () => {
    const cacheDir = join(scratch, "cache-damaged");
    const dir = await ensureFixtureModel({ shape, seed: 2, cacheDir });
    await rm(join(dir, "onnx", "model.onnx"));
    expect(await ensureFixtureModel({ shape, seed: 2, cacheDir })).toBe(dir);
    expect((await stat(join(dir, "onnx", "model.onnx"))).size).toBeGreaterThan(0);
  });
});

const PINNED = {
  safetensors: "0586ecb93ea55781b92d20fd191cea010ef2f11c527643cb9ecf64f01450c01e",
  onnx: "260d2d52a10a10ecef3bfba5f5a8b5799d524b5f9fc06fd78124c390a4ac511d",
  config: "664a926460a7c3233d6634d31c87602af3f0edbc671a7869b3d357ce6cb6904c",
};
