import { mkdir, unlink } from "node:fs/promises";
import type { CacheDirOptions } from "./cache-dir-options.js";
import type { CacheLayout } from "./cache-layout.js";
import { toEntry, type CachedKvEntry } from "./list-cached-kv.js";
import { parseCacheRef } from "./parse-cache-ref.js";
import { readAllRefIndexes, readRefIndex, type RefIndex } from "./ref-index.js";
import { removeBlobIfUnreferenced } from "./remove-blob-if-unreferenced.js";
import { resolveCacheSettings } from "./resolve-cache-settings.js";
import { withRefLock } from "./with-ref-lock.js";

/** What removing a reference did. */
export interface RemovedCachedKv {
  /** The entry removed, or undefined when the directory did not hold the reference. */
  removed: CachedKvEntry | undefined;
  /** Bytes freed: the blob's size when no other reference shared it, else 0. */
  freedBytes: number;
}

/**
 * Remove a reference from the cache directory; its blob goes too unless another reference still points to it.
 * `ref` is a reference as `fetchCache` takes it, or an entry's `ref` or `key` as `listCachedKv` shows it.
 * @example const { freedBytes } = await removeCachedKv("dev/default/3f1c…")
 */
export async function removeCachedKv(ref: string, options: CacheDirOptions = {}): Promise<RemovedCachedKv> {
  const { layout, context } = resolveCacheSettings({ ...options, offline: true });
  const parsed = parseCacheRef(ref, context);
  let key = parsed.kind === "path" ? undefined : parsed.key;
  if (key === undefined || (await readRefIndex(layout.refIndexPath(key))) === undefined) {
    // Entries made under another API URL, or named as `cache ls` prints them.
    key = (await readAllRefIndexes(layout)).find((i) => i.ref === ref.trim() || i.key === ref.trim())?.key;
  }
  if (key === undefined) return { removed: undefined, freedBytes: 0 };
  return removeEntry(layout, key);
}

/** Remove the index `refs/<key>.json` under its lock, then its blob if nothing else points to it. */
export async function removeEntry(layout: CacheLayout, key: string, signal?: AbortSignal): Promise<RemovedCachedKv> {
  await mkdir(layout.locks, { recursive: true });
  return withRefLock(
    layout.lockPath(key),
    async () => {
      const path = layout.refIndexPath(key);
      const index: (RefIndex & { lastUsedMs: number }) | undefined = await readRefIndex(path);
      if (index === undefined) return { removed: undefined, freedBytes: 0 };
      await unlink(path).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      });
      const freedBytes = await removeBlobIfUnreferenced(layout, index.sha256);
      return { removed: toEntry(layout.blobPath(index.sha256), index), freedBytes };
    },
    { signal },
  );
}
