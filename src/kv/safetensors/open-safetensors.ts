import { KvFormatError } from "../../errors/kv-format-error.js";
import { openForRead } from "../fs/local-file.js";
import { readExactly } from "../fs/read-exactly.js";
import { readHeaderFrom, withPath } from "./read-safetensors-header.js";
import type { RawTensor, SafetensorsHeader } from "./types.js";

/** An open safetensors file: header in memory, tensors read on demand. */
export interface SafetensorsFile {
  /** The file's path. */
  readonly path: string;
  /** The validated header. */
  readonly header: SafetensorsHeader;
  /** Read one tensor into a fresh buffer of exactly its size. Unknown names throw a `missing_tensor` KvFormatError. */
  read(name: string, options?: { signal?: AbortSignal }): Promise<RawTensor>;
  /** Close the file handle. Idempotent. */
  close(): Promise<void>;
}

/**
 * Open a safetensors file for lazy per-tensor reads: only the header is read now.
 * @example const f = await openSafetensors("model.safetensors"); try { const w = await f.read("lm_head.weight") } finally { await f.close() }
 */
export async function openSafetensors(path: string, options: { signal?: AbortSignal } = {}): Promise<SafetensorsFile> {
  const handle = await openForRead(path);
  let header: SafetensorsHeader;
  try {
    header = await readHeaderFrom(handle, path, options.signal);
  } catch (e) {
    await handle.close();
    throw e;
  }
  let closed = false;
  return {
    path,
    header,
    async read(name, readOptions = {}) {
      const info = header.tensors.get(name);
      if (info === undefined) throw new KvFormatError(`no tensor named ${JSON.stringify(name)}`, { code: "missing_tensor", path, tensor: name });
      const [start, end] = info.dataOffsets;
      const data = new Uint8Array(end - start);
      await withPath(path, () => readExactly(handle, data, header.dataOffset + start, readOptions.signal, path));
      return { dtype: info.dtype, shape: info.shape.slice(), data };
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
