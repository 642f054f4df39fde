import { randomBytes } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { asLocalFileError, onFile } from "./local-file.js";

/** Largest single `write`/`read` call: Node refuses more than 2 GiB − 1 per call. */
export const IO_CHUNK_BYTES = 1 << 30;

/** A temporary file next to its destination that becomes the destination only on {@link AtomicFile.commit}. */
export interface AtomicFile {
  /** Open handle on the temporary file. */
  readonly handle: FileHandle;
  /** The temporary file's path (same directory as the destination, so rename is atomic). */
  readonly tempPath: string;
  /** Where the file goes on commit. */
  readonly path: string;
  /** Bytes written through {@link AtomicFile.write} so far. */
  readonly position: number;
  /** Append bytes (in ≤ 1 GiB calls, retrying short writes). */
  write(bytes: Uint8Array, onChunk?: (chunk: Uint8Array) => void): Promise<void>;
  /** fsync and close; the data is durable but still under the temporary name. */
  finish(): Promise<void>;
  /** Rename over the destination (after {@link AtomicFile.finish}). */
  commit(): Promise<void>;
  /** Close and delete the temporary file; safe to call at any point, and more than once. */
  abort(): Promise<void>;
}

/** Create `<dir>/.<name>.<random>.tmp` exclusively, next to `path`. */
export async function createAtomicFile(path: string, signal?: AbortSignal): Promise<AtomicFile> {
  signal?.throwIfAborted();
  const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await onFile(path, "create a temporary file for", () => open(tempPath, "wx", 0o644));
  let position = 0;
  let closed = false;
  let gone = false;
  return {
    handle,
    tempPath,
    path,
    get position() {
      return position;
    },
    async write(bytes, onChunk) {
      for (let off = 0; off < bytes.byteLength; ) {
        signal?.throwIfAborted();
        const chunk = bytes.subarray(off, Math.min(bytes.byteLength, off + IO_CHUNK_BYTES));
        let done = 0;
        while (done < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done, position).catch((e: unknown) => {
            throw asLocalFileError(e, path, "write");
          });
          done += bytesWritten;
          position += bytesWritten;
        }
        onChunk?.(chunk);
        off += chunk.byteLength;
      }
    },
    async finish() {
      signal?.throwIfAborted();
      await onFile(path, "sync", () => handle.sync());
      closed = true;
      await onFile(path, "close", () => handle.close());
    },
    async commit() {
      signal?.throwIfAborted();
      await onFile(path, "rename a temporary file to", () => rename(tempPath, path));
      gone = true;
    },
    async abort() {
      if (!closed) {
        closed = true;
        await handle.close().catch(() => undefined);
      }
      if (!gone) {
        gone = true;
        await unlink(tempPath).catch(() => undefined);
      }
    },
  };
}

/**
 * Write a file atomically: `fill` writes into a temporary file, which is fsynced and renamed over `path`.
 * On any error (or abort) the temporary file is removed and `path` is untouched.
 */
export async function writeFileAtomic<T>(path: string, fill: (file: AtomicFile) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const file = await createAtomicFile(path, signal);
  try {
    const result = await fill(file);
    await file.finish();
    await file.commit();
    return result;
  } catch (e) {
    await file.abort();
    throw e;
  }
}
