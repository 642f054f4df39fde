import type { FileHandle } from "node:fs/promises";
import { KvFormatError } from "../../errors/kv-format-error.js";
import { IO_CHUNK_BYTES } from "./atomic-file.js";
import { asLocalFileError } from "../../util/as-local-file-error.js";
import { throwIfAborted } from "../../util/throw-if-aborted.js";

/** Fill `target` from `handle` at `position`, in ≤ 1 GiB reads; a short file is a `truncated_file` error. */
export async function readExactly(handle: FileHandle, target: Uint8Array, position: number, signal?: AbortSignal, path?: string): Promise<void> {
  let done = 0;
  while (done < target.byteLength) {
    throwIfAborted(signal, `reading ${path ?? "the file"}`);
    const want = Math.min(IO_CHUNK_BYTES, target.byteLength - done);
    const { bytesRead } = await handle.read(target, done, want, position + done).catch((e: unknown) => {
      throw asLocalFileError(e, path ?? "file", "read");
    });
    if (bytesRead === 0) {
      throw new KvFormatError(`file ended at byte ${position + done}, expected ${target.byteLength - done} more bytes`, { code: "truncated_file" });
    }
    done += bytesRead;
  }
}

/** Bytes per read in {@link readExactlyHashing}: large enough to amortise a thread-pool round trip, small enough to overlap. */
export const HASHED_READ_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * {@link readExactly} that also feeds every byte to `hash`, in order, overlapping the two: each piece is hashed on the
 * main thread while the next one is read in the thread pool, so read + verify costs about the larger of the two
 * instead of their sum (bench/resume.ts: the SHA-256 check was ~12% of time to first token from a `.kv`).
 */
export async function readExactlyHashing(
  handle: FileHandle,
  target: Uint8Array,
  position: number,
  hash: { update(data: Uint8Array): unknown },
  signal?: AbortSignal,
  path?: string,
): Promise<void> {
  const total = target.byteLength;
  const readPiece = async (start: number): Promise<number> => {
    throwIfAborted(signal, `reading ${path ?? "the file"}`);
    const want = Math.min(HASHED_READ_CHUNK_BYTES, total - start);
    const { bytesRead } = await handle.read(target, start, want, position + start).catch((e: unknown) => {
      throw asLocalFileError(e, path ?? "file", "read");
    });
    if (bytesRead === 0) {
      throw new KvFormatError(`file ended at byte ${position + start}, expected ${total - start} more bytes`, { code: "truncated_file" });
    }
    return start + bytesRead;
  };
  let start = 0;
  let pending: Promise<number> | undefined = total > 0 ? readPiece(0) : undefined;
  while (pending !== undefined) {
    const end = await pending;
    // No read is in flight past this point until the next one starts, so a failure never goes unobserved.
    pending = end < total ? readPiece(end) : undefined;
    pending?.catch(() => undefined);
    hash.update(target.subarray(start, end));
    start = end;
  }
}
