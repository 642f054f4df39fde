import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { call, confirm, createUpload, fetchChecked, putBytes, randomBlob, sha256, uploadReady } from "./support/store-client.js";

let store: LocalStore;
let key: string;
beforeAll(async () => {
  store = await startLocalStore({ artifactLimit: 100 });
  key = store.apiKey;
});
afterAll(() => store.close());

describe("artifact lifecycle", () => {
  it("creates a pending artifact at upload-url, stores the PUT, and makes it ready at confirm", async () => {
    const data = randomBlob(10_000);
    const up = await createUpload(store, key, data, { visibility: "private", description: "system prompt" });
    expect(up.artifact_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(up.upload_headers).toEqual({ "Content-Type": "application/octet-stream" });
    expect(new URL(up.url).searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;host");
    expect(Date.parse(up.expires_at) - Date.now()).toBeGreaterThan(14 * 60 * 1000);

    const pending = await call(store, "GET", `/api/v1/artifacts/${up.artifact_id}`, { key });
    expect(pending.body).toMatchObject({ id: up.artifact_id, status: "pending", checksum: sha256(data), size_bytes: data.length, public_url: null });
    expect((await call(store, "GET", "/api/v1/usage", { key })).body).toMatchObject({ used_bytes: 0, artifact_count: 1 });

    const put = await putBytes(up.url, data);
    expect(put.status).toBe(200);
    expect((await call(store, "GET", `/api/v1/artifacts/${up.artifact_id}`, { key })).body.status).toBe("pending");

    const done = await confirm(store, key, up.artifact_id, data);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: up.artifact_id, status: "ready", description: "system prompt" });
    expect((await call(store, "GET", "/api/v1/usage", { key })).body).toMatchObject({ used_bytes: data.length, artifact_count: 1 });

    const again = await confirm(store, key, up.artifact_id, data);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("ready");

    const dl = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/download-url`, { key });
    expect(dl.body).toMatchObject({ artifact_id: up.artifact_id, size_bytes: data.length, checksum: sha256(data) });
    const got = await fetch(dl.body.download_url);
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);

    expect((await call(store, "DELETE", `/api/v1/artifacts/${up.artifact_id}`, { key })).status).toBe(204);
    expect((await call(store, "GET", "/api/v1/usage", { key })).body).toMatchObject({ used_bytes: 0, artifact_count: 0 });
    expect((await call(store, "GET", `/api/v1/artifacts/${up.artifact_id}`, { key })).status).toBe(404);
    expect((await call(store, "DELETE", `/api/v1/artifacts/${up.artifact_id}`, { key })).status).toBe(404);
    expect((await fetchChecked(dl.body.download_url)).status).toBe(404);
  });

  it("refuses a download URL while the artifact is pending (409 not_ready)", async () => {
    const up = await createUpload(store, key, randomBlob(10));
    const reply = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/download-url`, { key });
    expect(reply.status).toBe(409);
    expect(reply.body.error).toBe("not_ready");
  });

  it("answers confirm without a stored object with artifact_data_not_found and stays pending", async () => {
    const data = randomBlob(100);
    const up = await createUpload(store, key, data);
    const reply = await confirm(store, key, up.artifact_id, data);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe("artifact_data_not_found");
    expect((await call(store, "GET", `/api/v1/artifacts/${up.artifact_id}`, { key })).body.status).toBe("pending");
  });

  it("leaves the artifact pending with sha256_mismatch when the stored bytes differ from the recorded checksum", async () => {
    const declared = randomBlob(256);
    const actual = randomBlob(256);
    const up = await createUpload(store, key, declared);
    expect((await putBytes(up.url, actual)).status).toBe(200);
    const reply = await confirm(store, key, up.artifact_id, declared);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: "sha256_mismatch", expected: sha256(declared), actual: sha256(actual) });
    expect((await call(store, "GET", `/api/v1/artifacts/${up.artifact_id}`, { key })).body.status).toBe("pending");
    expect((await call(store, "GET", "/api/v1/usage", { key })).body.used_bytes).toBe(0);
  });

  it("rejects a confirm body whose size or checksum contradicts upload-url's record", async () => {
    const data = randomBlob(64);
    const up = await createUpload(store, key, data);
    await putBytes(up.url, data);
    const size = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/confirm-upload`, { key, json: { size_bytes: 65 } });
    expect(size.status).toBe(400);
    expect(size.body).toMatchObject({ error: "size_mismatch", expected: 64, actual: 65 });
    const sum = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/confirm-upload`, { key, json: { digest: "0".repeat(64) } });
    expect(sum.body.error).toBe("sha256_mismatch");
    // kvcdn-cli's body shape ({digest, size_bytes}) and an empty body both confirm.
    const cli = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/confirm-upload`, { key, json: { digest: sha256(data), size_bytes: 64 } });
    expect(cli.body.status).toBe("ready");
  });

  it("accepts confirm-upload with no body at all, like the deployed backend", async () => {
    const data = randomBlob(32);
    const up = await createUpload(store, key, data);
    await putBytes(up.url, data);
    const reply = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/confirm-upload`, { key });
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe("ready");
  });

  it("stores zero-byte artifacts", async () => {
    const ready = await uploadReady(store, key, Buffer.alloc(0));
    expect(ready).toMatchObject({ status: "ready", size_bytes: 0, checksum: sha256(Buffer.alloc(0)) });
  });

  it("records model id, display name and the sidecar fields kvcdn puts in metadata", async () => {
    const data = randomBlob(8);
    const up = await createUpload(store, key, data, {
      name: undefined,
      metadata: { name: "Qwen system prompt", sha256: sha256(data), storage_dtype: "U8", num_layers: 28, quantized: true, sidecar: { model_name: "Qwen/Qwen3-0.6B" } },
    });
    expect(up.artifact).toMatchObject({
      name: "Qwen system prompt",
      model_name: "Qwen/Qwen3-0.6B",
      storage_dtype: "U8",
      num_layers: 28,
      quantized: true,
      metadata: { sidecar: { model_name: "Qwen/Qwen3-0.6B" } },
    });
  });
});

describe("visibility", () => {
  it("sets public_url only while public and ready, and audits each change", async () => {
    const data = randomBlob(50);
    const ready = await uploadReady(store, key, data);
    expect(ready.public_url).toBeNull();
    const pub = await call(store, "PATCH", `/api/v1/artifacts/${ready.id}`, { key, json: { visibility: "public" } });
    expect(pub.body.public_url).toBe(`${store.cdnUrl}/dev/default/${ready.id}`);
    const cdn = await fetchChecked(pub.body.public_url);
    expect(cdn.status).toBe(200);
    const priv = await call(store, "PATCH", `/api/v1/artifacts/${ready.id}`, { key, json: { visibility: "private", description: "now private" } });
    expect(priv.body).toMatchObject({ visibility: "private", public_url: null, description: "now private" });
    expect((await fetchChecked(pub.body.public_url)).status).toBe(404);

    const log = await call(store, "GET", "/api/v1/audit-log?limit=1000", { key });
    const changes = log.body.events.filter((e: any) => e.artifact_id === ready.id && e.type === "artifact.visibility_changed");
    expect(changes.map((e: any) => e.details)).toEqual([{ from: "private", to: "public" }, { from: "public", to: "private" }]);
  });

  it("rejects an empty or unknown change", async () => {
    const ready = await uploadReady(store, key, randomBlob(5));
    expect((await call(store, "PATCH", `/api/v1/artifacts/${ready.id}`, { key, json: {} })).status).toBe(400);
    expect((await call(store, "PATCH", `/api/v1/artifacts/${ready.id}`, { key, json: { visibility: "secret" } })).status).toBe(400);
  });
});

describe("audit log", () => {
  it("records creation, confirmation, visibility changes, deletion and key use, with a key id and never the key", async () => {
    const ready = await uploadReady(store, key, randomBlob(9));
    await call(store, "PATCH", `/api/v1/artifacts/${ready.id}`, { key, json: { visibility: "public" } });
    await call(store, "DELETE", `/api/v1/artifacts/${ready.id}`, { key });
    const { body } = await call(store, "GET", "/api/v1/audit-log?limit=1000", { key });
    const keyId = (await call(store, "POST", "/api/v1/api-keys/verify", { key })).body.key_id;
    expect(keyId).toMatch(/^key_[0-9a-f]{16}$/);
    expect(body.events.filter((e: any) => e.artifact_id === ready.id).map((e: any) => e.type)).toEqual([
      "artifact.created",
      "artifact.confirmed",
      "artifact.visibility_changed",
      "artifact.deleted",
    ]);
    expect(body.events.find((e: any) => e.type === "api_key.used")).toMatchObject({ key_id: keyId });
    const files = await readdir(join(store.dataDir, "audit"));
    expect(files).toEqual(["dev.jsonl"]);
    const onDisk = await readFile(join(store.dataDir, "audit", "dev.jsonl"), "utf8");
    expect(onDisk.trim().split("\n").length).toBeGreaterThanOrEqual(body.events.length);
    expect(onDisk).not.toContain(key);
  });

  it("pages with a continuation token", async () => {
    const first = await call(store, "GET", "/api/v1/audit-log?limit=2", { key });
    expect(first.body.events).toHaveLength(2);
    const next = await call(store, "GET", `/api/v1/audit-log?limit=2&continuation=${first.body.continuation_token}`, { key });
    expect(next.body.events[0].id).not.toBe(first.body.events[1].id);
  });
});

describe("CDN base URL", () => {
  it("reports public_url under the configured CDN while serving the same bytes under /cdn", async () => {
    const cdnStore = await startLocalStore({ cdnBaseUrl: "https://x.kvcdn.io/" });
    try {
      expect(cdnStore.cdnUrl).toBe("https://x.kvcdn.io");
      const data = randomBlob(12);
      const ready = await uploadReady(cdnStore, cdnStore.apiKey, data, { visibility: "public" });
      expect(ready.public_url).toBe(`https://x.kvcdn.io/dev/default/${ready.id}`);
      const local = await fetch(`${cdnStore.url}/cdn/dev/default/${ready.id}`);
      expect(Buffer.from(await local.arrayBuffer()).equals(data)).toBe(true);
    } finally {
      await cdnStore.close();
    }
  });
});
