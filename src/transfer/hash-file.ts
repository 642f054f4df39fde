import { HASH_CHUNK_BYTES, sha256File } from "../util/sha256-file.js";
import { emitProgress, type TransferControl } from "./progress.js";

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
  params: Pick<TransferControl, "signal" | "onProgress"> & {
    /** Path of the file to hash. */
    file: string;
    /** Bytes per read (1–16 MiB is sensible; at least 64 KiB). @default HASH_CHUNK_BYTES (4 MiB) */
    chunkBytes?: number;
    /** Put on progress events. */
    artifactId?: string;
  },
): Promise<FileDigest> {
  const { file, onProgress } = params;
  const base = { phase: "hashing" as const, file, ...(params.artifactId ? { artifactId: params.artifactId } : {}) };
  return sha256File(file, {
    chunkBytes: Math.max(64 * 1024, params.chunkBytes ?? HASH_CHUNK_BYTES),
    signal: params.signal,
    onBytes: (bytes, totalBytes) => emitProgress(onProgress, { ...base, bytes, totalBytes }),
  });
}
