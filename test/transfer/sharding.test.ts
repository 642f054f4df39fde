import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readKv } from "../../src/kv/read-kv.js";
import { downloadArtifact } from "../../src/transfer/download-artifact.js";
import { uploadArtifact } from "../../src/transfer/upload-artifact.js";
import { writeKvFixture } from "./kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "./store-harness.js";

// Large-file handling with a tiny single-PUT limit: a .kv over the limit goes up as valid layer-range shards and
// comes back as the original file.
let h: Harness;
let kv: { path: string; sha256: string; nbytes: number };
let maxPutBytes: number;
beforeAll(async () => {
  h = await startHarness();
  kv = await writeKvFixture(join(h.dir, "big.kv"), { layers: 12, tokens: 128, headDim: 32, prompt: "a long shared context" });
  maxPutBytes = Math.ceil(kv.nbytes / 3) + 1024;
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.store.faults.clear();
  for (const a of await h.artifacts()) await h.client.delete(a.id);
});

describe("files over maxPutBytes", () => {
  it("are uploaded as a group of valid .kv shards and rebuilt byte for byte on download", async () => {
    const uploaded = await uploadArtifact({ client: h.client, file: kv.path, name: "big context", maxPutBytes, retry: FAST_RETRY });
    const shards = uploaded.shards ?? [];
    expect(shards.length).toBeGreaterThanOrEqual(3);
    expect(uploaded.id).toBe(shards[0]?.id);
    const groupId = (shards[0]?.metadata.shard as { group_id: string }).group_id;
    for (const [i, shard] of shards.entries()) {
      expect(shard.status).toBe("ready");
      expect(shard.size_bytes).toBeLessThanOrEqual(maxPutBytes);
      expect(shard.model_name).toBe("Qwen/Qwen3-0.6B");
      expect(shard.name).toBe(`big context (shard ${i + 1}/${shards.length})`);
      expect(shard.metadata.shard).toMatchObject({ group_id: groupId, index: i, count: shards.length, group_sha256: kv.sha256, group_size_bytes: kv.nbytes, group_num_layers: 12 });
      expect((shard.metadata.sidecar as { shard: unknown }).shard).toEqual(shard.metadata.shard);
    }
    expect((await h.artifacts()).length).toBe(shards.length);

    // Any shard's id brings back the whole cache, with the original sidecar.
    const dest = join(h.dir, "rebuilt.kv");
    const result = await downloadArtifact({ client: h.client, source: shards[1]?.id as string, dest });
    expect(result).toMatchObject({ sha256: kv.sha256, sizeBytes: kv.nbytes, verified: true });
    expect((await readFile(dest)).equals(await readFile(kv.path))).toBe(true);
    const sidecar = JSON.parse(await readFile(`${dest}.json`, "utf8")) as Record<string, unknown>;
    const original = JSON.parse(await readFile(`${kv.path}.json`, "utf8")) as Record<string, unknown>;
    expect(sidecar).toEqual({ ...original, sha256: kv.sha256 });

    // One shard alone is a valid .kv too.
    const single = await downloadArtifact({ client: h.client, source: shards[2]?.id as string, dest: join(h.dir, "one-shard.kv"), reassemble: false });
    const part = await readKv(single.path);
    const info = shards[2]?.metadata.shard as { layer_start: number; layer_end: number };
    expect(part.cache.layers).toHaveLength(info.layer_end - info.layer_start);
    expect(part.metadata).toMatchObject({ num_layers: info.layer_end - info.layer_start, num_tokens: 128 });
  });

  it("are refused with FileTooLargeError when sharding is off, before anything is created", async () => {
    const error = await uploadArtifact({ client: h.client, file: kv.path, maxPutBytes, sharding: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "FileTooLargeError", sizeBytes: kv.nbytes, maxPutBytes });
    expect(await h.artifacts()).toEqual([]);
  });

  it("leave no shard behind when one shard cannot be uploaded", async () => {
    let confirmed = 0;
    const error = await uploadArtifact({
      client: h.client,
      file: kv.path,
      maxPutBytes,
      maxUrlRefreshes: 1,
      retry: FAST_RETRY,
      onProgress: (e) => {
        if (e.phase === "confirming" && e.bytes === e.totalBytes && ++confirmed === 1) {
          h.store.faults.inject({ on: "put", action: "expire", times: 5 });
        }
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "PresignedUrlError" });
    expect(confirmed).toBe(1);
    expect(await h.artifacts()).toEqual([]);
  });
});
