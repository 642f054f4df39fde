import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { call, createUpload, randomBlob, sha256, uploadFields, uploadReady } from "./support/store-client.js";

let store: LocalStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe("plan limits", () => {
  it("allows 20 artifacts on the free plan and answers the 21st with 403 quota_exceeded and the usage", async () => {
    store = await startLocalStore();
    const data = randomBlob(10);
    for (let i = 0; i < 20; i++) await createUpload(store, store.apiKey, data);
    const reply = await call(store, "POST", "/api/v1/artifacts/upload-url", { key: store.apiKey, json: uploadFields(data) });
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ error: "quota_exceeded", usage: { artifact_count: 20, artifact_limit: 20, plan: "free" } });
    expect(reply.body.message).toMatch(/20 artifacts/);
    // Deleting one makes room again.
    const list = await call(store, "GET", "/api/v1/artifacts?scope=org&limit=1", { key: store.apiKey });
    await call(store, "DELETE", `/api/v1/artifacts/${list.body.artifacts[0].id}`, { key: store.apiKey });
    expect((await call(store, "POST", "/api/v1/artifacts/upload-url", { key: store.apiKey, json: uploadFields(data) })).status).toBe(200);
  });

  it("enforces the storage quota over confirmed bytes plus pending reservations", async () => {
    store = await startLocalStore({ quotaBytes: 1000 });
    await uploadReady(store, store.apiKey, randomBlob(600));
    await createUpload(store, store.apiKey, randomBlob(300));
    const over = await call(store, "POST", "/api/v1/artifacts/upload-url", { key: store.apiKey, json: uploadFields(randomBlob(101)) });
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ error: "quota_exceeded", usage: { used_bytes: 600, quota_bytes: 1000 } });
    expect((await call(store, "POST", "/api/v1/artifacts/upload-url", { key: store.apiKey, json: uploadFields(randomBlob(100)) })).status).toBe(200);
    const quota = await call(store, "GET", "/api/v1/quota", { key: store.apiKey });
    expect(quota.body).toMatchObject({ quota: { storage_bytes: 1000, artifacts: 20 }, used: { storage_bytes: 600, artifacts: 3 }, used_bytes: 600, quota_bytes: 1000 });
  });

  it("answers 413 when the declared size is over the single-PUT limit (5 GiB by default)", async () => {
    store = await startLocalStore({ quotaBytes: null });
    const fields = { ...uploadFields(randomBlob(1)), size_bytes: 5 * 2 ** 30 + 1 };
    const reply = await call(store, "POST", "/api/v1/artifacts/upload-url", { key: store.apiKey, json: fields });
    expect(reply.status).toBe(413);
    expect(reply.body.message).toMatch(/shards/);
    expect((await call(store, "POST", "/api/v1/artifacts/upload-url", { key: store.apiKey, json: { ...fields, size_bytes: 5 * 2 ** 30 } })).status).toBe(200);
  });

  it("reports null limits when configured without them", async () => {
    store = await startLocalStore({ artifactLimit: null, quotaBytes: null });
    expect((await call(store, "GET", "/api/v1/usage", { key: store.apiKey })).body).toEqual({
      used_bytes: 0, quota_bytes: null, artifact_count: 0, artifact_limit: null, plan: "custom",
    });
  });
});

describe("request bodies (docs/service-contract.md#request-bodies)", () => {
  it("answers an empty JSON body with 400, a body over 1 MiB with 413, another content type with 415", async () => {
    store = await startLocalStore();
    const path = "/api/v1/artifacts/upload-url";
    const empty = await call(store, "POST", path, { key: store.apiKey, body: "", headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe("FST_ERR_CTP_EMPTY_JSON_BODY");
    const huge = await call(store, "POST", path, { key: store.apiKey, json: { ...uploadFields(randomBlob(1)), pad: "x".repeat(2 ** 20) } });
    expect(huge.status).toBe(413);
    expect((await call(store, "POST", path, { key: store.apiKey, body: "model_name=x", headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(415);
    expect((await call(store, "POST", path, { key: store.apiKey, body: "{not json", headers: { "content-type": "application/json" } })).body.error).toBe("invalid_json");
    expect((await call(store, "POST", path, { key: store.apiKey, json: [1, 2] })).status).toBe(400);
  });

  it("answers 413 to a chunked JSON body that grows past 1 MiB", async () => {
    store = await startLocalStore();
    const { apiKey, url } = store;
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}/api/v1/artifacts/upload-url`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "transfer-encoding": "chunked" },
      }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.write('{"pad":"');
      for (let i = 0; i < 20; i++) req.write("x".repeat(64 * 1024));
      req.end('"}');
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.text).error).toBe("payload_too_large");
  });

  it("accepts a JSON content type with a charset", async () => {
    store = await startLocalStore();
    const reply = await call(store, "POST", "/api/v1/artifacts/upload-url", {
      key: store.apiKey, json: uploadFields(randomBlob(3)), headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(reply.status).toBe(200);
  });

  it("names every invalid upload-url field", async () => {
    store = await startLocalStore();
    const reply = await call(store, "POST", "/api/v1/artifacts/upload-url", {
      key: store.apiKey,
      json: { model_name: "", dtype: "F16", size_bytes: -1, checksum: "ABC", visibility: "team", num_tokens: 1.5, metadata: { shard: { index: 0 } } },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe("invalid_request");
    for (const field of ["model_name", "size_bytes", "checksum", "visibility", "num_tokens", "metadata.shard.group_id"]) {
      expect(reply.body.message).toContain(field);
    }
  });

  it("refuses metadata.sha256 that contradicts checksum", async () => {
    store = await startLocalStore();
    const data = randomBlob(3);
    const reply = await call(store, "POST", "/api/v1/artifacts/upload-url", { key: store.apiKey, json: uploadFields(data, { metadata: { sha256: sha256(randomBlob(3)) } }) });
    expect(reply.status).toBe(400);
  });

  it("answers a malformed artifact id with 400 invalid_artifact_id", async () => {
    store = await startLocalStore();
    const reply = await call(store, "GET", "/api/v1/artifacts/not-a-uuid", { key: store.apiKey });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe("invalid_artifact_id");
  });

  it("requires exactly 'Bearer <key>'", async () => {
    store = await startLocalStore();
    for (const authorization of [`bearer ${store.apiKey}`, `Bearer  ${store.apiKey}`, store.apiKey, ""]) {
      expect((await call(store, "GET", "/api/v1/usage", { headers: { authorization } })).status).toBe(401);
    }
    expect((await call(store, "GET", "/api/v1/usage", { key: null })).status).toBe(401);
  });
});
