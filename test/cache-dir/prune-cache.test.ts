import { stat, utimes } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetchCache, listCachedKv, pruneCache, removeCachedKv } from "../../src/index.js";
import { cacheLayout } from "../../src/cache-dir/cache-layout.js";
import { startCacheHarness, type CacheHarness } from "./harness.js";

let h: CacheHarness;
beforeEach(async () => {
  h = await startCacheHarness();
});
afterEach(async () => {
  await h.close();
});

const opts = () => ({ client: h.client, cacheDir: h.cacheDir, env: {} });
const DAY_MS = 86_400_000;

/** Pretend a reference was last used `daysAgo` days ago (its index file's mtime is its last use). */
async function lastUsed(key: string, daysAgo: number): Promise<void> {
  const t = new Date(Date.now() - daysAgo * DAY_MS);
  await utimes(cacheLayout(h.cacheDir).refIndexPath(key), t, t);
}

describe("listCachedKv, removeCachedKv, pruneCache", () => {
  it("lists references least recently used first with model, tokens, size and last use", async () => {
    const a = await h.publish({ name: "a", seed: 1, tokens: 8 });
    const b = await h.publish({ name: "b", seed: 2, tokens: 24 });
    await fetchCache(a.id, opts());
    await fetchCache(b.id, opts());
    const [ea, eb] = await listCachedKv(opts());
    await lastUsed(eb!.key, 3);
    const listed = await listCachedKv(opts());
    expect(listed.map((e) => e.ref)).toEqual([b.id, a.id]);
    expect(listed[0]).toMatchObject({ kind: "id", artifactId: b.id, modelName: "Qwen/Qwen3-0.6B", numTokens: 24, sizeBytes: b.size_bytes, sha256: b.checksum });
    expect(Date.now() - listed[0]!.lastUsedAt.getTime()).toBeGreaterThan(2 * DAY_MS);
    // Using a reference makes it the most recent.
    await fetchCache(b.id, opts());
    expect((await listCachedKv(opts())).map((e) => e.ref)).toEqual([a.id, b.id]);
    expect(ea?.path).toContain("blobs");
  });

  it("rm removes a blob only when no other reference points to it", async () => {
    const p = await h.publish({ name: "shared", seed: 3, visibility: "public" });
    const url = `${h.store.cdnUrl}/dev/default/${p.id}`;
    const byId = await fetchCache(p.id, opts());
    await fetchCache(url, opts());
    await expect(removeCachedKv(p.id, opts())).resolves.toMatchObject({ removed: { ref: p.id }, freedBytes: 0 });
    expect((await stat(byId.path)).size).toBe(p.size_bytes);
    await expect(removeCachedKv(url, opts())).resolves.toMatchObject({ removed: { ref: url }, freedBytes: p.size_bytes });
    await expect(stat(byId.path)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(removeCachedKv(url, opts())).resolves.toEqual({ removed: undefined, freedBytes: 0 });
    expect((await h.files()).filter((f) => !f.startsWith("locks/") && !f.startsWith("tmp/"))).toEqual([]);
  });

  it("prune --max-size removes least recently used first; --older-than removes what was not used for that long", async () => {
    const arts = [];
    for (let i = 0; i < 4; i++) arts.push(await h.publish({ name: `p${i}`, seed: 10 + i, tokens: 16 }));
    for (const a of arts) await fetchCache(a.id, opts());
    const entries = await listCachedKv(opts());
    const keyOf = (id: string) => entries.find((e) => e.ref === id)!.key;
    // Last use: p2 oldest (40 days), then p0 (20), p3 (10), p1 (1).
    await lastUsed(keyOf(arts[2]!.id), 40);
    await lastUsed(keyOf(arts[0]!.id), 20);
    await lastUsed(keyOf(arts[3]!.id), 10);
    await lastUsed(keyOf(arts[1]!.id), 1);
    const size = arts[0]!.size_bytes!;

    const dry = await pruneCache({ ...opts(), olderThanMs: 30 * DAY_MS, dryRun: true });
    expect(dry.removed.map((e) => e.ref)).toEqual([arts[2]!.id]);
    expect((await listCachedKv(opts())).length).toBe(4);

    const old = await pruneCache({ ...opts(), olderThanMs: 30 * DAY_MS });
    expect(old).toMatchObject({ freedBytes: size, keptBytes: 3 * size });
    expect(old.removed.map((e) => e.ref)).toEqual([arts[2]!.id]);

    const fit = await pruneCache({ ...opts(), maxSizeBytes: size + 1 });
    expect(fit.removed.map((e) => e.ref)).toEqual([arts[0]!.id, arts[3]!.id]);
    expect(fit).toMatchObject({ freedBytes: 2 * size, keptBytes: size });
    expect((await listCachedKv(opts())).map((e) => e.ref)).toEqual([arts[1]!.id]);
    const blobs = (await h.files()).filter((f) => f.startsWith("blobs/") && f.endsWith(".kv"));
    expect(blobs).toEqual([`blobs/${arts[1]!.checksum}.kv`]);
  });
});
