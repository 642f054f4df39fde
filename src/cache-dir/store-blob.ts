import { link, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { fsyncDir, writeFileAtomic } from "../kv/fs/atomic-file.js";
import { asLocalFileError } from "../util/as-local-file-error.js";
import { isVerified, recordVerification } from "../kv/verification-record.js";
import { readSidecar, sidecarPath } from "../kv/sidecar.js";
import type { CacheLayout } from "./cache-layout.js";
import { checkBlob } from "./check-blob.js";

/**
 * Move verified bytes (`tempKv`, hashed to `sha256` while downloading) into `blobs/<sha256>.kv`: the sidecar first,
 * then the blob by `link`, which never replaces an existing name, so two processes storing the same bytes keep one
 * blob (and its verification record stays valid), and the directory is fsynced so the new name survives a crash; then
 * the verification record. The temp file is left to the caller.
 */
export async function storeBlob(layout: CacheLayout, tempKv: string, sha256: string, sidecarText: string): Promise<string> {
  const blob = layout.blobPath(sha256);
  const existingSidecar = await readSidecar(blob).catch(() => undefined);
  if (existingSidecar?.sha256 !== sha256) {
    await writeFileAtomic(sidecarPath(blob), (file) => file.write(Buffer.from(sidecarText, "utf8")));
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await link(tempKv, blob);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") {
        const state = await checkBlob(layout, sha256);
        if (state === "verified" || state === "rehashed") return blob;
        // The existing blob was damaged and is gone now (with its sidecar): put ours, sidecar first, in its place.
        if (attempt > 2) throw asLocalFileError(e, blob, "store");
        await writeFileAtomic(sidecarPath(blob), (file) => file.write(Buffer.from(sidecarText, "utf8")));
        continue;
      }
      if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "EMLINK") {
        // A file system without hard links: rename is atomic too, it only may replace a concurrent writer's equal bytes.
        await rename(tempKv, blob).catch((err: unknown) => {
          throw asLocalFileError(err, blob, "store");
        });
        break;
      }
      throw asLocalFileError(e, blob, "store");
    }
  }
  await fsyncDir(dirname(blob));
  if (!(await isVerified(blob, sha256))) await recordVerification(blob, sha256);
  return blob;
}
