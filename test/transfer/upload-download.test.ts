import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readVerification } from "../../src/kv/verification-record.js";
import { downloadArtifact } from "../../src/transfer/download-artifact.js";
import type { TransferProgress } from "../../src/transfer/progress.js";
import { uploadArtifact } from "../../src/transfer/upload-artifact.js";
import { writeKvFixture } from "./kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "./store-harness.js";

let h: Harness;
let kv: { path: string; sha256: string; nbytes: number };
beforeAll(async () => {
  h = await startHarness();
  kv = await writeKvFixture(join(h.dir, "ctx.kv"), { layers: 4, tokens: 256, headDim: 64, prompt: "You are a helpful assistant." });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  for (const a of await h.artifacts()) await h.client.delete(a.id);
  h.store.requests.clear();
});

describe("upload then download against the local store", () => {
  it("uploads a .kv with its sidecar's facts, confirms it ready, and downloads it back byte for byte", async () => {
    const events: TransferProgress[] = [];
    const artifact = await uploadArtifact({
      client: h.client,
      file: kv.path,
      name: "Qwen system prompt",
      description: "test cache",
      retry: FAST_RETRY,
      onProgress: (e) => events.push(e),
    });
    expect(artifact).toMatchObject({
      status: "ready",
      checksum: kv.sha256,
      size_bytes: kv.nbytes,
      name: "Qwen system prompt",
      model_name: "Qwen/Qwen3-0.6B",
      num_layers: 4,
      num_tokens: 256,
      dtype: "F16",
      visibility: "private",
    });
    expect(artifact.metadata).toMatchObject({ name: "Qwen system prompt", sha256: kv.sha256, sidecar: { model_name: "Qwen/Qwen3-0.6B", prompt: "You are a helpful assistant." } });
    expect(new Set(events.map((e) => e.phase))).toEqual(new Set(["hashing", "uploading", "confirming"]));
    expect(events.filter((e) => e.phase === "uploading").at(-1)).toMatchObject({ bytes: kv.nbytes, totalBytes: kv.nbytes, artifactId: artifact.id });
    // No credential ever reached storage.
    const puts = h.store.requests.ofKind("put");
    expect(puts).toHaveLength(1);
    expect(puts.every((r) => !r.hasAuthorization)).toBe(true);
    expect(puts[0]?.headers["content-type"]).toBe("application/octet-stream");
    expect(Object.keys(puts[0]?.headers ?? {}).filter((k) => k.startsWith("x-amz-"))).toEqual([]);
    expect(await h.artifacts()).toHaveLength(1);

    const dest = join(h.dir, "out");
    await import("node:fs/promises").then((fs) => fs.mkdir(dest, { recursive: true }));
    const result = await downloadArtifact({ client: h.client, source: artifact.id, dest: `${dest}/` });
    expect(result).toMatchObject({ id: artifact.id, path: join(dest, `${artifact.id}.kv`), sizeBytes: kv.nbytes, sha256: kv.sha256, verified: true });
    expect((await readFile(result.path)).equals(await readFile(kv.path))).toBe(true);
    const sidecar = JSON.parse(await readFile(`${result.path}.json`, "utf8")) as Record<string, unknown>;
    expect(sidecar).toMatchObject({ model_name: "Qwen/Qwen3-0.6B", num_layers: 4, num_tokens: 256, nbytes: kv.nbytes, sha256: kv.sha256, prompt: "You are a helpful assistant." });
    expect(h.store.requests.ofKind("get").every((r) => !r.hasAuthorization)).toBe(true);
    // The hash made on the way in is recorded beside the file, so the first readKv of it skips the SHA-256 pass.
    expect(await h.files("out")).toEqual([`${artifact.id}.kv`, `${artifact.id}.kv.json`, `${artifact.id}.kv.verified.json`]);
    expect(await readVerification(result.path)).toMatchObject({ sha256: kv.sha256, sizeBytes: kv.nbytes });
  });

  it("is available as client.upload(path) and client.download(source, dest)", async () => {
    const artifact = await h.client.upload(kv.path, { retry: FAST_RETRY, visibility: "public" });
    expect(artifact).toMatchObject({ status: "ready", checksum: kv.sha256, name: "ctx", visibility: "public" });
    const result = await h.client.download(artifact.id, join(h.dir, "copy.kv"));
    expect(result).toMatchObject({ path: join(h.dir, "copy.kv"), sha256: kv.sha256, verified: true });
  });

  it("without a sidecar: facts from the header, --model as model_name, and a sidecar rebuilt from the artifact on download", async () => {
    const bare = await writeKvFixture(join(h.dir, "bare.kv"), { layers: 3, tokens: 40, sidecar: false });
    const artifact = await uploadArtifact({ client: h.client, file: bare.path, model: "Qwen/Qwen3-0.6B", retry: FAST_RETRY });
    expect(artifact).toMatchObject({ model_name: "Qwen/Qwen3-0.6B", name: "bare", num_layers: 3, num_tokens: 40, dtype: "F16", checksum: bare.sha256 });
    expect(artifact.metadata.sidecar).toBeUndefined();
    const result = await downloadArtifact({ client: h.client, source: artifact.id, dest: join(h.dir, "bare-copy.kv") });
    expect(JSON.parse(await readFile(`${result.path}.json`, "utf8"))).toEqual({
      model_name: "Qwen/Qwen3-0.6B",
      num_layers: 3,
      num_tokens: 40,
      dtype: "F16",
      storage_dtype: null, // the header-only fallback's value, as kvcdn-cli reports it
      nbytes: bare.nbytes,
      quantized: false,
      sha256: bare.sha256,
    });
  });
});
