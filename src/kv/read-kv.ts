import { createHash } from "node:crypto";
import { decodeKv, type DecodeKvOptions, type ReadKvResult } from "./decode-kv.js";
import { openForRead } from "./fs/local-file.js";
import { readExactly, readExactlyHashing } from "./fs/read-exactly.js";
import type { KvDtype } from "./kv-cache.js";
import { readHeaderFrom, withPath } from "./safetensors/read-safetensors-header.js";
import { readSidecar } from "./sidecar.js";

/**
 * Load a `.kv` file and its sidecar (kvcdn-cli `load_kv`); see {@link decodeKv}. The header is validated before the
 * file-sized buffer is allocated.
 * @example const { cache, metadata } = await readKv("ctx.kv")
 */
export async function readKv<D extends KvDtype = KvDtype>(
  path: string,
  options: DecodeKvOptions<D> & {
    /** Abort the read. */
    signal?: AbortSignal;
  } = {},
): Promise<ReadKvResult<D>> {
  const sidecar = await readSidecar(path);
  const handle = await openForRead(path);
  // When the sidecar's sha256 will be checked, hash while reading instead of in a second pass over the bytes.
  const hash = options.verifySha256 !== false && sidecar?.sha256 !== undefined ? createHash("sha256") : undefined;
  let bytes: Uint8Array;
  try {
    const header = await readHeaderFrom(handle, path, options.signal);
    bytes = new Uint8Array(header.fileSize);
    await withPath(path, () =>
      hash === undefined ? readExactly(handle, bytes, 0, options.signal, path) : readExactlyHashing(handle, bytes, 0, hash, options.signal, path),
    );
  } finally {
    await handle.close();
  }
  const computedSha256 = hash?.digest("hex");
  return withPath(path, async () => decodeKv(bytes, { ...options, sidecar, path, ...(computedSha256 !== undefined ? { computedSha256 } : {}) }));
}
