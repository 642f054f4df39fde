import { openForRead } from "../fs/local-file.js";
import { readExactly } from "../fs/read-exactly.js";
import { tensorViews } from "./parse-safetensors.js";
import { readHeaderFrom, withPath } from "./read-safetensors-header.js";
import type { RawTensor, SafetensorsHeader } from "./types.js";

/**
 * Read a whole safetensors file into one buffer (validated first from its header) and return zero-copy views of its
 * tensors, in data order, plus that buffer (`bytes`, the whole file). Files above 2 GiB are fine (reads are chunked);
 * the buffer is the file's size, no more.
 * @example const { tensors } = await readSafetensors("model.safetensors")
 */
export async function readSafetensors(
  path: string,
  options: {
    /** Abort the read. */
    signal?: AbortSignal;
  } = {},
): Promise<{ header: SafetensorsHeader; tensors: Map<string, RawTensor>; bytes: Uint8Array }> {
  const handle = await openForRead(path);
  try {
    const header = await readHeaderFrom(handle, path, options.signal);
    const bytes = new Uint8Array(header.fileSize);
    await withPath(path, () => readExactly(handle, bytes, 0, options.signal, path));
    return { header, tensors: tensorViews(header, bytes), bytes };
  } finally {
    await handle.close();
  }
}
