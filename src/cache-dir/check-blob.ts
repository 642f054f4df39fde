import { stat, unlink } from "node:fs/promises";
import { isVerified, recordVerification, verificationRecordPath } from "../kv/verification-record.js";
import { readSidecar, sidecarPath } from "../kv/sidecar.js";
import { sha256File } from "../util/sha256-file.js";
import type { CacheLayout } from "./cache-layout.js";

/** What a blob check found: good bytes (`rehashed` when its record no longer held), nothing, or bad bytes (now removed). */
export type BlobState = "verified" | "rehashed" | "missing" | "corrupt";

/**
 * Check `blobs/<sha256>.kv` and its sidecar. While the verification record matches the file (size, mtime, inode) the
 * bytes are trusted without reading them; otherwise they are hashed again. Bytes that no longer hash to their name,
 * or a sidecar that does not describe them, are removed so the next fetch downloads them again.
 */
export async function checkBlob(layout: CacheLayout, sha256: string, signal?: AbortSignal): Promise<BlobState> {
  const path = layout.blobPath(sha256);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) return "missing";
  const sidecar = await readSidecar(path).catch(() => undefined);
  if (sidecar?.sha256 !== sha256 || sidecar.nbytes !== info.size) {
    await removeBlobFiles(layout, sha256);
    return "corrupt";
  }
  if (await isVerified(path, sha256)) return "verified";
  const digest = await sha256File(path, { signal });
  if (digest.sha256 !== sha256) {
    await removeBlobFiles(layout, sha256);
    return "corrupt";
  }
  await recordVerification(path, sha256);
  return "rehashed";
}

/** Remove a blob, its sidecar and its verification record (whatever of them exists); returns the blob's size. */
export async function removeBlobFiles(layout: CacheLayout, sha256: string): Promise<number> {
  const path = layout.blobPath(sha256);
  const size = (await stat(path).catch(() => undefined))?.size ?? 0;
  // The blob goes first: a sidecar or record without a blob is harmless, a blob without its sidecar is refetched.
  await unlink(path).catch(() => undefined);
  await unlink(sidecarPath(path)).catch(() => undefined);
  await unlink(verificationRecordPath(path)).catch(() => undefined);
  return size;
}
