import { createHash } from "node:crypto";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readKv } from "../../src/kv/read-kv.js";
import { mergeKvShards } from "../../src/transfer/merge-kv-shards.js";
import { planKvShards } from "../../src/transfer/plan-kv-shards.js";
import { readBody } from "../../src/transfer/upload-body.js";
import { writeKvFixture } from "./kv-fixture.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-shards-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Materialize each planned shard as a file, as a download would. */
async function materialize(plan: Awaited<ReturnType<typeof planKvShards>>, prefix: string) {
  const files: Array<{ file: string; layerStart: number }> = [];
  for (const shard of plan.shards) {
    const chunks: Buffer[] = [];
    for await (const c of readBody(shard.body, { chunkBytes: 1 << 16, reuse: false })) chunks.push(Buffer.from(c));
    const file = join(dir, `${prefix}-${shard.index}.kv`);
    await writeFile(file, Buffer.concat(chunks));
    files.push({ file, layerStart: shard.layerStart });
  }
  return files;
}

describe.each([
  { quantized: false, label: "F16" },
  { quantized: true, label: "quantized U8" },
])("sharding a $label .kv by layer range", ({ quantized, label }) => {
  it("gives valid .kv shards under the limit that rebuild byte-identically", async () => {
    const source = await writeKvFixture(join(dir, `src-${label}.kv`), { layers: 12, tokens: 64, quantized });
    const original = await readFile(source.path);
    const maxPutBytes = Math.ceil(original.length / 3) + 600;
    const plan = await planKvShards({ file: source.path, maxPutBytes });
    expect(plan.numLayers).toBe(12);
    expect(plan.shards.length).toBeGreaterThanOrEqual(3);
    expect(plan.shards[0]?.layerStart).toBe(0);
    expect(plan.shards.at(-1)?.layerEnd).toBe(12);
    for (let i = 1; i < plan.shards.length; i++) expect(plan.shards[i]?.layerStart).toBe(plan.shards[i - 1]?.layerEnd);

    const files = await materialize(plan, label);
    const whole = await readKv(source.path);
    for (const [i, shard] of plan.shards.entries()) {
      expect(shard.body.sizeBytes).toBeLessThanOrEqual(maxPutBytes);
      const part = await readKv((files[i] as { file: string }).file);
      expect(part.cache.layers).toHaveLength(shard.layerEnd - shard.layerStart);
      // Layer j of the shard is layer layerStart + j of the source.
      const j = shard.layerEnd - shard.layerStart - 1;
      expect(Buffer.from(part.cache.layers[j]!.key.data.buffer, part.cache.layers[j]!.key.data.byteOffset, part.cache.layers[j]!.key.data.byteLength)).toEqual(
        Buffer.from(whole.cache.layers[shard.layerStart + j]!.key.data.buffer, whole.cache.layers[shard.layerStart + j]!.key.data.byteOffset, whole.cache.layers[shard.layerStart + j]!.key.data.byteLength),
      );
    }

    const outPath = join(dir, `merged-${label}.kv`);
    const out = await open(outPath, "w");
    const merged = await mergeKvShards({ shards: files, out, outPath });
    await out.close();
    expect(merged).toEqual({ sha256: source.sha256, sizeBytes: original.length });
    expect(createHash("sha256").update(await readFile(outPath)).digest("hex")).toBe(source.sha256);
  });
});

describe("planKvShards refusals", () => {
  it("refuses a file whose single layer exceeds the limit", async () => {
    const source = await writeKvFixture(join(dir, "one.kv"), { layers: 2, tokens: 64 });
    await expect(planKvShards({ file: source.path, maxPutBytes: 1000 })).rejects.toMatchObject({ name: "FileTooLargeError", maxPutBytes: 1000 });
  });

  it("refuses a file that is not a layer-per-tensor .kv", async () => {
    const { writeSafetensors } = await import("../../src/kv/safetensors/write-safetensors.js");
    const file = join(dir, "model.safetensors");
    await writeSafetensors(file, { "lm_head.weight": { dtype: "F32", shape: [4], data: new Uint8Array(16) } });
    await expect(planKvShards({ file, maxPutBytes: 10 })).rejects.toMatchObject({ name: "FileTooLargeError" });
  });
});
