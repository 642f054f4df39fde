import { KvFormatError } from "../errors/kv-format-error.js";
import { openForRead, statFile } from "./fs/local-file.js";
import { headerMetadata } from "./kv-metadata.js";
import { kvLayout } from "./kv-layout.js";
import { readHeaderFrom, withPath } from "./safetensors/read-safetensors-header.js";
import { readSidecar, type KvSidecar } from "./sidecar.js";

/** Header cap of the header-only fallback: kvcdn-cli `read_kv_metadata` rejects headers over 16 MiB. */
export const KV_METADATA_MAX_HEADER_BYTES = 16 * 1024 * 1024;

/**
 * A cache's metadata without reading tensor data. The sidecar wins when it exists (its `nbytes` must match the file);
 * otherwise the header-only fallback with kvcdn-cli's semantics (see {@link headerMetadata}).
 * @example const { num_tokens, model_name } = await readKvMetadata("ctx.kv")
 */
export async function readKvMetadata(path: string): Promise<KvSidecar> {
  const sidecar = await readSidecar(path);
  if (sidecar !== undefined) {
    const { size } = await statFile(path);
    if (sidecar.nbytes !== size) {
      throw new KvFormatError(`sidecar contradicts the file: nbytes ${sidecar.nbytes}, file size ${size}`, { code: "sidecar_mismatch", path });
    }
    return sidecar;
  }
  const handle = await openForRead(path);
  try {
    const header = await readHeaderFrom(handle, path, undefined, KV_METADATA_MAX_HEADER_BYTES);
    return await withPath(path, async () => headerMetadata(kvLayout(header), header.fileSize));
  } finally {
    await handle.close();
  }
}
