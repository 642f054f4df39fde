import { stat } from "node:fs/promises";
import { IntegrityError } from "../errors/integrity-error.js";
import { LocalFileError } from "../errors/local-file-error.js";
import { isVerified, recordVerification } from "../kv/verification-record.js";
import { readKvMetadata } from "../kv/read-kv-metadata.js";
import { sidecarPath } from "../kv/sidecar.js";
import { sha256File } from "../util/sha256-file.js";
import type { CachedKv } from "./cache-dir-options.js";
import type { CacheRef } from "./parse-cache-ref.js";

/**
 * A local `.kv` given as a reference: used in place (never copied into the directory), checked against the SHA-256
 * its sidecar records unless a verification record vouches for it. A successful check is recorded beside the file, as
 * `readKv` does, so the runtime does not hash it again (a read-only folder only costs that saving).
 */
export async function fetchLocalKv(ref: Extract<CacheRef, { kind: "path" }>, signal?: AbortSignal): Promise<CachedKv> {
  const info = await stat(ref.path).catch((e: unknown) => {
    throw new LocalFileError(`No such .kv file: ${ref.path}`, ref.path, { code: (e as NodeJS.ErrnoException).code ?? "ENOENT", cause: e });
  });
  if (!info.isFile()) throw new LocalFileError(`Not a file: ${ref.path}`, ref.path, { code: "EISDIR" });
  const metadata = await readKvMetadata(ref.path);
  let sha256 = metadata.sha256;
  if (sha256 !== undefined && !(await isVerified(ref.path, sha256))) {
    const digest = await sha256File(ref.path, { signal });
    if (digest.sha256 !== sha256) {
      throw new IntegrityError(`${ref.path} does not match its sidecar: sha256 ${digest.sha256}, sidecar says ${sha256}`, {
        expected: sha256,
        actual: digest.sha256,
        path: ref.path,
      });
    }
    await recordVerification(ref.path, sha256).catch(() => undefined);
  }
  sha256 ??= (await sha256File(ref.path, { signal })).sha256;
  return {
    path: ref.path,
    sidecarPath: sidecarPath(ref.path),
    sha256,
    sizeBytes: info.size,
    ref: ref.given,
    kind: "path",
    artifactId: undefined,
    downloaded: false,
  };
}
