import { readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetchCache, isCacheMissError, listCachedKv, type Artifact } from "../../src/index.js";
import { isVerified } from "../../src/kv/verification-record.js";
import { readSidecar } from "../../src/kv/sidecar.js";
import { startCacheHarness, type CacheHarness } from "./harness.js";

let h: CacheHarness;
beforeEach(async () => {
  h = await startCacheHarness();
});
afterEach(async () => {
  await h.close();
});

const opts = () => ({ client: h.client, cacheDir: h.cacheDir, env: {} });

describe("fetchCache", () => {
  it("downloads an artifact id once into blobs/<sha256>.kv with a sidecar recording sha256; the second fetch makes no request", async () => {
    const artifact = await h.publish({ name: "a", seed: 1 });
    h.store.requests.clear();
    const first = await fetchCache(artifact.id, opts());
    expect(first).toMatchObject({ kind: "id", artifactId: artifact.id, sha256: artifact.checksum, downloaded: true });
    expect(first.path).toBe(join(h.cacheDir, "blobs", `${artifact.checksum}.kv`));
    expect(first.sidecarPath).toBe(`${first.path}.json`);
    expect((await readSidecar(first.path))?.sha256).toBe(artifact.checksum);
    expect(await isVerified(first.path, artifact.checksum!)).toBe(true);
    expect(h.store.requests.count("get")).toBe(1);

    h.store.requests.clear();
    const second = await fetchCache(artifact.id, opts());
    expect(second).toMatchObject({ path: first.path, sha256: first.sha256, downloaded: false });
    expect(h.store.requests.count()).toBe(0);
    // Nothing half-written or temporary is left: one blob, its sidecar and record, one index.
    const files = await h.files();
    expect(files.filter((f) => f.startsWith("blobs/"))).toEqual([
      `blobs/${artifact.checksum}.kv`,
      `blobs/${artifact.checksum}.kv.json`,
      `blobs/${artifact.checksum}.kv.verified.json`,
    ]);
    expect(files.filter((f) => f.startsWith("tmp/") || f.startsWith("locks/"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("refs/"))).toHaveLength(1);
  });

  it("resolves a CDN URL and org/project/id to the same entry, and shares the blob with the id's entry", async () => {
    const artifact = await h.publish({ name: "pub", seed: 2, visibility: "public" });
    const byId = await fetchCache(artifact.id, opts());
    h.store.requests.clear();
    const byUrl = await fetchCache(`${h.store.cdnUrl}/dev/default/${artifact.id}`, opts());
    // The service gave the checksum (no bytes needed): the directory already held them under the id.
    expect(byUrl).toMatchObject({ kind: "url", path: byId.path, downloaded: false });
    expect(h.store.requests.count("cdn")).toBe(1); // the HEAD
    expect(h.store.requests.ofKind("cdn")[0]?.method).toBe("HEAD");
    expect(h.store.requests.count("get")).toBe(0);

    h.store.requests.clear();
    const client = h.client;
    const short = await fetchCache(`dev/default/${artifact.id}`, { cacheDir: h.cacheDir, env: {}, client });
    expect(short).toMatchObject({ kind: "url", path: byId.path, downloaded: false });
    expect(h.store.requests.count()).toBe(0);
    expect((await listCachedKv(opts())).map((e) => e.kind).sort()).toEqual(["id", "url"]);
  });

  it("fetches a public URL without any client or API key", async () => {
    const artifact = await h.publish({ name: "pub2", seed: 3, visibility: "public" });
    const url = `${h.store.cdnUrl}/dev/default/${artifact.id}`;
    const env = { HOME: h.dir }; // no KVCDN_* at all: the client made inside has no key
    const got = await fetchCache(url, { cacheDir: h.cacheDir, env, configPath: false });
    expect(got).toMatchObject({ sha256: artifact.checksum, downloaded: true });
    expect(h.store.requests.entries.filter((r) => r.kind === "cdn").every((r) => !r.hasAuthorization)).toBe(true);
    expect((await readSidecar(got.path))?.sha256).toBe(artifact.checksum);
  });

  it("offline: serves what the directory holds without a request, and throws CacheMissError naming the reference otherwise", async () => {
    const held = await h.publish({ name: "held", seed: 4 });
    const missing = await h.publish({ name: "missing", seed: 5 });
    await fetchCache(held.id, opts());
    h.store.requests.clear();
    const env = { KVCDN_OFFLINE: "1", KVCDN_API_URL: h.store.url, KVCDN_CACHE_DIR: h.cacheDir };
    const got = await fetchCache(held.id, { env, configPath: false });
    expect(got).toMatchObject({ sha256: held.checksum, downloaded: false });
    const error = await fetchCache(missing.id, { env, configPath: false }).catch((e: unknown) => e);
    expect(isCacheMissError(error)).toBe(true);
    expect(error).toMatchObject({ name: "CacheMissError", ref: missing.id, cacheDir: h.cacheDir, code: "cache_miss" });
    expect((error as Error).message).toContain(missing.id);
    // The option wins over the environment, both ways.
    await expect(fetchCache(missing.id, { ...opts(), offline: true })).rejects.toMatchObject({ name: "CacheMissError" });
    expect(h.store.requests.count()).toBe(0);
    await expect(fetchCache(missing.id, { ...opts(), env, offline: false })).resolves.toMatchObject({ downloaded: true });
  });

  it("re-hashes a blob whose record no longer holds, keeps it when the bytes are intact, and refetches corrupt bytes", async () => {
    const artifact = await h.publish({ name: "c", seed: 6 });
    const { path } = await fetchCache(artifact.id, opts());
    // Touched, same bytes: the record (tied to mtime) is stale, a re-hash finds them intact; no download.
    const later = new Date(Date.now() + 5000);
    await utimes(path, later, later);
    expect(await isVerified(path, artifact.checksum!)).toBe(false);
    h.store.requests.clear();
    await expect(fetchCache(artifact.id, opts())).resolves.toMatchObject({ downloaded: false });
    expect(h.store.requests.count()).toBe(0);
    expect(await isVerified(path, artifact.checksum!)).toBe(true);

    // One byte changed after the fact: detected, removed, fetched again, and the new bytes are right.
    const bytes = await readFile(path);
    bytes[bytes.length - 3]! ^= 0xff;
    await writeFile(path, bytes);
    const again = await fetchCache(artifact.id, opts());
    expect(again).toMatchObject({ path, downloaded: true });
    expect(h.store.requests.count("get")).toBe(1);
    expect(await isVerified(path, artifact.checksum!)).toBe(true);

    // Offline, corrupt bytes are a miss, never served.
    const bytes2 = await readFile(path);
    bytes2[100]! ^= 0x01;
    await writeFile(path, bytes2);
    await expect(fetchCache(artifact.id, { ...opts(), offline: true })).rejects.toMatchObject({ name: "CacheMissError" });
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a download that fails verification leaves the directory as it was, and the error typed", async () => {
    const artifact = await h.publish({ name: "bad", seed: 7 });
    h.store.faults.inject({ on: "get", action: "corrupt-served", times: 20 });
    const error = await fetchCache(artifact.id, opts()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "IntegrityError" });
    expect((await h.files()).filter((f) => !f.startsWith("locks/"))).toEqual([]);
    expect(await h.files()).toEqual([]);
  });

  it("revalidate: asks the service again and refetches when the reference names other bytes, never mixing them", async () => {
    const v1 = await h.publish({ name: "v1", seed: 8, visibility: "public" });
    const url = `${h.store.cdnUrl}/dev/default/${v1.id}`;
    const first = await fetchCache(url, opts());
    h.store.requests.clear();
    // Unchanged: one HEAD, no bytes.
    await expect(fetchCache(url, { ...opts(), revalidate: true })).resolves.toMatchObject({ path: first.path, downloaded: false });
    expect(h.store.requests.count("cdn")).toBe(1);

    // The URL now serves other bytes (a proxy in front of a re-uploaded name): answer HEAD and GET from v2's object.
    const v2 = await h.publish({ name: "v2", seed: 9, visibility: "public" });
    const v2Url = `${h.store.cdnUrl}/dev/default/${v2.id}`;
    const rewrite = (input: string | URL | Request, init?: RequestInit) => {
      const req = new Request(input, init);
      return req.url === url ? globalThis.fetch(new Request(v2Url, req)) : globalThis.fetch(req);
    };
    const moved = await fetchCache(url, { ...opts(), revalidate: true, fetch: rewrite });
    expect(moved).toMatchObject({ sha256: v2.checksum, downloaded: true });
    expect(moved.path).not.toBe(first.path);
    // The old blob went with its last reference; the new one is whole and recorded.
    await expect(stat(first.path)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await isVerified(moved.path, v2.checksum!)).toBe(true);
    const [entry] = await listCachedKv(opts());
    expect(entry).toMatchObject({ ref: url, sha256: v2.checksum });
  });

  it("takes a local .kv path as it is, checked against its sidecar", async () => {
    const artifact: Artifact = await h.publish({ name: "local", seed: 10 });
    const file = join(h.dir, "local.kv");
    await expect(fetchCache(file, opts())).resolves.toMatchObject({ kind: "path", path: file, sha256: artifact.checksum, downloaded: false });
    const bytes = await readFile(file);
    bytes[bytes.length - 1]! ^= 0xff;
    await writeFile(file, bytes);
    await expect(fetchCache(file, opts())).rejects.toMatchObject({ name: "IntegrityError", path: file });
    await expect(fetchCache(join(h.dir, "nope.kv"), opts())).rejects.toMatchObject({ name: "LocalFileError", code: "ENOENT" });
    expect(await h.files()).toEqual([]);
  });
});
