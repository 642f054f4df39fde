import { join } from "node:path";

/**
 * The paths inside a cache directory (see docs/cache-directory.md):
 * `blobs/<sha256>.kv` (+ `.kv.json` sidecar, + `.kv.verified.json` record), `refs/<key>.json` (one index per
 * reference), `locks/<key>.lock` (held while a reference is fetched) and `tmp/` (downloads in progress).
 */
export interface CacheLayout {
  /** The cache directory itself (absolute). */
  root: string;
  blobs: string;
  refs: string;
  locks: string;
  tmp: string;
  /** `blobs/<sha256>.kv`: the bytes, named by their SHA-256; the sidecar is this path plus `.json`. */
  blobPath(sha256: string): string;
  /** `refs/<key>.json`: what one reference resolved to. */
  refIndexPath(key: string): string;
  /** `locks/<key>.lock`: held by the process fetching that reference. */
  lockPath(key: string): string;
}

/** The layout of the cache directory at `root` (nothing is created). */
export function cacheLayout(root: string): CacheLayout {
  const blobs = join(root, "blobs");
  const refs = join(root, "refs");
  const locks = join(root, "locks");
  return {
    root,
    blobs,
    refs,
    locks,
    tmp: join(root, "tmp"),
    blobPath: (sha256) => join(blobs, `${sha256}.kv`),
    refIndexPath: (key) => join(refs, `${key}.json`),
    lockPath: (key) => join(locks, `${key}.lock`),
  };
}
