import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStore, type LocalStore } from "../../src/local-store/index.js";
import { call, fetchChecked, randomBlob, sha256, uploadReady } from "./support/store-client.js";

let store: LocalStore;
// Larger than the store's 1 MiB read size, so ranges cross read boundaries.
const data = randomBlob(3 * 1024 * 1024 + 123);
const size = data.length;
let presignedUrl: string;
let cdnUrl: string;

beforeAll(async () => {
  store = await startLocalStore();
  const ready = await uploadReady(store, store.apiKey, data, { visibility: "public" });
  presignedUrl = (await call(store, "POST", `/api/v1/artifacts/${ready.id}/download-url`, { key: store.apiKey })).body.download_url;
  cdnUrl = ready.public_url!;
});
afterAll(() => store.close());

const get = async (url: string, range?: string) => {
  const reply = await fetchChecked(url, range === undefined ? {} : { headers: { range } });
  const res = await fetch(url, range === undefined ? {} : { headers: { range } });
  return { status: reply.status, headers: reply.headers, bytes: Buffer.from(await res.arrayBuffer()) };
};

describe.each([
  ["presigned GET", () => presignedUrl],
  ["public CDN", () => cdnUrl],
])("Range on the %s", (_name, url) => {
  it("serves the whole object with Content-Length, ETag, checksum and Accept-Ranges", async () => {
    const r = await get(url());
    expect(r.status).toBe(200);
    expect(r.bytes.equals(data)).toBe(true);
    expect(r.headers.get("content-length")).toBe(String(size));
    expect(r.headers.get("etag")).toBe(`"${sha256(data)}"`);
    expect(r.headers.get("x-checksum-sha256")).toBe(sha256(data));
    expect(r.headers.get("accept-ranges")).toBe("bytes");
  });

  it.each([
    ["bytes=0-9", 0, 9],
    ["bytes=1048570-1048590", 1_048_570, 1_048_590],
    ["bytes=2000000-", 2_000_000, size - 1],
    ["bytes=-50", size - 50, size - 1],
    ["bytes=10-99999999", 10, size - 1],
    [`bytes=-${size + 10}`, 0, size - 1],
  ])("answers %s with 206 and exactly those bytes", async (range, start, end) => {
    const r = await get(url(), range);
    expect(r.status).toBe(206);
    expect(r.headers.get("content-range")).toBe(`bytes ${start}-${end}/${size}`);
    expect(r.headers.get("content-length")).toBe(String(end - start + 1));
    expect(r.bytes.equals(data.subarray(start, end + 1))).toBe(true);
  });

  it.each([`bytes=${size}-`, "bytes=-0"])("answers %s with 416 and the object size", async (range) => {
    const r = await get(url(), range);
    expect(r.status).toBe(416);
    expect(r.headers.get("content-range")).toBe(`bytes */${size}`);
  });

  it.each(["bytes=10-5", "bytes=0-1,5-6", "items=0-5"])("ignores %s and serves the whole object", async (range) => {
    const r = await get(url(), range);
    expect(r.status).toBe(200);
    expect(r.bytes.length).toBe(size);
  });
});

describe("CDN HEAD", () => {
  it("answers headers only", async () => {
    const res = await fetch(cdnUrl, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(size));
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });
});
