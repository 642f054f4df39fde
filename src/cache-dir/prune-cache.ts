import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { CacheDirOptions } from "./cache-dir-options.js";
import type { CacheLayout } from "./cache-layout.js";
import { removeBlobFiles } from "./check-blob.js";
import { toEntry, type CachedKvEntry } from "./list-cached-kv.js";
import { readAllRefIndexes } from "./ref-index.js";
import { removeEntry } from "./remove-cached-kv.js";
import { resolveCacheSettings } from "./resolve-cache-settings.js";
import { isProcessAlive } from "./is-process-alive.js";

/** Blobs without a reference and leftovers in `tmp/` younger than this are kept: a fetch may be storing them now. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

/** Options of {@link pruneCache}. */
export interface PruneCacheOptions extends CacheDirOptions {
  /** Remove least recently used references until the blobs take at most this many bytes. @default no limit */
  maxSizeBytes?: number | undefined;
  /** Remove references not used for longer than this, in milliseconds. @default no limit */
  olderThanMs?: number | undefined;
  /** Report what would go without removing anything. @default false */
  dryRun?: boolean | undefined;
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: (() => number) | undefined;
}

/** What a prune removed (or would remove, with `dryRun`). */
export interface PruneResult {
  /** The references removed, least recently used first. */
  removed: CachedKvEntry[];
  /** Bytes freed (blobs no reference points to any more, and leftovers). */
  freedBytes: number;
  /** Bytes the remaining blobs take. */
  keptBytes: number;
}

/**
 * Shrink the cache directory: references unused for longer than `olderThanMs` go, then the least recently used until
 * the blobs fit in `maxSizeBytes`. A blob goes with the last reference to it. Blobs no reference points to and
 * downloads abandoned in `tmp/` (by a crash) go once they are an hour old.
 * @example await pruneCache({ maxSizeBytes: 10 * 1024 ** 3, olderThanMs: 30 * 86_400_000 })
 */
export async function pruneCache(options: PruneCacheOptions = {}): Promise<PruneResult> {
  const { layout } = resolveCacheSettings({ ...options, offline: true });
  const now = (options.now ?? Date.now)();
  const entries = (await readAllRefIndexes(layout)).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  const refsPerBlob = new Map<string, number>();
  const blobSize = new Map<string, number>();
  for (const e of entries) {
    refsPerBlob.set(e.sha256, (refsPerBlob.get(e.sha256) ?? 0) + 1);
    blobSize.set(e.sha256, e.size_bytes);
  }
  let keptBytes = [...blobSize.values()].reduce((a, b) => a + b, 0);
  const doomed: typeof entries = [];
  for (const e of entries) {
    const tooOld = options.olderThanMs !== undefined && now - e.lastUsedMs > options.olderThanMs;
    const tooBig = options.maxSizeBytes !== undefined && keptBytes > options.maxSizeBytes;
    if (!tooOld && !tooBig) continue;
    doomed.push(e);
    const left = (refsPerBlob.get(e.sha256) ?? 1) - 1;
    refsPerBlob.set(e.sha256, left);
    if (left === 0) keptBytes -= e.size_bytes;
  }
  const removed = doomed.map((e) => toEntry(layout.blobPath(e.sha256), e));
  if (options.dryRun === true) {
    return { removed, freedBytes: [...blobSize.values()].reduce((a, b) => a + b, 0) - keptBytes, keptBytes };
  }
  let freedBytes = 0;
  for (const e of doomed) freedBytes += (await removeEntry(layout, e.key)).freedBytes;
  freedBytes += await removeLeftovers(layout, now);
  return { removed, freedBytes, keptBytes };
}

/**
 * Blobs no index points to, and `tmp/` folders of processes no longer running, older than {@link ORPHAN_GRACE_MS}: what
 * crashed fetches leave.
 */
async function removeLeftovers(layout: CacheLayout, now: number): Promise<number> {
  let freed = 0;
  const referenced = new Set((await readAllRefIndexes(layout)).map((i) => i.sha256));
  for (const name of await readdir(layout.blobs).catch(() => [] as string[])) {
    const sha = /^([0-9a-f]{64})\.kv$/.exec(name)?.[1];
    if (sha === undefined || referenced.has(sha)) continue;
    const info = await stat(join(layout.blobs, name)).catch(() => undefined);
    if (info !== undefined && now - info.mtimeMs > ORPHAN_GRACE_MS) freed += await removeBlobFiles(layout, sha);
  }
  for (const name of await readdir(layout.tmp).catch(() => [] as string[])) {
    const path = join(layout.tmp, name);
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (Number.isSafeInteger(pid) && isProcessAlive(pid)) continue; // a long download still running
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && now - info.mtimeMs > ORPHAN_GRACE_MS) {
      freed += await folderBytes(path);
      await rm(path, { recursive: true, force: true });
    }
  }
  return freed;
}


async function folderBytes(path: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += (await stat(join(path, name)).catch(() => undefined))?.size ?? 0;
  return total;
}
