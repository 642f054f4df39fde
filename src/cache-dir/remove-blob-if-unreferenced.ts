import type { CacheLayout } from "./cache-layout.js";
import { removeBlobFiles } from "./check-blob.js";
import { readAllRefIndexes } from "./ref-index.js";

/**
 * Remove `blobs/<sha256>.kv` (with its sidecar and record) when no reference of the directory points to it any more;
 * blobs shared by several references stay until the last one goes. Returns the bytes freed.
 */
export async function removeBlobIfUnreferenced(layout: CacheLayout, sha256: string): Promise<number> {
  const indexes = await readAllRefIndexes(layout);
  if (indexes.some((i) => i.sha256 === sha256)) return 0;
  return removeBlobFiles(layout, sha256);
}
