import type { FetchCacheOptions } from "../cache-dir/cache-dir-options.js";

/**
 * A cache named by reference (an artifact id, a public CDN URL, `org/project/id` or a `.kv` path), fetched through the
 * cache directory (see docs/cache-directory.md) before it is loaded.
 * @example await resumeFromCache({ model, kv: { ref: "dev/default/3f1c…" }, question })
 */
export interface KvRef {
  /** The reference, as `fetchCache` takes it. */
  ref: string;
  /** How to fetch it (cache directory, client, offline mode …). @default fetchCache's defaults */
  fetch?: FetchCacheOptions | undefined;
}

/** True for a {@link KvRef}. */
export function isKvRef(kv: unknown): kv is KvRef {
  return typeof kv === "object" && kv !== null && typeof (kv as { ref?: unknown }).ref === "string";
}

/**
 * The local path of a reference's verified `.kv`, fetching it into the cache directory if needed. The cache-directory
 * code loads only when a reference is used, so plain paths keep this entry light.
 */
export async function fetchKvRef(kv: KvRef, signal?: AbortSignal): Promise<string> {
  const { fetchCache } = await import("../cache-dir/fetch-cache.js");
  const options = { ...kv.fetch, ...(signal && !kv.fetch?.signal ? { signal } : {}) };
  return (await fetchCache(kv.ref, options)).path;
}
