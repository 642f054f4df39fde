/** The consumer's cache directory: fetch a `.kv` by reference once, verified once, reused offline (see docs/cache-directory.md). */
export { fetchCache } from "./fetch-cache.js";
export type { CacheDirOptions, CachedKv, FetchCacheOptions } from "./cache-dir-options.js";
export { listCachedKv, type CachedKvEntry } from "./list-cached-kv.js";
export { removeCachedKv, type RemovedCachedKv } from "./remove-cached-kv.js";
export { pruneCache, ORPHAN_GRACE_MS, type PruneCacheOptions, type PruneResult } from "./prune-cache.js";
