import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetchCache, type CachedKv } from "../../src/index.js";
import { cacheLayout } from "../../src/cache-dir/cache-layout.js";
import { parseCacheRef } from "../../src/cache-dir/parse-cache-ref.js";
import { startCacheHarness, type CacheHarness } from "./harness.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TSX_CLI = join(REPO, "node_modules", "tsx", "dist", "cli.mjs");

let h: CacheHarness;
beforeEach(async () => {
  h = await startCacheHarness();
});
afterEach(async () => {
  await h.close();
});

/** Run fetch-child.ts in its own process against the harness's store. */
function fetchInChild(ref: string): Promise<CachedKv> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX_CLI, join(REPO, "test/cache-dir/fetch-child.ts"), ref, h.cacheDir], {
      cwd: REPO,
      env: { PATH: process.env["PATH"] ?? "", HOME: h.dir, KVCDN_API_URL: h.store.url, KVCDN_API_KEY: h.store.apiKey, KVCDN_CDN_URL: h.store.cdnUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as CachedKv) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe("fetchCache under concurrency", { timeout: 60_000 }, () => {
  it("two concurrent calls in one process download once and get the same path", async () => {
    const artifact = await h.publish({ name: "a", seed: 1, tokens: 256 });
    h.store.requests.clear();
    h.store.faults.inject({ on: "get", action: "delay", ms: 300 });
    const [a, b] = await Promise.all([fetchCache(artifact.id, { client: h.client, cacheDir: h.cacheDir }), fetchCache(artifact.id, { client: h.client, cacheDir: h.cacheDir })]);
    expect(a.path).toBe(b.path);
    expect([a.downloaded, b.downloaded].sort()).toEqual([false, true]);
    expect(h.store.requests.count("get")).toBe(1);
  });

  it("two processes fetching the same reference at once download it once; the other waits on the lock and reuses it", async () => {
    const artifact = await h.publish({ name: "b", seed: 2, tokens: 256 });
    h.store.requests.clear();
    // The download is slow enough that the second process, however late tsx starts it, finds the lock held.
    h.store.faults.inject({ on: "get", action: "delay", ms: 2500 });
    const [a, b] = await Promise.all([fetchInChild(artifact.id), fetchInChild(artifact.id)]);
    expect(a.path).toBe(b.path);
    expect(a.sha256).toBe(artifact.checksum);
    expect([a.downloaded, b.downloaded].sort()).toEqual([false, true]);
    expect(h.store.requests.count("get")).toBe(1);
    expect((await h.files()).filter((f) => f.startsWith("locks/") || f.startsWith("tmp/"))).toEqual([]);
  });

  it("takes over a lock left by a process that died", async () => {
    const artifact = await h.publish({ name: "c", seed: 3 });
    const dead = spawn(process.execPath, ["-e", ""]);
    const pid = dead.pid as number;
    await new Promise((r) => dead.on("close", r));
    const layout = cacheLayout(h.cacheDir);
    const ref = parseCacheRef(artifact.id, { apiUrl: h.client.apiUrl, cdnUrl: h.client.cdnUrl });
    if (ref.kind !== "id") throw new Error("expected an id reference");
    await mkdir(layout.locks, { recursive: true });
    const { hostname } = await import("node:os");
    await writeFile(layout.lockPath(ref.key), JSON.stringify({ pid, host: hostname(), token: "x" }));
    const got = await fetchCache(artifact.id, { client: h.client, cacheDir: h.cacheDir });
    expect(got).toMatchObject({ sha256: artifact.checksum, downloaded: true });
    expect((await h.files()).filter((f) => f.startsWith("locks/"))).toEqual([]);
  });
});
