import { execFileSync } from "node:child_process";
import { mkdir, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchCache, listCachedKv } from "../../src/index.js";
import { startCacheHarness, type CacheHarness } from "./harness.js";

// A really full disk: the cache directory lives on a 1 MiB tmpfs (when this test may mount one; it runs as root here).
const tinyfs = join(tmpdir(), `kvcdn-cache-tinyfs-${process.pid}`);
let mounted = false;
let h: CacheHarness;

beforeAll(async () => {
  h = await startCacheHarness();
  try {
    await mkdir(tinyfs, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", tinyfs], { stdio: "ignore" });
    mounted = true;
  } catch {
    mounted = false;
  }
});
afterAll(async () => {
  if (mounted) execFileSync("umount", [tinyfs], { stdio: "ignore" });
  await rm(tinyfs, { recursive: true, force: true });
  await h.close();
});

describe("fetchCache on a full disk", () => {
  it("fails with LocalFileError ENOSPC, leaves the directory consistent, and works again for what fits", async (ctx) => {
    if (!mounted) ctx.skip();
    const big = await h.publish({ name: "big", seed: 1, layers: 4, tokens: 2048, headDim: 32 }); // 2 MiB
    const small = await h.publish({ name: "small", seed: 2, tokens: 16 });
    const opts = { client: h.client, cacheDir: join(tinyfs, "cache"), env: {} };
    const error = await fetchCache(big.id, opts).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "LocalFileError", code: "ENOSPC" });
    // No blob, no index, no temp file, no lock: only the empty folders.
    const left = await readdir(opts.cacheDir, { recursive: true });
    expect(left.sort()).toEqual(["blobs", "locks", "refs", "tmp"]);
    expect(await listCachedKv(opts)).toEqual([]);
    await expect(fetchCache(small.id, opts)).resolves.toMatchObject({ sha256: small.checksum, downloaded: true });
    expect((await listCachedKv(opts)).map((e) => e.ref)).toEqual([small.id]);
  });
});
