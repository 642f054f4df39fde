import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKvcdnClient } from "../../src/client/index.js";
import { uploadArtifact } from "../../src/transfer/upload-artifact.js";
import { writeKvFixture } from "./kv-fixture.js";

// Behaviours of the deployed service (docs/service-contract.md#deployed-service-variants) that the local store does not
// reproduce.
const KEY = `kv_${"3d".repeat(32)}`;
const API = "https://api.deployed.test";
const STORAGE = "https://bucket.storage.test";
const ID = "7e1c2b9e-0000-4000-8000-0000000000aa";

let dir: string;
let kv: { path: string; sha256: string; nbytes: number };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kvcdn-deployed-"));
  kv = await writeKvFixture(join(dir, "ctx.kv"), { layers: 2, tokens: 16 });
  nock.disableNetConnect();
});
afterAll(async () => {
  nock.enableNetConnect();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  nock.cleanAll();
});

const client = () =>
  createKvcdnClient({ apiUrl: API, apiKey: KEY, env: {}, configPath: false, retry: { limit: 1, delay: () => 1 }, logger: { warn: () => undefined } });

describe("against the deployed service's shapes", () => {
  it("sends the real model id as model_name and the label as name/metadata.name; PUTs without auth; confirms with checksum and digest", async () => {
    let uploadBody: Record<string, unknown> | undefined;
    let putHeaders: Record<string, unknown> | undefined;
    let confirmBody: Record<string, unknown> | undefined;
    nock(API)
      .post("/api/v1/artifacts/upload-url", (body: Record<string, unknown>) => {
        uploadBody = body;
        return true;
      })
      // The deployed shape: no upload_headers, expires_at 900 s ahead (the URL really lives 300 s).
      .reply(200, { artifact_id: ID, url: `${STORAGE}/${ID}?X-Amz-Expires=300&X-Amz-SignedHeaders=content-length%3Bhost`, method: "PUT", expires_at: new Date(Date.now() + 900_000).toISOString() })
      .post(`/api/v1/artifacts/${ID}/confirm-upload`, (body: Record<string, unknown>) => {
        confirmBody = body;
        return true;
      })
      .reply(200, { artifact_id: ID, sha256: kv.sha256 })
      // confirm answered only {artifact_id, sha256}: the client fetches the artifact (no GET route: list scan).
      .get(`/api/v1/artifacts/${ID}`)
      .reply(404, { message: `Route GET:/api/v1/artifacts/${ID} not found`, error: "Not Found", statusCode: 404 })
      .get("/api/v1/artifacts")
      .query(true)
      .reply(200, { artifacts: [{ id: ID, name: "Qwen system prompt", model_name: "Qwen/Qwen3-0.6B", dtype: "F16", num_tokens: 16, size_bytes: kv.nbytes, sha256: kv.sha256, visibility: "private", created_at: new Date().toISOString(), public_url: null }], total: 1, limit: 100, offset: 0 });
    nock(STORAGE)
      .put(`/${ID}`)
      .query(true)
      .reply(function () {
        putHeaders = this.req.headers as Record<string, unknown>;
        return [200, ""];
      });
    const artifact = await uploadArtifact({ client: client(), file: kv.path, name: "Qwen system prompt" });
    expect(artifact).toMatchObject({ id: ID, checksum: kv.sha256, name: "Qwen system prompt", model_name: "Qwen/Qwen3-0.6B", status: null });
    expect(uploadBody).toMatchObject({
      model_name: "Qwen/Qwen3-0.6B",
      name: "Qwen system prompt",
      dtype: "F16",
      num_tokens: 16,
      num_layers: 2,
      visibility: "private",
      size_bytes: kv.nbytes,
      checksum: kv.sha256,
      metadata: { name: "Qwen system prompt", sha256: kv.sha256, storage_dtype: "F16", num_layers: 2, quantized: false },
    });
    expect(confirmBody).toEqual({ size_bytes: kv.nbytes, checksum: kv.sha256, digest: kv.sha256 });
    expect(putHeaders?.authorization).toBeUndefined();
    expect(putHeaders?.["content-length"]).toBe(String(kv.nbytes));
    expect(putHeaders?.["content-type"]).toBe("application/octet-stream");
    expect(Object.keys(putHeaders ?? {}).filter((h) => h.startsWith("x-amz-"))).toEqual([]);
  });

  it("a quota 403 without figures is completed with the usage from the service, and never retried", async () => {
    let calls = 0;
    nock(API)
      .post("/api/v1/artifacts/upload-url")
      .reply(() => {
        calls++;
        return [403, { error: "quota_exceeded", message: "The free plan allows 20 artifacts" }];
      })
      .get("/api/v1/usage")
      .reply(200, { used_bytes: 123, quota_bytes: 1000, artifact_count: 20, artifact_limit: 20 });
    const error = await uploadArtifact({ client: client(), file: kv.path }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "QuotaExceededError", status: 403, usage: { artifact_count: 20, artifact_limit: 20, used_bytes: 123 } });
    expect(calls).toBe(1);
  });

  it("never sends the key to storage, whatever upload_headers say", async () => {
    let auth: unknown = "unset";
    nock(API)
      .post("/api/v1/artifacts/upload-url")
      .reply(200, { artifact_id: ID, url: `${STORAGE}/${ID}?X-Amz-SignedHeaders=host`, upload_headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/octet-stream" } })
      .post(`/api/v1/artifacts/${ID}/confirm-upload`)
      .reply(200, { id: ID, name: "x", model_name: "m", dtype: "F16", num_tokens: 16, size_bytes: kv.nbytes, checksum: kv.sha256, status: "ready", visibility: "private", created_at: "2026-01-01T00:00:00Z" });
    nock(STORAGE)
      .put(`/${ID}`)
      .query(true)
      .reply(function () {
        auth = this.req.headers.authorization;
        return [200, ""];
      });
    await uploadArtifact({ client: client(), file: kv.path });
    expect(auth).toBeUndefined();
  });
});
