import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  KvFormatError,
  encodeSafetensors,
  openSafetensors,
  parseSafetensors,
  readSafetensors,
  readKv,
  readKvMetadata,
  readSafetensorsHeader,
  writeSafetensors,
  type RawTensor,
} from "../../src/kv/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-st-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function f16Tensor(shape: number[], seed: number): RawTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(n * 2);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 7) & 0xff;
  return { dtype: "F16", shape, data };
}

function headerJson(bytes: Uint8Array): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
}

describe("encodeSafetensors", () => {
  // docs/kv-format.md#worked-examples
  it("reproduces the worked example: 2 layers F16 [1,2,3,4] → N = 256, 456 bytes", () => {
    const bytes = encodeSafetensors({
      v_1: f16Tensor([1, 2, 3, 4], 4),
      k_1: f16Tensor([1, 2, 3, 4], 2),
      v_0: f16Tensor([1, 2, 3, 4], 3),
      k_0: f16Tensor([1, 2, 3, 4], 1),
    });
    expect(bytes.byteLength).toBe(456);
    const header = headerJson(bytes);
    expect(header.length).toBe(256);
    expect(header.trimEnd().length).toBe(255);
    expect(header.endsWith("} ")).toBe(true);
    expect(header.startsWith('{"k_0":{"dtype":"F16","shape":[1,2,3,4],"data_offsets":[0,48]},"k_1":')).toBe(true);
    expect(Object.keys(JSON.parse(header) as object)).toEqual(["k_0", "k_1", "v_0", "v_1"]);
  });

  it("orders by dtype descending, then by name byte-wise (F32 scales before U8, k_10 before k_2)", () => {
    const tensors: Record<string, RawTensor> = {};
    for (let i = 0; i < 12; i++) {
      for (const kv of ["k", "v"]) {
        tensors[`${kv}_${i}_q`] = { dtype: "U8", shape: [1], data: new Uint8Array([i]) };
        tensors[`${kv}_${i}_s`] = { dtype: "F32", shape: [], data: new Uint8Array(4) };
      }
    }
    const names = Object.keys(JSON.parse(headerJson(encodeSafetensors(tensors))) as object);
    expect(names.slice(0, 4)).toEqual(["k_0_s", "k_10_s", "k_11_s", "k_1_s"]);
    expect(names[24]).toBe("k_0_q");
    expect(names.slice(24, 28)).toEqual(["k_0_q", "k_10_q", "k_11_q", "k_1_q"]);
    expect(names.at(-1)).toBe("v_9_q");
  });

  it("orders 28 layers k_0, k_1, k_10 … k_19, k_2, k_20 … k_27, k_3 … k_9, then v_", () => {
    const tensors = new Map<string, RawTensor>();
    for (let i = 27; i >= 0; i--) {
      tensors.set(`v_${i}`, f16Tensor([1, 1, 1, 2], i));
      tensors.set(`k_${i}`, f16Tensor([1, 1, 1, 2], i));
    }
    const names = Object.keys(JSON.parse(headerJson(encodeSafetensors(tensors))) as object);
    const ks = ["0", "1", ...Array.from({ length: 10 }, (_, i) => `1${i}`), "2", ...Array.from({ length: 8 }, (_, i) => `2${i}`), "3", "4", "5", "6", "7", "8", "9"];
    expect(names).toEqual([...ks.map((i) => `k_${i}`), ...ks.map((i) => `v_${i}`)]);
  });

  it("rejects a tensor whose bytes do not match dtype × shape", () => {
    expect(() => encodeSafetensors({ a: { dtype: "F32", shape: [2], data: new Uint8Array(7) } })).toThrow(KvFormatError);
  });
});

describe("writeSafetensors / readers", () => {
  const weights: Record<string, RawTensor> = {
    "model.layers.0.self_attn.q_proj.weight": { dtype: "F32", shape: [3, 2], data: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) },
    "model.norm.weight": { dtype: "F32", shape: [2], data: new Uint8Array(new Float32Array([0.5, -0.5]).buffer) },
    "model.embed_tokens.weight": { dtype: "BF16", shape: [1, 1, 1, 2], data: new Uint8Array([0x80, 0x3f, 0x00, 0xc0]) },
    scalar: { dtype: "I64", shape: [], data: new Uint8Array(8).fill(1) },
    empty: { dtype: "U8", shape: [0, 5], data: new Uint8Array(0) },
  };

  it("streams to disk the same bytes encodeSafetensors builds, and reports their sha256", async () => {
    const path = join(dir, "weights.safetensors");
    const result = await writeSafetensors(path, weights, { sha256: true });
    const onDisk = await readFile(path);
    const expected = encodeSafetensors(weights);
    expect(Buffer.compare(onDisk, expected)).toBe(0);
    expect(result.byteLength).toBe(expected.byteLength);
    expect(result.sha256).toBe(createHash("sha256").update(expected).digest("hex"));
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("reads back every tensor (full, lazy, header-only and in-memory)", async () => {
    const path = join(dir, "weights2.safetensors");
    await writeSafetensors(path, weights);
    const full = await readSafetensors(path);
    const parsed = parseSafetensors(await readFile(path));
    const header = await readSafetensorsHeader(path);
    const file = await openSafetensors(path);
    try {
      for (const [name, t] of Object.entries(weights)) {
        for (const got of [full.tensors.get(name), parsed.tensors.get(name), await file.read(name)]) {
          expect(got?.dtype).toBe(t.dtype);
          expect(got?.shape).toEqual(t.shape);
          expect(Array.from(got?.data ?? [])).toEqual(Array.from(t.data));
        }
        expect(header.tensors.get(name)?.shape).toEqual(t.shape);
      }
      await expect(file.read("nope")).rejects.toMatchObject({ code: "missing_tensor" });
    } finally {
      await file.close();
    }
    expect(header.metadata).toBeUndefined();
    expect(header.fileSize).toBe((await readFile(path)).byteLength);
    // full read: views share one buffer
    const views = [...full.tensors.values()];
    expect(new Set(views.map((v) => v.data.buffer)).size).toBe(1);
  });

  it("loads lazy tensors one at a time, in file order", async () => {
    const order: string[] = [];
    const lazy = (name: string, t: RawTensor) => ({ dtype: t.dtype, shape: t.shape, load: () => (order.push(name), t.data) });
    const path = join(dir, "lazy.safetensors");
    await writeSafetensors(path, Object.fromEntries(Object.entries(weights).map(([n, t]) => [n, lazy(n, t)])));
    expect(Buffer.compare(await readFile(path), encodeSafetensors(weights))).toBe(0);
    expect(order).toEqual(["scalar", "model.layers.0.self_attn.q_proj.weight", "model.norm.weight", "model.embed_tokens.weight", "empty"]);
  });

  it("leaves the destination untouched and no temp file when a tensor fails mid-write", async () => {
    const path = join(dir, "keep.safetensors");
    await writeFile(path, "old");
    await expect(
      writeSafetensors(path, { a: weights["model.norm.weight"]!, b: { dtype: "F32", shape: [2], load: () => new Uint8Array(3) } }),
    ).rejects.toBeInstanceOf(KvFormatError);
    expect(await readFile(path, "utf8")).toBe("old");
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("honours an aborted signal without touching the destination", async () => {
    const path = join(dir, "aborted.safetensors");
    await expect(writeSafetensors(path, weights, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    await expect(readFile(path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("writes __metadata__ first when asked, and readers return it", async () => {
    const bytes = encodeSafetensors({ x: weights["model.norm.weight"]! }, { metadata: { format: "pt" } });
    expect(headerJson(bytes).startsWith('{"__metadata__":{"format":"pt"},"x":')).toBe(true);
    expect(parseSafetensors(bytes).header.metadata).toEqual({ format: "pt" });
  });
});

describe("file system errors", () => {
  it("are LocalFileErrors naming the path and the system code", async () => {
    const missing = join(dir, "missing.safetensors");
    // Start each read only when it is awaited: promises created up front would reject unobserved.
    const reads = [readSafetensorsHeader, readSafetensors, openSafetensors, readKv, readKvMetadata] as const;
    for (const read of reads) {
      await expect(read(missing)).rejects.toMatchObject({ name: "LocalFileError", code: "ENOENT", path: missing });
    }
    const noDir = join(dir, "no-such-dir", "x.safetensors");
    await expect(writeSafetensors(noDir, {})).rejects.toMatchObject({ name: "LocalFileError", code: "ENOENT", path: noDir });
  });
});
