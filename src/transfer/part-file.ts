import { createHash, randomBytes, type Hash } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { asLocalFileError } from "../util/as-local-file-error.js";
import { PipelinedWriter } from "./pipelined-writer.js";

/** The temp-file name a download streams into, beside its destination: `.<name>.<random>.part`. */
export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString("hex")}.part`);
}

/** fsync a directory so a rename survives a crash (best effort: not every platform allows it). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}

/** A local write failure, kept apart from network failures so it is never retried. `error` is the LocalFileError. */
export class FileWriteFailure {
  constructor(readonly error: unknown) {}
}

/**
 * The temporary file a download streams into, beside its destination, with the SHA-256 of exactly the bytes written
 * so far: appending (a resumed GET) keeps hashing, `restart` starts both over. `commit` fsyncs and renames it onto the
 * destination; `dispose` removes it unless it was committed. Write failures reject with {@link FileWriteFailure}.
 */
export class PartFile {
  readonly #dest: string;
  readonly #temp: string;
  readonly #handle: FileHandle;
  readonly #writer: PipelinedWriter;
  #hash: Hash = createHash("sha256");
  #closed = false;
  #committed = false;

  private constructor(dest: string, temp: string, handle: FileHandle) {
    this.#dest = dest;
    this.#temp = temp;
    this.#handle = handle;
    this.#writer = new PipelinedWriter(handle);
  }

  /** Create a fresh temp file beside `dest` (never one that exists). */
  static async create(dest: string): Promise<PartFile> {
    const temp = tempPathFor(dest);
    const handle = await open(temp, "wx").catch((e: unknown) => {
      throw asLocalFileError(e, dest, "create a temporary file beside");
    });
    return new PartFile(dest, temp, handle);
  }

  /** The temp file's path (to read the verified bytes before `commit`; never to move it). */
  get path(): string {
    return this.#temp;
  }

  /** Bytes written (and hashed) so far. */
  get position(): number {
    return this.#writer.position;
  }

  /** Hash and append one chunk. */
  async append(chunk: Uint8Array): Promise<void> {
    this.#hash.update(chunk);
    await this.#writer.push(chunk).catch((e: unknown) => {
      throw new FileWriteFailure(asLocalFileError(e, this.#dest, "write"));
    });
  }

  /** Wait until every appended byte is written. */
  async drain(): Promise<void> {
    await this.#writer.drain().catch((e: unknown) => {
      throw new FileWriteFailure(asLocalFileError(e, this.#dest, "write"));
    });
  }

  /** Throw away what was written: the next byte is byte 0 again. */
  async restart(): Promise<void> {
    this.#hash = createHash("sha256");
    await this.#writer.reset();
    await this.#handle.truncate(0).catch((e: unknown) => {
      throw asLocalFileError(e, this.#dest, "truncate the temporary file for");
    });
  }

  /** The SHA-256 of the bytes written, lowercase hex. Ends hashing: call once, right before `commit`. */
  digest(): string {
    return this.#hash.digest("hex");
  }

  /** fsync, close and rename onto the destination, then fsync the directory so the rename survives a crash. */
  async commit(): Promise<void> {
    await this.#handle.sync().catch((e: unknown) => {
      throw asLocalFileError(e, this.#dest, "flush");
    });
    this.#closed = true;
    await this.#handle.close().catch((e: unknown) => {
      throw asLocalFileError(e, this.#dest, "close");
    });
    await rename(this.#temp, this.#dest).catch((e: unknown) => {
      throw asLocalFileError(e, this.#dest, "move the download into");
    });
    this.#committed = true;
    await syncDirectory(dirname(this.#dest));
  }

  /** Settle pending writes, close, and remove the temp file unless it was committed. Never throws. */
  async dispose(): Promise<void> {
    await this.#writer.settle();
    if (!this.#closed) await this.#handle.close().catch(() => undefined);
    if (!this.#committed) await unlink(this.#temp).catch(() => undefined);
  }
}
