import type { CacheDirOptions } from "./cache-dir-options.js";
import { readAllRefIndexes, type RefIndex } from "./ref-index.js";
import { resolveCacheSettings } from "./resolve-cache-settings.js";

/** One reference held by the cache directory. */
export interface CachedKvEntry {
  /** The reference as first given. */
  ref: string;
  kind: "id" | "url";
  /** Its key (the index is `refs/<key>.json`). */
  key: string;
  artifactId: string | undefined;
  /** The `.kv` it resolves to (`blobs/<sha256>.kv`). */
  path: string;
  sha256: string;
  sizeBytes: number;
  modelName: string;
  numTokens: number;
  /** When the bytes were fetched. */
  fetchedAt: Date;
  /** When a program last fetched or used the reference. */
  lastUsedAt: Date;
}

/**
 * Every reference in the cache directory, least recently used first.
 * @example for (const e of await listCachedKv()) console.log(e.ref, e.modelName, e.numTokens, e.sizeBytes)
 */
export async function listCachedKv(options: CacheDirOptions = {}): Promise<CachedKvEntry[]> {
  const { layout } = resolveCacheSettings({ ...options, offline: true });
  const indexes = await readAllRefIndexes(layout);
  return indexes.map((i) => toEntry(layout.blobPath(i.sha256), i)).sort((a, b) => a.lastUsedAt.getTime() - b.lastUsedAt.getTime());
}

/** The public view of an index. */
export function toEntry(path: string, index: RefIndex & { lastUsedMs: number }): CachedKvEntry {
  return {
    ref: index.ref,
    kind: index.kind,
    key: index.key,
    artifactId: index.artifact_id ?? undefined,
    path,
    sha256: index.sha256,
    sizeBytes: index.size_bytes,
    modelName: index.model_name,
    numTokens: index.num_tokens,
    fetchedAt: new Date(index.fetched_at),
    lastUsedAt: new Date(index.lastUsedMs),
  };
}
