import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Artifact, KvcdnClient } from "../../src/index.js";
import type { LocalStore } from "../../src/local-store/index.js";
import { startHarness } from "../transfer/store-harness.js";
import { writeKvFixture } from "../transfer/kv-fixture.js";

/** A local store with fault injection, a client for its dev key, a scratch folder and an empty cache directory. */
export interface CacheHarness {
  store: LocalStore;
  client: KvcdnClient;
  dir: string;
  cacheDir: string;
  /** Write a small `.kv` (+ sidecar) and upload it; returns the ready artifact. */
  publish: (params: { name: string; seed: number; tokens?: number; layers?: number; headDim?: number; visibility?: "private" | "public" }) => Promise<Artifact>;
  /** Every file under the cache directory, relative, sorted. */
  files: () => Promise<string[]>;
  close: () => Promise<void>;
}

export async function startCacheHarness(): Promise<CacheHarness> {
  const { store, client, dir, close } = await startHarness({}, { limit: 2, delay: () => 1 });
  const cacheDir = join(dir, "cache");
  return {
    store,
    client,
    dir,
    cacheDir,
    publish: async ({ name, seed, tokens = 16, layers = 2, headDim = 8, visibility = "private" }) => {
      const file = join(dir, `${name}.kv`);
      await writeKvFixture(file, { layers, tokens, headDim, seed });
      return client.upload(file, { name, visibility });
    },
    files: async () => {
      const all = await readdir(cacheDir, { recursive: true, withFileTypes: true }).catch(() => []);
      return all.filter((e) => e.isFile()).map((e) => relative(cacheDir, join(e.parentPath, e.name))).sort();
    },
    close,
  };
}
