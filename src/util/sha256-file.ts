import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { asLocalFileError } from "./as-local-file-error.js";
import { throwIfAborted } from "./throw-if-aborted.js";

/** Read size when hashing: large enough for full SHA-NI speed, small enough to keep memory flat. */
export const HASH_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * SHA-256 and size of a file in one streaming pass through one reused buffer, so memory stays flat whatever the size.
 * File errors are `LocalFileError`s; a fired signal is `AbortError`.
 * @example const { sha256, sizeBytes } = await sha256File("ctx.kv")
 */
export async function sha256File(
  path: string,
  options: {
    /** Bytes per read. @default HASH_CHUNK_BYTES (4 MiB) */
    chunkBytes?: number | undefined;
    /** Checked between reads. */
    signal?: AbortSignal | undefined;
    /** Called with the bytes hashed so far and the file's size, once before the first read and after each. */
    onBytes?: ((bytes: number, totalBytes: number) => void) | undefined;
  } = {},
): Promise<{ sha256: string; sizeBytes: number }> {
  throwIfAborted(options.signal);
  const handle = await open(path, "r").catch((e: unknown) => {
    throw asLocalFileError(e, path, "open");
  });
  try {
    const { size } = await handle.stat();
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(Math.min(options.chunkBytes ?? HASH_CHUNK_BYTES, Math.max(size, 1)));
    let done = 0;
    options.onBytes?.(0, size);
    for (;;) {
      throwIfAborted(options.signal);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null).catch((e: unknown) => {
        throw asLocalFileError(e, path, "read");
      });
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      done += bytesRead;
      options.onBytes?.(done, size);
    }
    return { sha256: hash.digest("hex"), sizeBytes: done };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
