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

/**
 * Bytes per read in {@link readPieces}: large enough to amortise a thread-pool round trip, small enough that hashing
 * one read overlaps the next ones (bench/resume.ts: the SHA-256 check was ~12% of time to first token from a `.kv`).
 */
export const HASHED_READ_CHUNK_BYTES = 8 * 1024 * 1024;

/** A run of file bytes: `target.byteLength` bytes starting at file offset `position` go into `target`. */
export interface FilePiece {
  /** Where the bytes go (filled completely). */
  target: Uint8Array;
  /** Offset in the file of the first byte. */
  position: number;
}

/** Reads {@link readPieces} keeps in the thread pool at once: two cores copy (and fault in) the bytes in parallel. */
export const READS_IN_FLIGHT = 2;

/**
 * Fill every piece from `handle`, in order, in reads of at most {@link HASHED_READ_CHUNK_BYTES}, {@link READS_IN_FLIGHT}
 * at a time; with `hash`, feed the bytes to it in piece order, hashing each read on this thread while the next ones
 * are in the thread pool, so read + verify costs about the larger of the two instead of their sum. The pieces need not
 * touch, but a hash only covers the file when they tile it. A short file is a `truncated_file` error; no read is left
 * in flight when this returns or throws.
 */
export async function readPieces(
  handle: FileHandle,
  pieces: readonly FilePiece[],
  hash: { update(data: Uint8Array): unknown } | undefined,
  signal?: AbortSignal,
  path?: string,
): Promise<void> {
  // Each read, with the bytes of all the reads before it (for the error of a short file).
  const reads: Array<FilePiece & { before: number }> = [];
  let total = 0;
  for (const { target, position } of pieces) {
    for (let off = 0; off < target.byteLength; off += HASHED_READ_CHUNK_BYTES) {
      const part = target.subarray(off, Math.min(target.byteLength, off + HASHED_READ_CHUNK_BYTES));
      reads.push({ target: part, position: position + off, before: total + off });
    }
    total += target.byteLength;
  }
  const fill = async ({ target, position, before }: (typeof reads)[number]): Promise<void> => {
    for (let done = 0; done < target.byteLength; ) {
      throwIfAborted(signal, `reading ${path ?? "the file"}`);
      const { bytesRead } = await handle.read(target, done, target.byteLength - done, position + done).catch((e: unknown) => {
        throw asLocalFileError(e, path ?? "file", "read");
      });
      if (bytesRead === 0) {
        throw new KvFormatError(`file ended at byte ${position + done}, expected ${total - before - done} more bytes`, { code: "truncated_file" });
      }
      done += bytesRead;
    }
  };
  const inFlight: Array<Promise<void>> = [];
  let started = 0;
  const startNext = (): void => {
    const read = fill(reads[started++]!);
    read.catch(() => undefined); // observed below, in order
    inFlight.push(read);
  };
  while (started < Math.min(READS_IN_FLIGHT, reads.length)) startNext();
  for (let i = 0; i < reads.length; i++) {
    try {
      await inFlight.shift();
    } catch (e) {
      await Promise.allSettled(inFlight);
      throw e;
    }
    if (started < reads.length) startNext();
    hash?.update(reads[i]!.target);
  }
}
