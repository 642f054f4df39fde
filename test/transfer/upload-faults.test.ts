import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Artifact } from "../../src/client/index.js";
import { RateLimitError } from "../../src/errors/index.js";
import type { TransferProgress } from "../../src/transfer/progress.js";
import { uploadArtifact } from "../../src/transfer/upload-artifact.js";
import type { UploadOptions } from "../../src/transfer/upload-options.js";
import { writeKvFixture } from "./kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "./store-harness.js";

// The upload fault matrix over real HTTP: the local store injects each fault; after each case the store must hold
// exactly one ready artifact with the right checksum (recovery) or none at all (typed failure).
let h: Harness;
let kv: { path: string; sha256: string; nbytes: number };
beforeAll(async () => {
  h = await startHarness();
  kv = await writeKvFixture(join(h.dir, "ctx.kv"), { layers: 8, tokens: 1024, headDim: 64 }); // 4 MiB
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.store.faults.clear();
  for (const a of await h.artifacts()) await h.client.delete(a.id);
  h.store.requests.clear();
});

const upload = (options: Partial<UploadOptions> = {}) => uploadArtifact({ client: h.client, file: kv.path, retry: FAST_RETRY, ...options });

/** The one artifact left in the store is ready, has the file's checksum, and is the one returned. */
async function expectOneReady(artifact: Artifact): Promise<void> {
  expect(artifact).toMatchObject({ status: "ready", checksum: kv.sha256, size_bytes: kv.nbytes });
  const left = await h.artifacts();
  expect(left.map((a) => [a.id, a.status, a.checksum])).toEqual([[artifact.id, "ready", kv.sha256]]);
}

async function expectNoArtifacts(): Promise<void> {
  expect(await h.artifacts()).toEqual([]);
}

function expectNoCredentialsToStorage(): void {
  const storage = [...h.store.requests.ofKind("put"), ...h.store.requests.ofKind("get"), ...h.store.requests.ofKind("cdn")];
  expect(storage.length).toBeGreaterThan(0);
  expect(storage.filter((r) => r.hasAuthorization)).toEqual([]);
}

describe("upload recovery (local store fault injection)", () => {
  it("expired URL on the first PUT: a fresh URL, a restart from byte 0, the first artifact deleted", async () => {
    h.store.faults.inject({ on: "put", action: "expire" });
    const artifact = await upload();
    await expectOneReady(artifact);
    expect(h.store.requests.count("createUploadUrl")).toBe(2);
    expect(h.store.requests.count("put")).toBe(2);
    expect(h.store.requests.count("deleteArtifact")).toBe(1);
    expectNoCredentialsToStorage();
  });

  it("an upload URL already past its expires_at is replaced before any byte is sent", async () => {
    h.store.faults.inject({ on: "createUploadUrl", action: "expire" });
    const artifact = await upload();
    await expectOneReady(artifact);
    expect(h.store.requests.count("createUploadUrl")).toBe(2);
    expect(h.store.requests.ofKind("put").map((r) => r.status)).toEqual([200]);
  });

  it("an expired URL whose expires_at claims otherwise is rejected by storage (real SigV4 check) and replaced", async () => {
    // A negative safety margin makes the client try the stale URL anyway, so storage has to refuse it.
    h.store.faults.inject({ on: "createUploadUrl", action: "expire" });
    const artifact = await upload({ urlSafetyMarginMs: -1e12 });
    await expectOneReady(artifact);
    expect(h.store.requests.ofKind("put").map((r) => r.status)).toEqual([403, 200]);
  });

  it("connection reset at 50% of the PUT: a fresh URL and a full restart", async () => {
    h.store.faults.inject({ on: "put", action: "reset", afterBytes: Math.floor(kv.nbytes / 2) });
    const events: TransferProgress[] = [];
    const artifact = await upload({ onProgress: (e) => events.push(e) });
    await expectOneReady(artifact);
    expect(h.store.requests.count("put")).toBe(2);
    // The second PUT restarted from 0.
    const uploading = events.filter((e) => e.phase === "uploading");
    expect(uploading.filter((e) => e.bytes === 0)).toHaveLength(2);
  });

  it("500 then 503 from storage: backoff on the same URL, then success", async () => {
    h.store.faults.inject({ on: "put", action: "status", status: 500 });
    h.store.faults.inject({ on: "put", action: "status", status: 503 });
    const artifact = await upload();
    await expectOneReady(artifact);
    expect(h.store.requests.ofKind("put").map((r) => r.status)).toEqual([500, 503, 200]);
    expect(h.store.requests.count("createUploadUrl")).toBe(1);
  });

  it("429 with Retry-After from storage and from upload-url: waits and succeeds without duplicates", async () => {
    h.store.faults.inject({ on: "createUploadUrl", action: "status", status: 429, retryAfter: 1 });
    h.store.faults.inject({ on: "put", action: "status", status: 429, retryAfter: 1 });
    const artifact = await upload();
    await expectOneReady(artifact);
    expect(h.store.requests.ofKind("createUploadUrl").map((r) => r.status)).toEqual([429, 200]);
    expect(h.store.requests.ofKind("put").map((r) => r.status)).toEqual([429, 200]);
  });

  it("a persistent 429 on upload-url makes exactly limit + 1 calls (the client's retry, one loop), then RateLimitError", async () => {
    h.store.faults.inject({ on: "createUploadUrl", action: "status", status: 429, retryAfter: 0, times: 100 });
    // No retry option: client.upload follows the client's policy (limit 3 in the harness).
    const error = await h.client.upload(kv.path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(h.client.retry.limit).toBe(3);
    expect(h.store.requests.count("createUploadUrl")).toBe(4);
    await expectNoArtifacts();
  });

  it("an upload's own retry limit overrides the client's: limit + 1 upload-url calls", async () => {
    h.store.faults.inject({ on: "createUploadUrl", action: "status", status: 429, retryAfter: 0, times: 100 });
    const error = await upload({ retry: { ...FAST_RETRY, limit: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(h.store.requests.count("createUploadUrl")).toBe(2);
    await expectNoArtifacts();
  });

  it("upload-url processed but its answer lost (connection cut): retried, and the unseen artifact is reconciled away", async () => {
    h.store.faults.inject({ on: "createUploadUrl", action: "reset" });
    const artifact = await upload();
    await expectOneReady(artifact);
    expect(h.store.requests.count("createUploadUrl")).toBe(2);
  });

  it("upload-url 500 (not processed): retried once, one artifact", async () => {
    h.store.faults.inject({ on: "createUploadUrl", action: "status", status: 500 });
    const artifact = await upload();
    await expectOneReady(artifact);
  });

  it("corrupted stored bytes: confirm finds the mismatch, the upload is redone, the bad artifact deleted", async () => {
    h.store.faults.inject({ on: "put", action: "corrupt-stored" });
    const artifact = await upload();
    await expectOneReady(artifact);
    expect(h.store.requests.ofKind("confirmUpload").map((r) => r.status)).toEqual([400, 200]);
    expect(h.store.requests.count("createUploadUrl")).toBe(2);
  });

  it("corrupted stored bytes with re-uploads exhausted: a typed error and no artifact left", async () => {
    h.store.faults.inject({ on: "put", action: "corrupt-stored", times: 3 });
    const error = await upload({ maxReuploads: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ValidationError", status: 400 });
    await expectNoArtifacts();
  });

  it("storage keeps refusing: PresignedUrlError after maxUrlRefreshes, and every pending artifact deleted", async () => {
    h.store.faults.inject({ on: "put", action: "expire", times: 10 });
    const error = await upload({ maxUrlRefreshes: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "PresignedUrlError", status: 403, code: "AccessDenied", isExpired: true });
    expect(h.store.requests.count("put")).toBe(3);
    await expectNoArtifacts();
  });

  it("storage stays busy: the last error after the retries, and no artifact left", async () => {
    h.store.faults.inject({ on: "put", action: "status", status: 503, times: 20 });
    const error = await upload({ retry: { ...FAST_RETRY, limit: 2 }, maxUrlRefreshes: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "PresignedUrlError", status: 503 });
    await expectNoArtifacts();
  });

  it("aborted mid-upload: AbortError with the signal's reason, and the pending artifact deleted", async () => {
    const controller = new AbortController();
    const reason = new Error("user pressed Ctrl-C");
    h.store.faults.inject({ on: "put", action: "delay", ms: 300 });
    const error = await upload({
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === "uploading" && e.bytes > 0) controller.abort(reason);
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AbortError", cause: reason });
    await expectNoArtifacts();
  });

  it("aborted while upload-url is in flight: waits for its answer and deletes the artifact it created", async () => {
    h.store.faults.inject({ on: "createUploadUrl", action: "delay", ms: 300 });
    const controller = new AbortController();
    const reason = new Error("cancelled early");
    const pending = upload({ signal: controller.signal }).catch((e: unknown) => e);
    // Abort once the store holds the upload-url request (it is logged on arrival), not after a guessed delay.
    await vi.waitFor(() => expect(h.store.requests.count("createUploadUrl")).toBe(1), { interval: 5 });
    controller.abort(reason);
    const error = await pending;
    expect(error).toMatchObject({ name: "AbortError", cause: reason });
    expect(h.store.requests.count("createUploadUrl")).toBe(1);
    expect(h.store.requests.count("put")).toBe(0);
    await expectNoArtifacts();
  });

  it("a file that is not a .kv is refused before anything is created", async () => {
    const { writeFile } = await import("node:fs/promises");
    const bad = join(h.dir, "not-a-cache.kv");
    await writeFile(bad, "hello, world: certainly not safetensors");
    await expect(uploadArtifact({ client: h.client, file: bad })).rejects.toMatchObject({ name: "KvFormatError" });
    expect(h.store.requests.count("createUploadUrl")).toBe(0);
  });

  it("a missing file is a LocalFileError", async () => {
    await expect(uploadArtifact({ client: h.client, file: join(h.dir, "missing.kv") })).rejects.toMatchObject({ name: "LocalFileError", code: "ENOENT" });
  });
});

describe("upload quota", () => {
  it("quota 403 from upload-url: QuotaExceededError with the usage, no retry, nothing created", async () => {
    const small = await startHarness({ artifactLimit: 1 });
    try {
      const file = join(small.dir, "a.kv");
      await writeKvFixture(file, { layers: 2, tokens: 16 });
      const first = await uploadArtifact({ client: small.client, file, retry: FAST_RETRY });
      small.store.requests.clear();
      const error = await uploadArtifact({ client: small.client, file, retry: FAST_RETRY }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "QuotaExceededError", status: 403 });
      const usage = (error as { usage?: { artifact_count: number | null; artifact_limit: number | null } }).usage;
      expect(usage).toMatchObject({ artifact_count: 1, artifact_limit: 1 });
      expect(small.store.requests.count("createUploadUrl")).toBe(1);
      expect((await small.artifacts()).map((a) => a.id)).toEqual([first.id]);
    } finally {
      await small.close();
    }
  });
});
