import type { FileHandle } from "node:fs/promises";

/** Bytes gathered before one `writev`: big enough to amortise the thread-pool round trip, small enough to stay flat. */
export const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Appends chunks to a file with at most one write in flight while the next batch fills, so network reads and disk
 * writes overlap (a download no longer waits for each 64 KiB write before reading on). Memory: two batches at most.
 * Chunks are kept by reference until written, so callers must not reuse them (fetch body chunks are fresh buffers).
 * A failed write surfaces from the next `push`, `drain` or `settle`.
 */
export class PipelinedWriter {
  readonly #handle: FileHandle;
  readonly #batchLimit: number;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #position = 0;
  #inFlight: Promise<void> | undefined;

  constructor(handle: FileHandle, batchBytes = WRITE_BATCH_BYTES) {
    this.#handle = handle;
    this.#batchLimit = batchBytes;
  }

  /** Bytes handed to the writer so far (written or about to be). */
  get position(): number {
    return this.#position;
  }

  /** Queue a chunk; waits only when a full batch has to wait for the previous write. */
  async push(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.#batch.push(chunk);
    this.#batchBytes += chunk.length;
    this.#position += chunk.length;
    if (this.#batchBytes >= this.#batchLimit) await this.#flush();
  }

  /** Write everything queued and wait for it. */
  async drain(): Promise<void> {
    await this.#flush();
    const pending = this.#inFlight;
    this.#inFlight = undefined;
    await pending;
  }

  /** Wait for the write in flight, ignoring its outcome (before closing the file on an error path). */
  async settle(): Promise<void> {
    const pending = this.#inFlight;
    this.#inFlight = undefined;
    await pending?.catch(() => undefined);
  }

  /** Forget everything (after the file was truncated to start over). */
  async reset(): Promise<void> {
    await this.settle();
    this.#batch = [];
    this.#batchBytes = 0;
    this.#position = 0;
  }

  async #flush(): Promise<void> {
    if (this.#batchBytes === 0) return;
    const buffers = this.#batch;
    const at = this.#position - this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    const previous = this.#inFlight;
    this.#inFlight = undefined;
    await previous;
    const next = writevFully(this.#handle, buffers, at);
    next.catch(() => undefined); // observed by the next flush, drain or settle
    this.#inFlight = next;
  }
}

/** `writev` all buffers at `position`, finishing any short write. */
async function writevFully(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let total = 0;
  for (const b of buffers) total += b.length;
  let done = (await handle.writev(buffers, position)).bytesWritten;
  while (done < total) {
    // A short write (rare): write the rest buffer by buffer.
    let skip = done;
    for (const b of buffers) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      const rest = b.subarray(skip);
      skip = 0;
      let off = 0;
      while (off < rest.length) {
        const { bytesWritten } = await handle.write(rest, off, rest.length - off, position + done);
        if (bytesWritten === 0) throw Object.assign(new Error("no bytes written"), { code: "EIO" });
        off += bytesWritten;
        done += bytesWritten;
      }
    }
  }
}
