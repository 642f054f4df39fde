import { get as httpGet } from "node:http";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LocalStoreError, startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { parseS3Error } from "./support/openapi-contract.js";
import { call, confirm, createUpload, fetchChecked, putBytes, randomBlob, sha256, uploadFields, uploadReady } from "./support/store-client.js";

let store: LocalStore;
beforeAll(async () => {
  store = await startLocalStore({ faults: true, artifactLimit: null });
});
beforeEach(() => store.faults.clear());
afterAll(() => store.close());

/** GET with node:http and count the body bytes that arrive before the connection ends or breaks. */
function countBytes(url: string): Promise<{ bytes: number; broken: boolean; status: number }> {
  return new Promise((resolve) => {
    httpGet(url, (res) => {
      let bytes = 0;
      res.on("data", (c: Buffer) => (bytes += c.length));
      res.on("end", () => resolve({ bytes, broken: false, status: res.statusCode ?? 0 }));
      res.on("error", () => resolve({ bytes, broken: true, status: res.statusCode ?? 0 }));
      res.on("aborted", () => undefined);
    }).on("error", () => resolve({ bytes: 0, broken: true, status: 0 }));
  });
}

describe("fault injection switches", () => {
  it("is off unless asked for", async () => {
    const plain = await startLocalStore();
    try {
      expect(plain.faults.enabled).toBe(false);
      expect(() => plain.faults.inject({ on: "put", action: "expire" })).toThrow(LocalStoreError);
    } finally {
      await plain.close();
    }
  });

  it("is refused on a non-loopback host", async () => {
    await expect(startLocalStore({ host: "0.0.0.0", faults: true })).rejects.toThrow(/loopback/);
  });

  it("refuses faults that cannot apply", () => {
    expect(() => store.faults.inject({ on: "get", action: "corrupt-stored" })).toThrow(/cannot apply/);
    expect(() => store.faults.inject({ on: "listArtifacts", action: "expire" })).toThrow(/cannot apply/);
    expect(() => store.faults.inject({ on: "put", action: "status", status: 200 })).toThrow(LocalStoreError);
    expect(() => store.faults.inject({ on: "nope" as "put", action: "delay", ms: 1 })).toThrow(/unknown fault target/);
  });

  it("hits exactly `times` requests, then lets them through", async () => {
    store.faults.inject({ on: "getUsage", action: "status", status: 503, retryAfter: 3, times: 2 });
    expect(store.faults.pending).toMatchObject([{ on: "getUsage", remaining: 2 }]);
    const first = await call(store, "GET", "/api/v1/usage", { key: store.apiKey });
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("3");
    expect((await call(store, "GET", "/api/v1/usage", { key: store.apiKey })).status).toBe(503);
    expect((await call(store, "GET", "/api/v1/usage", { key: store.apiKey })).status).toBe(200);
    expect(store.faults.pending).toEqual([]);
  });
});

describe("expire", () => {
  it("on put: answers 403 'Request has expired' without using up the URL", async () => {
    const data = randomBlob(100);
    const up = await createUpload(store, store.apiKey, data);
    store.faults.inject({ on: "put", action: "expire" });
    const reply = await putBytes(up.url, data);
    expect(parseS3Error(reply.text)).toMatchObject({ Code: "AccessDenied", Message: "Request has expired" });
    expect((await putBytes(up.url, data)).status).toBe(200);
  });

  it("on createUploadUrl / createDownloadUrl: issues URLs the verifier finds expired", async () => {
    const data = randomBlob(100);
    store.faults.inject({ on: "createUploadUrl", action: "expire" });
    const up = await createUpload(store, store.apiKey, data);
    expect(Date.parse(up.expires_at)).toBeLessThan(Date.now());
    expect(parseS3Error((await putBytes(up.url, data)).text).Message).toBe("Request has expired");

    const ready = await uploadReady(store, store.apiKey, data);
    store.faults.inject({ on: "createDownloadUrl", action: "expire" });
    const dl = await call(store, "POST", `/api/v1/artifacts/${ready.id}/download-url`, { key: store.apiKey });
    expect(parseS3Error((await fetchChecked(dl.body.download_url)).text).Message).toBe("Request has expired");
  });
});

describe("reset", () => {
  it("on put: cuts the connection after K bytes, stores nothing, and the URL counts as used", async () => {
    const data = randomBlob(2 * 1024 * 1024);
    const up = await createUpload(store, store.apiKey, data);
    store.faults.inject({ on: "put", action: "reset", afterBytes: 1024 * 1024 });
    // A cut connection is undici's TypeError("fetch failed"), not an HTTP answer.
    await expect(fetch(up.url, { method: "PUT", body: data })).rejects.toThrow(TypeError);
    expect((await confirm(store, store.apiKey, up.artifact_id, data)).body.error).toBe("artifact_data_not_found");
    expect(parseS3Error((await putBytes(up.url, data)).text).Code).toBe("AccessDenied");
    expect(await readdir(join(store.dataDir, "blobs", ".incoming"))).toEqual([]);
  });

  it("on get: sends the headers and K body bytes, then cuts the connection", async () => {
    const data = randomBlob(3 * 1024 * 1024);
    const ready = await uploadReady(store, store.apiKey, data);
    const dl = await call(store, "POST", `/api/v1/artifacts/${ready.id}/download-url`, { key: store.apiKey });
    store.faults.inject({ on: "get", action: "reset", afterBytes: 1_500_000 });
    const cut = await countBytes(dl.body.download_url);
    expect(cut).toEqual({ bytes: 1_500_000, broken: true, status: 200 });
    expect(await countBytes(dl.body.download_url)).toEqual({ bytes: data.length, broken: false, status: 200 });
  });

  it("on an API operation: processes the request, then drops the answer", async () => {
    const data = randomBlob(10);
    const before = store.requests.count("createUploadUrl");
    store.faults.inject({ on: "createUploadUrl", action: "reset" });
    await expect(
      fetch(`${store.url}/api/v1/artifacts/upload-url`, {
        method: "POST",
        headers: { authorization: `Bearer ${store.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(uploadFields(data, { name: "orphan candidate" })),
      }),
    ).rejects.toThrow(TypeError);
    expect(store.requests.count("createUploadUrl")).toBe(before + 1);
    const list = await call(store, "GET", "/api/v1/artifacts?q=orphan%20candidate", { key: store.apiKey });
    expect(list.body.artifacts).toHaveLength(1);
    expect(list.body.artifacts[0]).toMatchObject({ status: "pending", checksum: sha256(data) });
  });
});

describe("corruption", () => {
  it("corrupt-stored: the PUT succeeds but confirm finds a sha256 mismatch and the artifact stays pending", async () => {
    const data = randomBlob(4096);
    const up = await createUpload(store, store.apiKey, data);
    store.faults.inject({ on: "put", action: "corrupt-stored" });
    const put = await putBytes(up.url, data);
    expect(put.status).toBe(200);
    const reply = await confirm(store, store.apiKey, up.artifact_id, data);
    expect(reply.body).toMatchObject({ error: "sha256_mismatch", expected: sha256(data) });
    expect((await call(store, "GET", `/api/v1/artifacts/${up.artifact_id}`, { key: store.apiKey })).body.status).toBe("pending");
  });

  it("corrupt-served: flips one byte of the body at the given offset and keeps the real headers", async () => {
    const data = randomBlob(100_000);
    const ready = await uploadReady(store, store.apiKey, data, { visibility: "public" });
    store.faults.inject({ on: "cdn", action: "corrupt-served", offset: 70_000 });
    const res = await fetch(ready.public_url!);
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get("x-checksum-sha256")).toBe(sha256(data));
    expect(body.length).toBe(data.length);
    const differing = [...body.keys()].filter((i) => body[i] !== data[i]);
    expect(differing).toEqual([70_000]);
    expect(Buffer.from(await (await fetch(ready.public_url!)).arrayBuffer()).equals(data)).toBe(true);
  });
});

describe("status and delay", () => {
  it("answers a presigned PUT with S3's 503 SlowDown and Retry-After, leaving the URL usable", async () => {
    const data = randomBlob(1000);
    const up = await createUpload(store, store.apiKey, data);
    store.faults.inject({ on: "put", action: "status", status: 503, retryAfter: 1 });
    const reply = await fetch(up.url, { method: "PUT", body: data });
    expect(reply.status).toBe(503);
    expect(reply.headers.get("retry-after")).toBe("1");
    expect(parseS3Error(await reply.text()).Code).toBe("SlowDown");
    expect((await putBytes(up.url, data)).status).toBe(200);
  });

  it("delays a request so a client timeout fires first", async () => {
    store.faults.inject({ on: "verifyApiKey", action: "delay", ms: 30_000 });
    await expect(
      fetch(`${store.url}/api/v1/api-keys/verify`, { method: "POST", headers: { authorization: `Bearer ${store.apiKey}` }, signal: AbortSignal.timeout(100) }),
    ).rejects.toMatchObject({ name: "TimeoutError" });
  });
});

describe("request log", () => {
  it("counts requests by kind and shows presigned requests carried no Authorization, with secrets redacted", async () => {
    store.requests.clear();
    const data = randomBlob(10);
    await uploadReady(store, store.apiKey, data);
    await putBytes((await createUpload(store, store.apiKey, data)).url, data, { authorization: "Bearer leaked" });
    expect(store.requests.count("createUploadUrl")).toBe(2);
    expect(store.requests.count("put")).toBe(2);
    expect(store.requests.count("confirmUpload")).toBe(1);
    const puts = store.requests.ofKind("put");
    expect(puts.map((r) => r.hasAuthorization)).toEqual([false, true]);
    expect(puts.map((r) => r.status)).toEqual([200, 400]);
    expect(puts[1]!.headers.authorization).toBe("[redacted]");
    expect(JSON.stringify(store.requests.entries)).not.toContain(store.apiKey);
    expect(JSON.stringify(store.requests.entries)).not.toContain("X-Amz-Signature");
  });
});
