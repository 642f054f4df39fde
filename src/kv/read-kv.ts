import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { decodeKv, type DecodeKvOptions, type ReadKvResult } from "./decode-kv.js";
import { openForRead } from "./fs/local-file.js";
import { readPieces } from "./fs/read-exactly.js";
import type { KvCache, KvDtype } from "./kv-cache.js";
import { readHeaderFrom, withPath } from "./safetensors/read-safetensors-header.js";
import type { SafetensorsHeader } from "./safetensors/types.js";
import { readSidecar } from "./sidecar.js";
import { readVerification, recordMatches, recordVerification, sameFileIdentity, type FileIdentity } from "./verification-record.js";
import { widenKvToF32 } from "./widen-in-parallel.js";

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
 * mtime and inode) with that digest: then the bytes are not hashed again. Widening a large F16 or BF16 file to F32
 * runs on two threads (a helper thread takes half of the tensors).
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
  let widenFrom: "F16" | "BF16" | undefined;
  try {
    const header = await readHeaderFrom(handle, path, options.signal);
    widenFrom = options.dtype === "F32" ? wideningSource(header) : undefined;
    // Every byte is read before use (a short file is an error), so the memory need not be zeroed first.
    bytes = new Uint8Array(Buffer.allocUnsafeSlow(header.fileSize).buffer, 0, header.fileSize);
    await withPath(path, () => readPieces(handle, [{ target: bytes, position: 0 }], hash, options.signal, path));
    // The record was checked against the path before opening; the bytes read are trusted only if the open file is
    // still the one recorded (a rename or rewrite in between makes the record stale, and the bytes are hashed).
    if (trusted || hash !== undefined) identity = await handle.stat({ bigint: true });
    if (trusted) unchanged = recordMatches(identity!, record);
  } finally {
    await handle.close();
  }
  const computedSha256 = hash?.digest("hex") ?? (trusted && unchanged ? record.sha256 : undefined);
  const decodeOptions = { ...options, ...(widenFrom !== undefined ? { dtype: widenFrom } : {}) } as ReadKvOptions<D>;
  const result = await withPath(path, async () =>
    decodeKv(bytes, { ...decodeOptions, sidecar, path, ...(computedSha256 !== undefined ? { computedSha256 } : {}) }),
  );
  if (widenFrom !== undefined) result.cache = (await widenKvToF32(result.cache as KvCache<"F16" | "BF16">, widenFrom)) as KvCache<D>;
  if (hash !== undefined && computedSha256 !== undefined && identity !== undefined && options.recordVerification !== false) {
    // decodeKv has checked computedSha256 against the sidecar: record it for the next reader, unless the path no
    // longer names the file that was hashed (recordVerification ties the record to the path's identity).
    await stat(path, { bigint: true })
      .then((now) => (sameFileIdentity(now, identity!) ? recordVerification(path, computedSha256) : undefined))
      .catch(() => undefined);
  }
  return result;
}

/** The dtype of a file whose tensors are all F16 or all BF16 (widened after decoding, on two threads when large). */
function wideningSource(header: SafetensorsHeader): "F16" | "BF16" | undefined {
  const dtypes = new Set([...header.tensors.values()].map((t) => t.dtype));
  const [only] = dtypes;
  return dtypes.size === 1 && (only === "F16" || only === "BF16") ? only : undefined;
}
