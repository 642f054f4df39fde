import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import {
  formatSidecar,
  parseSidecar,
  readKv,
  readKvMetadata,
  readSidecar,
  sidecarPath,
  writeKv,
  writeSidecar,
  type KvCache,
  type KvFingerprint,
  type KvSidecar,
} from "../../src/kv/index.js";

// docs/kv-format.md#worked-examples: "How are you doing?" prefilled with Qwen3-0.6B at F16, as kvcdn-cli writes it.
const QWEN3_SIDECAR = `{
  "model_name": "Qwen/Qwen3-0.6B",
  "num_layers": 28,
  "num_tokens": 5,
  "dtype": "F16",
  "storage_dtype": "F16",
  "nbytes": 577552,
  "quantized": false,
  "prompt": "How are you doing?",
  "tokens": [
    4340,
    525,
    498,
    3730,
    30
  ]
}`;

const fingerprint: KvFingerprint = {
  architecture: "Qwen3ForCausalLM",
  num_kv_heads: 8,
  head_dim: 128,
  rope_theta: 1000000,
  model_dtype: "float16",
  config_sha256: "a".repeat(64),
  tokenizer_sha256: "b".repeat(64),
  revision: null,
};

function tinyCache(tokens = 3): KvCache<"F16"> {
  const t = (seed: number) => ({ dtype: "F16" as const, shape: [1, 2, tokens, 4] as [number, number, number, number], data: Uint16Array.from({ length: 8 * tokens }, (_, i) => 0x3c00 + ((i * 7 + seed) % 300)) });
  return { dtype: "F16", layers: [0, 1, 2].map((i) => ({ key: t(i), value: t(i + 10) })) };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-sidecar-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("formatSidecar", () => {
  it("reproduces kvcdn-cli's bytes for the 5-token Qwen3 example (2-space indent, no trailing newline)", () => {
    const parsed = parseSidecar(QWEN3_SIDECAR);
    expect(formatSidecar(parsed)).toBe(QWEN3_SIDECAR);
    expect(formatSidecar(parsed, { cliCompatible: true })).toBe(QWEN3_SIDECAR);
  });

  it("omits prompt and tokens when absent, and writes storage_dtype null", () => {
    const text = formatSidecar({ model_name: "unknown", num_layers: 2, num_tokens: 1, dtype: "F16", storage_dtype: null, nbytes: 10, quantized: false });
    expect(text).toBe('{\n  "model_name": "unknown",\n  "num_layers": 2,\n  "num_tokens": 1,\n  "dtype": "F16",\n  "storage_dtype": null,\n  "nbytes": 10,\n  "quantized": false\n}');
  });

  it("puts the nine fields first in order, then sha256, producer, fingerprint, then unknown fields; cliCompatible drops the rest", () => {
    const sidecar: KvSidecar = {
      future: { x: 1 },
      fingerprint,
      tokens: [4340, 525, 498, 3730, 30],
      sha256: "c".repeat(64),
      producer: { name: "kvcdn", version: "0.1.0" },
      ...parseSidecar(QWEN3_SIDECAR),
    };
    const keys = Object.keys(JSON.parse(formatSidecar(sidecar)) as object);
    expect(keys).toEqual(["model_name", "num_layers", "num_tokens", "dtype", "storage_dtype", "nbytes", "quantized", "prompt", "tokens", "sha256", "producer", "fingerprint", "future"]);
    expect(formatSidecar(sidecar, { cliCompatible: true })).toBe(QWEN3_SIDECAR);
  });

  it("keeps unknown fields (and their order) through parse → format", () => {
    const withExtra = `${QWEN3_SIDECAR.slice(0, -2)},\n  "zeta": [\n    1\n  ],\n  "alpha": "x"\n}`;
    expect(formatSidecar(parseSidecar(withExtra))).toBe(withExtra);
  });
});

describe("parseSidecar", () => {
  it("accepts files with neither prompt nor tokens, and null prompt/tokens/storage_dtype as absent", () => {
    const s = parseSidecar('{"model_name":"m","num_layers":1,"num_tokens":2,"dtype":"F16","nbytes":3,"quantized":false,"prompt":null,"tokens":null}');
    expect(s).toEqual({ model_name: "m", num_layers: 1, num_tokens: 2, dtype: "F16", storage_dtype: null, nbytes: 3, quantized: false });
  });

  it.each([
    ["not JSON", "{"],
    ["an array", "[]"],
    ["a missing field", '{"model_name":"m","num_layers":1,"num_tokens":1,"dtype":"F16","storage_dtype":"F16","quantized":false}'],
    ["a string count", '{"model_name":"m","num_layers":"1","num_tokens":1,"dtype":"F16","storage_dtype":"F16","nbytes":1,"quantized":false}'],
    ["a negative count", '{"model_name":"m","num_layers":-1,"num_tokens":1,"dtype":"F16","storage_dtype":"F16","nbytes":1,"quantized":false}'],
    ["a duplicate key", '{"model_name":"m","model_name":"n","num_layers":1,"num_tokens":1,"dtype":"F16","storage_dtype":"F16","nbytes":1,"quantized":false}'],
    ["tokens not matching num_tokens", '{"model_name":"m","num_layers":1,"num_tokens":2,"dtype":"F16","storage_dtype":"F16","nbytes":1,"quantized":false,"tokens":[1]}'],
    ["a token above u32", '{"model_name":"m","num_layers":1,"num_tokens":1,"dtype":"F16","storage_dtype":"F16","nbytes":1,"quantized":false,"tokens":[4294967296]}'],
    ["a bad sha256", '{"model_name":"m","num_layers":1,"num_tokens":1,"dtype":"F16","storage_dtype":"F16","nbytes":1,"quantized":false,"sha256":"XYZ"}'],
    ["a bad fingerprint", '{"model_name":"m","num_layers":1,"num_tokens":1,"dtype":"F16","storage_dtype":"F16","nbytes":1,"quantized":false,"fingerprint":{"architecture":1}}'],
  ])("rejects %s with bad_sidecar", (_, text) => {
    expect(() => parseSidecar(text)).toThrow(expect.objectContaining({ name: "KvFormatError", code: "bad_sidecar" }));
  });
});

describe("writeKv sidecars", () => {
  it("records sha256 and producer by default, and the fingerprint and unknown fields given", async () => {
    const path = join(dir, "ext.kv");
    const result = await writeKv(path, tinyCache(), { sidecar: { model_name: "Qwen/Qwen3-0.6B", tokens: [1, 2, 3], fingerprint, custom: true } });
    const onDisk = await readFile(sidecarPath(path), "utf8");
    const s = JSON.parse(onDisk) as KvSidecar;
    expect(s.sha256).toBe(result.sha256);
    expect(s.producer).toEqual({ name: "kvcdn", version: VERSION });
    expect(s.fingerprint).toEqual(fingerprint);
    expect(s.custom).toBe(true);
    expect(s.nbytes).toBe((await readFile(path)).byteLength);
    expect(onDisk.endsWith("}")).toBe(true);
  });

  it("preserves unknown fields when a sidecar is read, changed and rewritten", async () => {
    const path = join(dir, "rewrite.kv");
    await writeKv(path, tinyCache(), { sidecar: { model_name: "m", later_field: { nested: [1, 2] } } });
    const s = (await readSidecar(path))!;
    await writeSidecar(path, { ...s, prompt: "hi" });
    const again = (await readSidecar(path))!;
    expect(again.later_field).toEqual({ nested: [1, 2] });
    expect(again.prompt).toBe("hi");
    expect(Object.keys(again).at(-1)).toBe("later_field");
  });

  it("appends .kv to an output path that lacks it, with a warning, and names the sidecar after it", async () => {
    const warnings: string[] = [];
    const result = await writeKv(join(dir, "noext"), tinyCache(), { onWarning: (w) => warnings.push(w) });
    expect(result.path).toBe(join(dir, "noext.kv"));
    expect(result.sidecarPath).toBe(join(dir, "noext.kv.json"));
    expect(warnings.length).toBe(1);
    await expect(readFile(join(dir, "noext.kv.json"))).resolves.toBeDefined();
  });

  it("writes nothing when the sidecar is invalid (tokens ≠ num_tokens)", async () => {
    const path = join(dir, "invalid.kv");
    await expect(writeKv(path, tinyCache(), { sidecar: { tokens: [1] } })).rejects.toMatchObject({ code: "bad_sidecar" });
    expect((await readdir(dir)).filter((f) => f.startsWith("invalid") || f.includes(".tmp"))).toEqual([]);
  });

  it("removes a stale sidecar when rewriting the .kv without one (it would contradict the new file)", async () => {
    const path = join(dir, "stale.kv");
    await writeKv(path, tinyCache(3), { sidecar: { model_name: "m" } });
    await writeKv(path, tinyCache(2), { sidecar: false });
    expect(await readSidecar(path)).toBeUndefined();
    expect((await readKv(path)).metadata.num_tokens).toBe(2);
  });

  it("leaves neither file nor a temp file behind when aborted during the write", async () => {
    const sub = join(dir, "aborted");
    await mkdir(sub);
    const controller = new AbortController();
    const p = writeKv(join(sub, "x.kv"), tinyCache(), { dtype: "F32", signal: controller.signal });
    // writeKv is now waiting for its temp file to open; abort before any tensor is written.
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(p).rejects.toMatchObject({ name: "AbortError", code: "aborted", cause: reason });
    expect(await readdir(sub)).toEqual([]);
  });
});

describe("sidecar vs file", () => {
  async function fresh(name: string): Promise<string> {
    const path = join(dir, name);
    await writeKv(path, tinyCache(), { sidecar: { model_name: "m" } });
    return path;
  }
  const patch = async (path: string, change: Partial<KvSidecar>) => {
    const s = (await readSidecar(path))!;
    await writeFile(sidecarPath(path), formatSidecar({ ...s, ...change }));
  };

  it.each<[string, Partial<KvSidecar>]>([
    ["quantized: true on a plain file", { quantized: true }],
    ["a wrong num_layers", { num_layers: 4 }],
    ["a wrong num_tokens", { num_tokens: 2 }],
    ["a wrong nbytes", { nbytes: 1 }],
    ["a wrong dtype", { dtype: "BF16", storage_dtype: "BF16" }],
  ])("rejects %s with sidecar_mismatch", async (name, change) => {
    const path = await fresh(`mm-${name.replace(/\W+/g, "-")}.kv`);
    await patch(path, change);
    await expect(readKv(path)).rejects.toMatchObject({ name: "KvFormatError", code: "sidecar_mismatch", path });
  });

  it("rejects quantized: false on a quantized file (kvcdn-cli: no KV tensors found)", async () => {
    const path = join(dir, "q.kv");
    const { quantizeKv } = await import("../../src/kv/index.js");
    await writeKv(path, quantizeKv(tinyCache()));
    await patch(path, { quantized: false, dtype: "F16", storage_dtype: "F16" });
    await expect(readKv(path)).rejects.toMatchObject({ code: "sidecar_mismatch" });
  });

  it("rejects a quantized file whose sidecar dtype is U8 (the storage dtype, not a target), as kvcdn-cli does", async () => {
    const path = join(dir, "q-u8.kv");
    const { quantizeKv } = await import("../../src/kv/index.js");
    await writeKv(path, quantizeKv(tinyCache()));
    await expect(readKv(path)).resolves.toBeDefined();
    // Written by hand: formatSidecar refuses to produce it.
    await writeFile(sidecarPath(path), JSON.stringify({ ...(await readSidecar(path))!, dtype: "U8" }, null, 2));
    for (const read of [readKv, readKvMetadata]) {
      await expect(read(path)).rejects.toMatchObject({ name: "KvFormatError", code: "unsupported_dtype", path: sidecarPath(path) });
    }
    await expect(readKv(path)).rejects.toThrow(/dtype "U8" of a quantized file is not a dequantization target/);
  });

  it("rejects a sidecar that starts with a UTF-8 byte order mark (serde_json refuses it)", async () => {
    const path = await fresh("bom.kv");
    const text = await readFile(sidecarPath(path));
    await writeFile(sidecarPath(path), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]));
    await expect(readKv(path)).rejects.toMatchObject({ name: "KvFormatError", code: "bad_sidecar", path: sidecarPath(path) });
    await expect(readSidecar(path)).rejects.toThrow(/byte order mark/);
    expect(() => parseSidecar(`\uFEFF${text.toString("utf8")}`)).toThrow(/byte order mark/);
  });

  it("rejects bytes that do not hash to the recorded sha256, unless verification is off", async () => {
    const path = await fresh("sha.kv");
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    await writeFile(path, bytes);
    await expect(readKv(path)).rejects.toMatchObject({ code: "checksum_mismatch" });
    await expect(readKv(path, { verifySha256: false })).resolves.toBeDefined();
  });

  it("readKvMetadata returns the sidecar when present, after checking nbytes", async () => {
    const path = await fresh("meta.kv");
    expect((await readKvMetadata(path)).model_name).toBe("m");
    await patch(path, { nbytes: 5 });
    await expect(readKvMetadata(path)).rejects.toMatchObject({ code: "sidecar_mismatch" });
  });
});
