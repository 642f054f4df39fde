import { utimesSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { join } from "node:path";
import nock from "nock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createKvcdnClient } from "../../src/client/index.js";
import { KvcdnError, LocalFileError, TimeoutError } from "../../src/errors/index.js";
import { downloadArtifact } from "../../src/transfer/download-artifact.js";
import { uploadArtifact } from "../../src/transfer/upload-artifact.js";
import { writeKvFixture } from "./kv-fixture.js";
import { FAST_RETRY, startHarness, type Harness } from "./store-harness.js";

// The typed failures of the transfer engine that nothing else reaches (shard groups: sharding.test.ts and
// unverifiable-download.test.ts): each must leave no artifact and no file behind.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  h.store.faults.clear();
  for (const a of await h.artifacts()) await h.client.delete(a.id);
});

/** No `.part`, `.shard` or staged sidecar left in `dir` besides `keep`. */
async function expectOnly(dir: string, keep: string[]): Promise<void> {
  expect((await readdir(dir)).sort()).toEqual([...keep].sort());
}

describe("upload", () => {
  it("a file modified while it uploads is refused with LocalFileError file_changed, and its artifact deleted", async () => {
    const kv = await writeKvFixture(join(h.dir, "changing.kv"), { layers: 4, tokens: 256, headDim: 64 });
    let touched = false;
    const error = await uploadArtifact({
      client: h.client,
      file: kv.path,
      retry: FAST_RETRY,
      // The hook fires once the PUT streams: a writer touching the file then makes the hashed bytes stale.
      onProgress: (e) => {
        if (e.phase === "uploading" && e.bytes > 0 && !touched) {
          touched = true;
          const later = new Date(Date.now() + 60_000);
          utimesSync(kv.path, later, later); // synchronous: done before the PUT can finish

        }
      },
    }).catch((e: unknown) => e);
    expect(touched).toBe(true);
    expect(error).toBeInstanceOf(LocalFileError);
    expect(error).toMatchObject({ code: "file_changed", path: kv.path });
    expect(await h.artifacts()).toEqual([]);
  });
});

describe("client settings reach transfers", () => {
  it("client.download uses the client's timeout for its API calls, and a per-call timeout overrides it", async () => {
    const kv = await writeKvFixture(join(h.dir, "timed.kv"), { layers: 2, tokens: 16, headDim: 32 });
    const artifact = await h.client.upload(kv.path, { retry: FAST_RETRY });
    const impatient = createKvcdnClient({
      apiUrl: h.store.url,
      apiKey: h.store.apiKey,
      cdnUrl: h.store.cdnUrl,
      env: {},
      configPath: false,
      retry: 0,
      timeout: 100,
      logger: { warn: () => undefined },
    });
    const out = await mkdtemp(join(h.dir, "out-timeout-"));
    h.store.faults.inject({ on: "createDownloadUrl", action: "delay", ms: 1000 });
    const error = await impatient.download(artifact.id, join(out, "ctx.kv")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 100 });
    await expectOnly(out, []);
    h.store.faults.inject({ on: "createDownloadUrl", action: "delay", ms: 300 });
    const result = await impatient.download(artifact.id, join(out, "ctx.kv"), { timeout: 10_000 });
    expect(result.sha256).toBe(kv.sha256);
  });
});

describe("answers the local store never gives (nock)", () => {
  const API = "https://api.kvcdn.test";
  const client = () =>
    createKvcdnClient({ apiUrl: API, apiKey: `kv_${"ab".repeat(32)}`, env: {}, configPath: false, retry: 0, logger: { warn: () => undefined } });
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1"); // the harness's local store
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("an upload-url answer asking for POST is refused with unsupported_upload_method, nothing is sent to storage, and the pending artifact is deleted", async () => {
    const kv = await writeKvFixture(join(h.dir, "post.kv"), { layers: 2, tokens: 16, headDim: 32 });
    const id = "3f1c2b9e-0000-4000-8000-0000000000aa";
    const api = nock(API)
      .post("/api/v1/artifacts/upload-url")
      .reply(200, { artifact_id: id, url: "https://storage.kvcdn.test/bucket/key", method: "POST", upload_headers: {} })
      .delete(`/api/v1/artifacts/${id}`)
      .reply(204);
    const error = await uploadArtifact({ client: client(), file: kv.path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KvcdnError);
    expect(error).toMatchObject({ code: "unsupported_upload_method" });
    expect(api.isDone()).toBe(true);
  });

});
