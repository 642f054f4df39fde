// Golden files come from test/fixtures/kv/make_golden.py, an independent numpy/struct/json implementation of
// docs/kv-format.md. Our writer must reproduce them byte for byte and our reader must read them.
import { createHash } from "node:crypto";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  castKv,
  quantizeKv,
  readKv,
  readKvMetadata,
  readSafetensorsHeader,
  writeKv,
  type KvCache,
  type KvDtype,
  type KvSidecar,
} from "../../src/kv/index.js";

const FIXTURES = new URL("../fixtures/kv/", import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;
const source = JSON.parse(await readFile(fixture("source-values.json"), "utf8")) as Record<string, number[]>;

/** The F32 cache make_golden.py starts from: 2 layers, [1, 2, 3, 4]. */
function sourceCache(): KvCache<"F32"> {
  const t = (name: string) => ({ dtype: "F32" as const, shape: [1, 2, 3, 4] as [number, number, number, number], data: Float32Array.from(source[name]!) });
  return { dtype: "F32", layers: [0, 1].map((i) => ({ key: t(`k_${i}`), value: t(`v_${i}`) })) };
}

const goldenSidecar = { model_name: "kvcdn/golden", prompt: 'héllo\n"golden"', tokens: [1, 2, 70000] } satisfies Partial<KvSidecar>;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-golden-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("golden fixtures", () => {
  it("are intact (SHA256SUMS written by make_golden.py)", async () => {
    const lines = (await readFile(fixture("SHA256SUMS"), "utf8")).trim().split("\n");
    expect(lines.length).toBe(9);
    for (const line of lines) {
      const [sum, name] = line.split(/\s+/);
      expect(createHash("sha256").update(await readFile(fixture(name!))).digest("hex"), name).toBe(sum);
    }
  });

  // docs/kv-format.md#worked-examples
  it("match the worked examples: F16 456 bytes with N = 256, quantized 608 bytes with N = 488", async () => {
    const f16 = await readSafetensorsHeader(fixture("golden-f16.kv"));
    expect([f16.fileSize, f16.headerLength]).toEqual([456, 256]);
    const q8 = await readSafetensorsHeader(fixture("golden-q8.kv"));
    expect([q8.fileSize, q8.headerLength, q8.fileSize - q8.dataOffset]).toEqual([608, 488, 112]);
    expect([...q8.tensors.keys()].slice(0, 4)).toEqual(["k_0_s", "k_1_s", "v_0_s", "v_1_s"]);
  });
});

describe.each<KvDtype>(["F16", "BF16", "F32"])("%s golden file", (dtype) => {
  const name = `golden-${dtype.toLowerCase()}.kv`;

  it("is what writeKv produces in cliCompatible mode (.kv and .kv.json byte for byte)", async () => {
    const out = join(dir, name);
    const result = await writeKv(out, castKv(sourceCache(), dtype), { sidecar: goldenSidecar, cliCompatible: true });
    expect(Buffer.compare(await readFile(out), await readFile(fixture(name)))).toBe(0);
    expect(await readFile(`${out}.json`, "utf8")).toBe(await readFile(fixture(`${name}.json`), "utf8"));
    expect(result.sha256).toBe(createHash("sha256").update(await readFile(fixture(name))).digest("hex"));
  });

  it("also streams the same bytes when converting from F32 while writing", async () => {
    const out = join(dir, `stream-${name}`);
    await writeKv(out, sourceCache(), { dtype, sidecar: false });
    expect(Buffer.compare(await readFile(out), await readFile(fixture(name)))).toBe(0);
  });

  it("reads back with its sidecar and the values make_golden.py stored", async () => {
    const { cache, metadata } = await readKv(fixture(name), { dtype: "F32" });
    expect(metadata).toMatchObject({ ...goldenSidecar, num_layers: 2, num_tokens: 3, dtype, storage_dtype: dtype, quantized: false, nbytes: (await readFile(fixture(name))).byteLength });
    const expected = castKv(castKv(sourceCache(), dtype), "F32");
    expect(Array.from(cache.layers[1]!.value.data)).toEqual(Array.from(expected.layers[1]!.value.data));
    expect(Array.from(cache.layers[0]!.key.data)).toEqual(Array.from(expected.layers[0]!.key.data));
  });
});

describe("quantized golden file", () => {
  it("is what quantizeKv + writeKv produce from the F32 source (bit-exact codes and scales)", async () => {
    const out = join(dir, "golden-q8.kv");
    await writeKv(out, quantizeKv(sourceCache(), { target: "F16" }), { sidecar: { model_name: "kvcdn/golden", tokens: [1, 2, 70000] }, cliCompatible: true });
    expect(Buffer.compare(await readFile(out), await readFile(fixture("golden-q8.kv")))).toBe(0);
    expect(await readFile(`${out}.json`, "utf8")).toBe(await readFile(fixture("golden-q8.kv.json"), "utf8"));
  });

  it("holds the worked example codes [192, 64, 144, 1] with scale 2 in k_0", async () => {
    const { quantized, cache } = await readKv(fixture("golden-q8.kv"));
    expect(quantized?.layers[0]!.key.scale).toBe(2);
    expect(Array.from(quantized!.layers[0]!.key.q.subarray(0, 6))).toEqual([192, 64, 144, 1, 128, 128]);
    expect(cache.dtype).toBe("F16");
  });

  it("reports kvcdn-cli's header-only metadata without its sidecar: dtype U8, storage U8", async () => {
    const bare = join(dir, "bare-q8.kv");
    await copyFile(fixture("golden-q8.kv"), bare);
    expect(await readKvMetadata(bare)).toEqual({
      model_name: "unknown", num_layers: 2, num_tokens: 3, dtype: "U8", storage_dtype: "U8", nbytes: 608, quantized: true,
    });
    const { cache, metadata } = await readKv(bare);
    expect(cache.dtype).toBe("F16");
    expect(metadata.quantized).toBe(true);
  });
});

describe("28-layer golden file (no sidecar)", () => {
  it("orders its tensors k_0, k_1, k_10 … k_19, k_2, k_20 … k_27, k_3 … k_9, v_0 …", async () => {
    const names = [...(await readSafetensorsHeader(fixture("golden-28layers.kv"))).tensors.keys()];
    expect(names.slice(0, 13)).toEqual(["k_0", "k_1", "k_10", "k_11", "k_12", "k_13", "k_14", "k_15", "k_16", "k_17", "k_18", "k_19", "k_2"]);
    expect(names.slice(20, 28)).toEqual(["k_27", "k_3", "k_4", "k_5", "k_6", "k_7", "k_8", "k_9"]);
    expect(names[28]).toBe("v_0");
  });

  it("gives the header-only fallback: model unknown, storage_dtype null, no prompt or tokens", async () => {
    expect(await readKvMetadata(fixture("golden-28layers.kv"))).toEqual({
      model_name: "unknown", num_layers: 28, num_tokens: 1, dtype: "F16", storage_dtype: null, nbytes: 3856, quantized: false,
    });
  });

  it("round-trips through readKv + writeKv to identical bytes", async () => {
    const { cache } = await readKv(fixture("golden-28layers.kv"));
    expect(cache.layers.length).toBe(28);
    const out = join(dir, "28.kv");
    await writeKv(out, cache, { sidecar: false });
    expect(Buffer.compare(await readFile(out), await readFile(fixture("golden-28layers.kv")))).toBe(0);
  });
});
