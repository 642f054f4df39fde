import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { assertMatchesContract, seen } from "./support/openapi-contract.js";
import { call, confirm, createUpload, fetchChecked, putBytes, randomBlob, uploadReady } from "./support/store-client.js";

let store: LocalStore;
beforeAll(async () => {
  store = await startLocalStore({ artifactLimit: 6, maxPutBytes: 1_000_000, faults: true });
});
afterAll(() => store.close());

const MISSING = "00000000-0000-4000-8000-000000000000";

describe("the contract checker", () => {
  it("rejects bodies that do not match openapi.yaml", () => {
    expect(() => assertMatchesContract("GET", "/api/v1/usage", 200, "application/json", "{}")).toThrow(/does not match/);
    expect(() => assertMatchesContract("GET", "/api/v1/artifacts/x", 200, "application/json", JSON.stringify({ id: "x" }))).toThrow(/does not match/);
    expect(() => assertMatchesContract("GET", "/api/v1/usage", 418, "application/json", "{}")).toThrow(/does not document/);
    expect(() => assertMatchesContract("PUT", "/storage/k", 403, "application/xml", "<Error><Code>AccessDenied</Code></Error>")).not.toThrow();
  });
});

describe("every operation answers as openapi.yaml documents", () => {
  it("walks every route through its success and error answers", async () => {
    const key = store.apiKey;
    const data = randomBlob(4096);
    // Success paths (each call() checks status and body against the schemas).
    await call(store, "GET", "/health");
    const up = await createUpload(store, key, data, { visibility: "public", description: "contract" });
    await putBytes(up.url, data);
    await confirm(store, key, up.artifact_id, data);
    const dl = await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/download-url`, { key });
    await fetchChecked(dl.body.download_url);
    await fetchChecked(dl.body.download_url, { headers: { range: "bytes=0-9" } });
    await fetchChecked(dl.body.download_url, { headers: { range: "bytes=5000-" } });
    const art = await call(store, "GET", `/api/v1/artifacts/${up.artifact_id}`, { key });
    await fetchChecked(art.body.public_url);
    await fetchChecked(art.body.public_url, { headers: { range: "bytes=-10" } });
    await fetchChecked(art.body.public_url, { headers: { range: "bytes=9999-" } });
    await call(store, "GET", "/api/v1/artifacts?q=contract&scope=all&limit=1", { key });
    await call(store, "PATCH", `/api/v1/artifacts/${up.artifact_id}`, { key, json: { name: "renamed" } });
    await call(store, "GET", "/api/v1/usage", { key });
    await call(store, "GET", "/api/v1/quota", { key });
    await call(store, "POST", "/api/v1/api-keys/verify", { key });
    await call(store, "GET", "/api/v1/audit-log?limit=2", { key });

    // 401 on every authenticated operation.
    for (const [method, path] of [
      ["POST", "/api/v1/artifacts/upload-url"],
      ["POST", `/api/v1/artifacts/${MISSING}/confirm-upload`],
      ["POST", `/api/v1/artifacts/${MISSING}/download-url`],
      ["GET", "/api/v1/artifacts"],
      ["GET", `/api/v1/artifacts/${MISSING}`],
      ["PATCH", `/api/v1/artifacts/${MISSING}`],
      ["DELETE", `/api/v1/artifacts/${MISSING}`],
      ["GET", "/api/v1/usage"],
      ["GET", "/api/v1/quota"],
      ["POST", "/api/v1/api-keys/verify"],
      ["GET", "/api/v1/audit-log"],
    ] as const) {
      expect((await call(store, method, path, { key: "kv_wrong" })).status).toBe(401);
    }
    // 400 for a malformed id and 404 for an unknown one, on every id route.
    const withBody = { visibility: "public" };
    for (const [method, template, json] of [
      ["POST", "/api/v1/artifacts/{id}/confirm-upload", withBody],
      ["POST", "/api/v1/artifacts/{id}/download-url", undefined],
      ["GET", "/api/v1/artifacts/{id}", undefined],
      ["PATCH", "/api/v1/artifacts/{id}", withBody],
      ["DELETE", "/api/v1/artifacts/{id}", undefined],
    ] as const) {
      const init = json === undefined ? { key } : { key, json };
      expect((await call(store, method, template.replace("{id}", "not-a-uuid"), init)).status).toBe(400);
      expect((await call(store, method, template.replace("{id}", MISSING), init)).status).toBe(404);
    }
    // 400, 403, 409, 413 and 415 from bodies, limits and state.
    await call(store, "POST", "/api/v1/artifacts/upload-url", { key, json: { dtype: "F16" } });
    await call(store, "POST", "/api/v1/artifacts/upload-url", { key, body: "x", headers: { "content-type": "text/plain" } });
    await call(store, "POST", "/api/v1/artifacts/upload-url", { key, json: { model_name: "m", dtype: "F16", size_bytes: 2_000_000, checksum: "a".repeat(64) } });
    await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/confirm-upload`, { key, json: { pad: "x".repeat(1_100_000) } });
    await call(store, "POST", `/api/v1/artifacts/${up.artifact_id}/confirm-upload`, { key, body: "x", headers: { "content-type": "text/plain" } });
    await call(store, "PATCH", `/api/v1/artifacts/${up.artifact_id}`, { key, json: { pad: "x".repeat(1_100_000) } });
    await call(store, "PATCH", `/api/v1/artifacts/${up.artifact_id}`, { key, body: "x", headers: { "content-type": "text/plain" } });
    await call(store, "POST", "/api/v1/api-keys/verify", { key, headers: { "content-type": "application/json" } });
    await call(store, "GET", "/api/v1/artifacts?limit=0", { key });
    await call(store, "GET", "/api/v1/audit-log?continuation=bogus", { key });
    const pending = await createUpload(store, key, data);
    await call(store, "POST", `/api/v1/artifacts/${pending.artifact_id}/download-url`, { key });
    await call(store, "POST", `/api/v1/artifacts/${pending.artifact_id}/confirm-upload`, { key });
    while ((await call(store, "POST", "/api/v1/artifacts/upload-url", { key, json: { model_name: "m", dtype: "F16", size_bytes: 1, checksum: "a".repeat(64) } })).status === 200);
    // Storage errors (S3 XML) and CDN misses.
    await putBytes(up.url, data);
    await putBytes(pending.url, randomBlob(3));
    await fetchChecked(dl.body.download_url.replace(/X-Amz-Signature=[0-9a-f]/, "X-Amz-Signature=z"));
    await call(store, "DELETE", `/api/v1/artifacts/${pending.artifact_id}`, { key });
    await call(store, "DELETE", `/api/v1/artifacts/${up.artifact_id}`, { key });
    expect((await fetchChecked(dl.body.download_url)).status).toBe(404);
    await fetchChecked(`${store.cdnUrl}/dev/default/${MISSING}`);
    // Injected 429 / 500 / 503 are documented too.
    store.faults.inject({ on: "listArtifacts", action: "status", status: 429, retryAfter: 1 });
    store.faults.inject({ on: "getUsage", action: "status", status: 503, retryAfter: 2 });
    store.faults.inject({ on: "getArtifact", action: "status", status: 500 });
    const limited = await call(store, "GET", "/api/v1/artifacts", { key });
    expect(limited.headers.get("retry-after")).toBe("1");
    await call(store, "GET", "/api/v1/usage", { key });
    await call(store, "GET", `/api/v1/artifacts/${up.artifact_id}`, { key });

    const expected = [
      "getHealth:200",
      ...["200", "400", "401", "403", "413", "415"].map((s) => `createUploadUrl:${s}`),
      ...["200", "400", "401", "404", "413", "415"].map((s) => `confirmUpload:${s}`),
      ...["200", "400", "401", "404", "409"].map((s) => `createDownloadUrl:${s}`),
      ...["200", "400", "401", "429"].map((s) => `listArtifacts:${s}`),
      ...["200", "400", "401", "404", "500"].map((s) => `getArtifact:${s}`),
      ...["200", "400", "401", "404", "413", "415"].map((s) => `updateArtifact:${s}`),
      ...["204", "400", "401", "404"].map((s) => `deleteArtifact:${s}`),
      "getUsage:200", "getUsage:401", "getUsage:503", "getQuota:200", "getQuota:401",
      "verifyApiKey:200", "verifyApiKey:400", "verifyApiKey:401",
      "listAuditEvents:200", "listAuditEvents:400", "listAuditEvents:401",
      "presignedPut:200", "presignedPut:400", "presignedPut:403",
      "presignedGet:200", "presignedGet:206", "presignedGet:403", "presignedGet:404", "presignedGet:416",
      "getPublicArtifact:200", "getPublicArtifact:206", "getPublicArtifact:404", "getPublicArtifact:416",
    ];
    expect(expected.filter((pair) => !seen.has(pair))).toEqual([]);
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await fetch(`${store.url}/api/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found", message: "Route GET:/api/v1/nothing not found" });
  });
});

describe("list paging", () => {
  it("pages with an opaque token, omits it on the last page, and keeps order across pages", async () => {
    const paging = await startLocalStore({ artifactLimit: null });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await uploadReady(paging, paging.apiKey, randomBlob(3), { name: `page item ${i}` })).id);
      const seenIds: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const reply = await call(paging, "GET", `/api/v1/artifacts?limit=2${token ? `&continuation=${encodeURIComponent(token)}` : ""}`, { key: paging.apiKey });
        seenIds.push(...reply.body.artifacts.map((a: any) => a.id));
        token = reply.body.continuation_token;
        pages += 1;
      } while (token !== undefined);
      expect(seenIds).toEqual(ids);
      expect(pages).toBe(3);
    } finally {
      await paging.close();
    }
  });
});
