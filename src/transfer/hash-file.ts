import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { throwIfAborted } from "./abort.js";
import { emitProgress, type TransferControl } from "./progress.js";
import { wrapFileError } from "./wrap-file-error.js";

/** Read size for hashing: large enough for full SHA-NI speed, small enough to keep memory flat. */
export const HASH_CHUNK_BYTES = 4 * 1024 * 1024;

/** The SHA-256 and size of a file. */
export interface FileDigest {
  /** Lowercase hex SHA-256 of the file's bytes. */
  sha256: string;
  /** The number of bytes hashed. */
  sizeBytes: number;
}

/**
 * SHA-256 of a file, streamed through one reused buffer so memory stays flat whatever the size. Emits `hashing`
 * progress events.
 * @example const { sha256, sizeBytes } = await hashFile({ file: "ctx.kv" })
 */
export async function hashFile(
  params: Omit<TransferControl, "fetch"> & {
    /** Path of the file to hash. */
    file: string;
    /** Bytes per read (1–16 MiB is sensible). @default HASH_CHUNK_BYTES (4 MiB) */
    chunkBytes?: number;
    /** Put on progress events. */
    artifactId?: string;
  },
): Promise<FileDigest> {
  const { file, signal, onProgress } = params;
  throwIfAborted(signal);
  const chunkBytes = Math.max(64 * 1024, params.chunkBytes ?? HASH_CHUNK_BYTES);
  const handle = await open(file, "r").catch((e: unknown) => {
    throw wrapFileError(e, file, "open");
  });
  try {
    const { size } = await handle.stat();
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(size, 1)));
    const base = { phase: "hashing" as const, totalBytes: size, file, ...(params.artifactId ? { artifactId: params.artifactId } : {}) };
    emitProgress(onProgress, { ...base, bytes: 0 });
    let done = 0;
    for (;;) {
      throwIfAborted(signal);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null).catch((e: unknown) => {
        throw wrapFileError(e, file, "read");
      });
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      done += bytesRead;
      emitProgress(onProgress, { ...base, bytes: done });
    }
    return { sha256: hash.digest("hex"), sizeBytes: done };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
