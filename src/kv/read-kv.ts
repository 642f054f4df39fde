import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { decodeKv, type DecodeKvOptions, type ReadKvResult } from "./decode-kv.js";
import { openForRead } from "./fs/local-file.js";
import { readExactly, readExactlyHashing } from "./fs/read-exactly.js";
import type { KvDtype } from "./kv-cache.js";
import { readHeaderFrom, withPath } from "./safetensors/read-safetensors-header.js";
import { readSidecar } from "./sidecar.js";
import { readVerification, recordMatches, recordVerification, sameFileIdentity, type FileIdentity } from "./verification-record.js";

/** Options of {@link readKv}. */
export type ReadKvOptions<D extends KvDtype = KvDtype> = DecodeKvOptions<D> & {
  /** Abort the read. */
  signal?: AbortSignal;
  /**
   * After hashing the file and finding the sidecar's `sha256`, write a verification record (`<file>.verified.json`)
   * so the next read skips the hash while the file is unchanged. Best effort: a read-only folder only costs the next
   * read its hash. @default true
   */
  recordVerification?: boolean;
};

/**
 * Load a `.kv` file and its sidecar (kvcdn-cli `load_kv`); see {@link decodeKv}. The header is validated before the
 * file-sized buffer is allocated. The sidecar's `sha256` is checked while reading, unless a verification record
 * (`<file>.verified.json`, written by a verified download or an earlier read) still describes the file (same size,
 * mtime and inode) with that digest: then the bytes are not hashed again.
 * @example const { cache, metadata } = await readKv("ctx.kv")
 */
export async function readKv<D extends KvDtype = KvDtype>(path: string, options: ReadKvOptions<D> = {}): Promise<ReadKvResult<D>> {
  const sidecar = await readSidecar(path);
  const expected = options.verifySha256 !== false ? sidecar?.sha256 : undefined;
  const record = expected !== undefined ? await readVerification(path) : undefined;
  const trusted = record !== undefined && record.sha256 === expected;
  const handle = await openForRead(path);
  // When the sidecar's sha256 must be checked, hash while reading instead of in a second pass over the bytes.
  const hash = expected !== undefined && !trusted ? createHash("sha256") : undefined;
  let bytes: Uint8Array;
  let unchanged = true;
  let identity: FileIdentity | undefined;
  try {
    const header = await readHeaderFrom(handle, path, options.signal);
    bytes = new Uint8Array(header.fileSize);
    await withPath(path, () =>
      hash === undefined ? readExactly(handle, bytes, 0, options.signal, path) : readExactlyHashing(handle, bytes, 0, hash, options.signal, path),
    );
    // The record was checked against the path before opening; the bytes read are trusted only if the open file is
    // still the one recorded (a rename or rewrite in between makes the record stale, and the bytes are hashed).
    if (trusted || hash !== undefined) identity = await handle.stat({ bigint: true });
    if (trusted) unchanged = recordMatches(identity!, record);
  } finally {
    await handle.close();
  }
  const computedSha256 = hash?.digest("hex") ?? (trusted && unchanged ? record.sha256 : undefined);
  const result = await withPath(path, async () =>
    decodeKv(bytes, { ...options, sidecar, path, ...(computedSha256 !== undefined ? { computedSha256 } : {}) }),
  );
  if (hash !== undefined && computedSha256 !== undefined && identity !== undefined && options.recordVerification !== false) {
    // decodeKv has checked computedSha256 against the sidecar: record it for the next reader, unless the path no
    // longer names the file that was hashed (recordVerification ties the record to the path's identity).
    await stat(path, { bigint: true })
      .then((now) => (sameFileIdentity(now, identity!) ? recordVerification(path, computedSha256) : undefined))
      .catch(() => undefined);
  }
  return result;
}
