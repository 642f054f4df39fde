import type { FileHandle } from "node:fs/promises";
import { KvFormatError } from "../../errors/kv-format-error.js";
import { onFile, openForRead } from "../fs/local-file.js";
import { readExactly } from "../fs/read-exactly.js";
import { checkHeaderLength, parseHeader } from "./parse-header.js";
import type { SafetensorsHeader } from "./types.js";

/**
 * Read and validate only the header of a safetensors file (8 + N bytes; N is capped at 100 MB and at the file
 * size − 8 before anything is allocated). Tensor data is never read, but offsets are checked against the file size.
 * @example const { tensors } = await readSafetensorsHeader("ctx.kv"); tensors.get("k_0")?.shape
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const handle = await openForRead(path);
  try {
    return await readHeaderFrom(handle, path);
  } finally {
    await handle.close();
  }
}

/** Read the header through an open handle; errors carry `path`. */
export async function readHeaderFrom(handle: FileHandle, path: string, signal?: AbortSignal, maxHeaderLength?: number): Promise<SafetensorsHeader> {
  return (await readHeaderAndBytesFrom(handle, path, signal, maxHeaderLength)).header;
}

/**
 * {@link readHeaderFrom} that also returns the `8 + N` bytes it parsed (length prefix and header), for a reader that
 * hashes the whole file while reading it piece by piece.
 */
export async function readHeaderAndBytesFrom(
  handle: FileHandle,
  path: string,
  signal?: AbortSignal,
  maxHeaderLength?: number,
): Promise<{ header: SafetensorsHeader; bytes: Uint8Array }> {
  return withPath(path, async () => {
    const { size } = await onFile(path, "stat", () => handle.stat());
    const prefix = new Uint8Array(8);
    if (size >= 8) await readExactly(handle, prefix, 0, signal);
    const n = checkHeaderLength(prefix, size, maxHeaderLength);
    const bytes = new Uint8Array(8 + n);
    bytes.set(prefix);
    await readExactly(handle, bytes.subarray(8), 8, signal);
    return { header: parseHeader(bytes.subarray(8), size), bytes };
  });
}

/** Re-throw a path-less {@link KvFormatError} with the file's path attached. */
export async function withPath<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof KvFormatError && e.path === undefined) {
      const options = { code: e.code, path, cause: e.cause };
      throw new KvFormatError(e.message, e.tensor === undefined ? options : { ...options, tensor: e.tensor });
    }
    throw e;
  }
}
