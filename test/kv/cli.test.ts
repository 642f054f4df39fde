import { copyFile, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKvcdn } from "../cli/run-kvcdn.js";
import { parseSidecar, readKv, type KvInspection } from "../../src/kv/index.js";

const fixture = (name: string) => new URL(`../fixtures/kv/${name}`, import.meta.url).pathname;

const cli = (...args: string[]) => runKvcdn(args);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-cli-kv-"));
  for (const f of ["golden-f16.kv", "golden-f16.kv.json", "golden-28layers.kv", "golden-q8.kv", "golden-q8.kv.json"]) await copyFile(fixture(f), join(dir, f));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("kvcdn inspect", () => {
  it("--json prints the sidecar facts and every tensor in file order", async () => {
    const { code, stdout } = await cli("inspect", join(dir, "golden-q8.kv"), "--json");
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as KvInspection;
    expect(Object.keys(info)).toEqual(["model_name", "num_layers", "num_tokens", "dtype", "storage_dtype", "quantized", "nbytes", "sha256", "tensors"]);
    expect(info).toMatchObject({ model_name: "kvcdn/golden", num_layers: 2, num_tokens: 3, dtype: "F16", storage_dtype: "U8", quantized: true, nbytes: 608, sha256: null });
    expect(info.tensors[0]).toEqual({ name: "k_0_s", dtype: "F32", shape: [] });
    expect(info.tensors.at(-1)).toEqual({ name: "v_1_q", dtype: "U8", shape: [1, 2, 3, 4] });
  });

  it("falls back to the header without a sidecar, and --hash computes the sha256", async () => {
    const { stdout } = await cli("--json", "inspect", join(dir, "golden-28layers.kv"), "--hash");
    const info = JSON.parse(stdout) as KvInspection;
    expect(info).toMatchObject({ model_name: "unknown", num_layers: 28, storage_dtype: null, sha256: "cb03c4289b742f56ef5131da93696beeca963ff10c5728374569a36d6be90fd6" });
    expect(info.tensors.length).toBe(56);
  });

  it("prints a one-line error and exits 1 on a malformed file", async () => {
    const { code, stderr, stdout } = await cli("inspect", fixture("make_golden.py"));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^kvcdn: .*header/);
    expect(stderr.trim().split("\n").length).toBe(1);
  });
});

describe("kvcdn quant", () => {
  it("reproduces the golden quantized file from the F32 golden and writes a Match event", async () => {
    await copyFile(fixture("golden-f32.kv"), join(dir, "src.kv"));
    await copyFile(fixture("golden-f32.kv.json"), join(dir, "src.kv.json"));
    const { code, stdout } = await cli("--json", "quant", join(dir, "src.kv"), "-o", join(dir, "out"), "--dtype", "f16", "--verify");
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { output: string; event_path: string; event: { verification_result: string } };
    expect(doc.output).toBe(join(dir, "out.kv"));
    expect(Buffer.compare(await readFile(join(dir, "out.kv")), await readFile(fixture("golden-q8.kv")))).toBe(0);
    const sidecar = parseSidecar(await readFile(join(dir, "out.kv.json")));
    expect(sidecar).toMatchObject({ model_name: "kvcdn/golden", dtype: "F16", storage_dtype: "U8", quantized: true, prompt: 'héllo\n"golden"', tokens: [1, 2, 70000] });
    const eventText = await readFile(doc.event_path, "utf8");
    expect(doc.event_path).toBe(join(dir, "out.kv.quant-event.json"));
    expect(Object.keys(JSON.parse(eventText) as object)).toEqual([
      "input_path", "output_path", "model", "target_dtype", "storage_dtype", "num_tokens", "num_layers", "original_nbytes",
      "quantized_nbytes", "compression_ratio", "max_quant_error", "verify_enabled", "verification_result", "mismatch_indices", "timestamp",
    ]);
    expect(eventText).toMatch(/"verification_result": "Match"/);
    expect(eventText).toMatch(/"compression_ratio": [0-9]+\.[0-9]+,/);
    expect(eventText).toMatch(/"mismatch_indices": \[\],/);
  });

  it("names the output <stem>.q8.kv by default", async () => {
    await copyFile(fixture("golden-f16.kv"), join(dir, "ctx.kv"));
    const { code } = await cli("--quiet", "quant", join(dir, "ctx.kv"));
    expect(code).toBe(0);
    expect((await readdir(dir)).filter((f) => f.startsWith("ctx.q8"))).toEqual(["ctx.q8.kv", "ctx.q8.kv.json", "ctx.q8.kv.quant-event.json"]);
  });

  it("writes a Mismatch event listing the failing layers, then exits 1", async () => {
    const { code, stderr } = await cli("quant", join(dir, "golden-f16.kv"), "-o", join(dir, "strict.kv"), "--verify", "--max-error", "0");
    expect(code).toBe(1);
    expect(stderr).toMatch(/verification failed for layer\(s\) 0, 1/);
    const event = JSON.parse(await readFile(join(dir, "strict.kv.quant-event.json"), "utf8")) as { verification_result: string; mismatch_indices: number[] };
    expect(event.verification_result).toBe("Mismatch");
    expect(event.mismatch_indices).toEqual([0, 1]);
  });

  it("refuses the targets kvcdn-cli refuses", async () => {
    for (const dtype of ["U8", "I4", "FP4"]) {
      const { code, stderr } = await cli("quant", join(dir, "golden-f16.kv"), "-o", join(dir, `no-${dtype}.kv`), "--dtype", dtype);
      expect(code).toBe(1);
      expect(stderr).toMatch(/not supported/);
    }
    expect((await readdir(dir)).filter((f) => f.startsWith("no-"))).toEqual([]);
  });
});

describe("kvcdn convert", () => {
  it("dequantizes to F32 and keeps the sidecar's model, prompt and tokens", async () => {
    const { code } = await cli("convert", join(dir, "golden-q8.kv"), "-o", join(dir, "deq.kv"), "--dtype", "F32");
    expect(code).toBe(0);
    const { cache, metadata } = await readKv(join(dir, "deq.kv"));
    expect(cache.dtype).toBe("F32");
    expect(metadata).toMatchObject({ model_name: "kvcdn/golden", quantized: false, dtype: "F32", storage_dtype: "F32", tokens: [1, 2, 70000] });
    const q = (await readKv(join(dir, "golden-q8.kv"), { dtype: "F32" })).cache;
    expect(cache.layers[1]!.value.data).toEqual(q.layers[1]!.value.data);
  });

  it("converts F16 → BF16 → F16 losslessly for values both can hold", async () => {
    await cli("convert", join(dir, "golden-28layers.kv"), "-o", join(dir, "b.kv"), "--dtype", "bf16");
    await cli("convert", join(dir, "b.kv"), "-o", join(dir, "back.kv"), "--dtype", "F16");
    const a = (await readKv(join(dir, "golden-28layers.kv"))).cache;
    const b = (await readKv(join(dir, "back.kv"))).cache;
    expect(b.layers.map((l) => Array.from(l.key.data))).toEqual(a.layers.map((l) => Array.from(l.key.data)));
  });

  it("rejects other dtypes as a usage error (exit 2)", async () => {
    const { code } = await cli("convert", join(dir, "golden-f16.kv"), "-o", join(dir, "x.kv"), "--dtype", "I8");
    expect(code).toBe(2);
  });
});
