import { mkdir, stat, utimes } from "node:fs/promises";
import { CacheMissError } from "../errors/cache-miss-error.js";
import { readSidecar, sidecarPath } from "../kv/sidecar.js";
import type { CachedKv, FetchCacheOptions } from "./cache-dir-options.js";
import type { CacheLayout } from "./cache-layout.js";
import { checkBlob } from "./check-blob.js";
import { downloadToBlob } from "./download-to-blob.js";
import { fetchLocalKv } from "./fetch-local-kv.js";
import { parseCacheRef, type CacheRef } from "./parse-cache-ref.js";
import { probeRef, type RefProbe } from "./probe-ref.js";
import { readRefIndex, writeRefIndex, type RefIndex } from "./ref-index.js";
import { removeBlobIfUnreferenced } from "./remove-blob-if-unreferenced.js";
import { resolveCacheSettings } from "./resolve-cache-settings.js";
import { withRefLock } from "./with-ref-lock.js";

type RemoteRef = Exclude<CacheRef, { kind: "path" }>;

/**
 * A verified local `.kv` for a reference (an artifact id, a public CDN URL, `org/project/id`, or a local path),
 * downloading it into the cache directory only when the directory does not already hold those bytes. A reference
 * already present costs no request; two processes fetching the same reference download it once (see
 * docs/cache-directory.md). The returned path has its sidecar (recording `sha256`) and a verification record beside
 * it, so the runtime does not hash it again.
 * @throws {CacheMissError} offline (`KVCDN_OFFLINE=1` or `offline: true`) when the directory lacks the reference.
 * @example const { path } = await fetchCache("dev/default/3f1c…"); await resumeFromCache({ model, kv: path, question })
 */
export async function fetchCache(ref: string, options: FetchCacheOptions = {}): Promise<CachedKv> {
  const settings = resolveCacheSettings(options);
  const parsed = parseCacheRef(ref, settings.context);
  if (parsed.kind === "path") return fetchLocalKv(parsed, options.signal);
  const { layout } = settings;
  const indexPath = layout.refIndexPath(parsed.key);

  const present = await presentEntry(layout, indexPath, options.signal);
  if (present !== undefined && (options.revalidate !== true || settings.offline)) return used(layout, indexPath, present, parsed, false);
  if (settings.offline) {
    throw new CacheMissError(`${parsed.given} is not in the cache directory ${layout.root}, and offline mode (KVCDN_OFFLINE) forbids fetching it`, {
      ref: parsed.given,
      cacheDir: layout.root,
    });
  }

  await Promise.all([layout.blobs, layout.refs, layout.locks, layout.tmp].map((d) => mkdir(d, { recursive: true })));
  return withRefLock(
    layout.lockPath(parsed.key),
    async () => {
      // Whoever held the lock before us may have fetched it: then there is nothing left to ask the service.
      const before = await presentEntry(layout, indexPath, options.signal);
      if (before !== undefined && options.revalidate !== true) return used(layout, indexPath, before, parsed, false);
      // A client without an API key makes no API call: a URL is then fetched from the CDN alone.
      const client = settings.client();
      const probe = await probeRef(parsed, client, options);
      if (before !== undefined && probe.sha256 === before.sha256) return used(layout, indexPath, before, parsed, false);

      const download = (expectedSha256: string | undefined) =>
        downloadToBlob({
          layout,
          client,
          source: parsed.kind === "id" ? parsed.id : parsed.url,
          expectedSha256,
          recordMatches: parsed.kind === "id" || probe.artifact !== undefined,
          options,
        });
      let sha256 = probe.sha256;
      let downloaded = false;
      const reusable = sha256 !== undefined && ["verified", "rehashed"].includes(await checkBlob(layout, sha256, options.signal));
      if (!reusable) {
        sha256 = await download(sha256);
        downloaded = true;
      }
      const index = await indexFor(layout, parsed, sha256 as string, probe.artifact);
      await writeRefIndex(indexPath, index);
      // A prune may have removed a blob we reused between our check and the index write (nothing pointed to it then);
      // the index protects it from now on, so fetching it once more settles it.
      if (!downloaded && !(await exists(layout.blobPath(index.sha256)))) {
        await download(index.sha256);
        downloaded = true;
      }
      // The reference names other bytes now: the old ones go unless another reference still points to them.
      if (before !== undefined && before.sha256 !== index.sha256) await removeBlobIfUnreferenced(layout, before.sha256);
      return used(layout, indexPath, index, parsed, downloaded);
    },
    { signal: options.signal },
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The index entry of a reference whose blob is present and verified (a damaged blob is removed, and counts as absent). */
async function presentEntry(layout: CacheLayout, indexPath: string, signal: AbortSignal | undefined): Promise<RefIndex | undefined> {
  const index = await readRefIndex(indexPath);
  if (index === undefined) return undefined;
  const state = await checkBlob(layout, index.sha256, signal);
  return state === "verified" || state === "rehashed" ? index : undefined;
}

/** Mark the reference used (its index file's mtime: no rewrite, no fsync) and describe the blob. */
async function used(layout: CacheLayout, indexPath: string, index: RefIndex, ref: RemoteRef, downloaded: boolean): Promise<CachedKv> {
  const now = new Date();
  await utimes(indexPath, now, now).catch(() => undefined);
  const path = layout.blobPath(index.sha256);
  return {
    path,
    sidecarPath: sidecarPath(path),
    sha256: index.sha256,
    sizeBytes: index.size_bytes,
    ref: ref.given,
    kind: ref.kind,
    artifactId: index.artifact_id ?? undefined,
    downloaded,
  };
}

async function indexFor(layout: CacheLayout, ref: RemoteRef, sha256: string, artifact: RefProbe["artifact"]): Promise<RefIndex> {
  const path = layout.blobPath(sha256);
  const [info, sidecar] = await Promise.all([stat(path), readSidecar(path)]);
  return {
    v: 1,
    ref: ref.given,
    kind: ref.kind,
    key: ref.key,
    artifact_id: ref.kind === "id" ? ref.id : (ref.id ?? null),
    url: ref.kind === "url" ? ref.url : null,
    api_url: ref.kind === "id" ? ref.apiUrl : null,
    sha256,
    size_bytes: info.size,
    model_name: sidecar?.model_name ?? "unknown",
    num_tokens: sidecar?.num_tokens ?? 0,
    fetched_at: new Date().toISOString(),
    artifact: artifact === undefined ? null : (artifact as unknown as Record<string, unknown>),
  };
}

