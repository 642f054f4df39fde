import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";
import { createKvcdnClient } from "../../src/client/index.js";
import { isShardGroupError } from "../../src/errors/index.js";
import { readKv } from "../../src/kv/read-kv.js";
import { readSafetensorsHeader } from "../../src/kv/safetensors/read-safetensors-header.js";
import { downloadArtifact } from "../../src/transfer/download-artifact.js";
import { isShardGroup, uploadArtifact } from "../../src/transfer/upload-artifact.js";
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
    if (!isShardGroup(uploaded)) throw new Error("expected a shard group");
    const shards = uploaded.shards;
    expect(shards.length).toBeGreaterThanOrEqual(3);
    // The result describes the whole cache, not its first shard.
    expect(uploaded).toMatchObject({ kind: "shard_group", id: shards[0]?.id, name: "big context", size_bytes: kv.nbytes, checksum: kv.sha256, num_layers: 12 });
    const groupId = (shards[0]?.metadata.shard as { group_id: string }).group_id;
    expect(uploaded.group_id).toBe(groupId);
    for (const [i, shard] of shards.entries()) {
      expect(shard.status).toBe("ready");
      expect(shard.size_bytes).toBeLessThanOrEqual(maxPutBytes);
      expect(shard.model_name).toBe("Qwen/Qwen3-0.6B");
      expect(shard.name).toBe(`big context [shard ${i + 1}/${shards.length} of ${groupId.replace(/-/g, "").slice(0, 8)}]`);
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

// The deployed backend keeps only its own fields and drops metadata and description (docs/service-contract.md#upload-url):
// the shards must still be found, rebuilt and verified from what they carry themselves.
describe("sharded caches on a service that drops metadata", () => {
  let d: Harness;
  beforeAll(async () => {
    d = await startHarness({ dropMetadata: true });
  });
  afterAll(async () => {
    await d.close();
  });
  beforeEach(async () => {
    for (const a of await d.artifacts()) await d.client.delete(a.id);
  });

  it("upload returns the group, found again through the listing; any shard's id rebuilds the whole cache", async () => {
    const uploaded = await uploadArtifact({ client: d.client, file: kv.path, name: "big context", maxPutBytes, retry: FAST_RETRY });
    if (!isShardGroup(uploaded)) throw new Error("expected a shard group");
    expect(uploaded).toMatchObject({ size_bytes: kv.nbytes, checksum: kv.sha256, name: "big context" });
    const listed = await d.artifacts();
    expect(listed.map((a) => a.id).sort()).toEqual(uploaded.shards.map((a) => a.id).sort());
    for (const a of listed) expect(a.metadata).toEqual({});

    // Each shard .kv describes itself in its own header.
    const one = await downloadArtifact({ client: d.client, source: uploaded.shards[1]?.id as string, dest: join(d.dir, "alone.kv"), reassemble: false });
    const { metadata } = await readSafetensorsHeader(one.path);
    expect(metadata).toMatchObject({
      "kvcdn.shard.group_id": uploaded.group_id,
      "kvcdn.shard.index": "1",
      "kvcdn.shard.count": String(uploaded.shards.length),
      "kvcdn.shard.group_sha256": kv.sha256,
    });

    for (const shard of uploaded.shards) {
      const dest = join(d.dir, `whole-${shard.id}.kv`);
      const result = await downloadArtifact({ client: d.client, source: shard.id, dest });
      expect(result).toMatchObject({ sha256: kv.sha256, sizeBytes: kv.nbytes, verified: true });
      expect((await readFile(dest)).equals(await readFile(kv.path))).toBe(true);
      // The original sidecar (prompt included) comes back from the first shard's header.
      const original = JSON.parse(await readFile(`${kv.path}.json`, "utf8")) as Record<string, unknown>;
      expect(JSON.parse(await readFile(`${dest}.json`, "utf8"))).toEqual({ ...original, sha256: kv.sha256 });
    }
  });

  it("a download of a shard whose siblings are gone fails naming them, and writes nothing", async () => {
    const uploaded = await uploadArtifact({ client: d.client, file: kv.path, name: "big context", maxPutBytes, retry: FAST_RETRY });
    if (!isShardGroup(uploaded)) throw new Error("expected a shard group");
    const count = uploaded.shards.length;
    await d.client.delete(uploaded.shards[count - 1]?.id as string);
    const out = join(d.dir, "partial");
    await mkdir(out, { recursive: true });
    const error = await downloadArtifact({ client: d.client, source: uploaded.shards[0]?.id as string, dest: join(out, "x.kv") }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ShardGroupError", code: "shard_group_incomplete", count, missing: [count] });
    expect(isShardGroupError(error)).toBe(true);
    expect(await readdir(out)).toEqual([]);

    // The CLI exits 1 with the reason, never 0 with "verified".
    let stderr = "";
    const code = await runCli(["node", "kvcdn", "--api-url", d.store.url, "download", uploaded.shards[1]?.id as string, "-o", join(out, "cli.kv")], {
      stdout: { write: () => undefined },
      stderr: { write: (s: string) => (stderr += s) },
      env: { KVCDN_API_KEY: d.store.apiKey },
      configPath: false,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`shard ${count} of ${count} is missing`));
    expect(await readdir(out)).toEqual([]);
  });
});

describe("a sharded upload the service cannot list back whole", () => {
  let d: Harness;
  beforeAll(async () => {
    d = await startHarness({ dropMetadata: true });
  });
  afterAll(async () => {
    await d.close();
  });

  it("fails with shard_group_unfindable and leaves no shard behind", async () => {
    // A service that also rewrites names: the listing then says nothing that ties the shards together.
    const renaming: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      if (url.pathname !== "/api/v1/artifacts" || (init?.method ?? "GET") !== "GET") return response;
      const body = (await response.json()) as { artifacts: Array<{ name: string }> };
      for (const a of body.artifacts) a.name = "renamed";
      return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
    };
    const client = createKvcdnClient({ apiUrl: d.store.url, apiKey: d.store.apiKey, configPath: false, env: {}, fetch: renaming, logger: { warn: () => undefined } });
    const error = await uploadArtifact({ client, file: kv.path, maxPutBytes, retry: FAST_RETRY }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ShardGroupError", code: "shard_group_unfindable" });
    expect(await d.artifacts()).toEqual([]);
  });
});
