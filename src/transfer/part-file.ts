import { createHash, type Hash } from "node:crypto";
import { createAtomicFile, type AtomicFile } from "../kv/fs/atomic-file.js";
import { asLocalFileError } from "../util/as-local-file-error.js";
import { PipelinedWriter } from "./pipelined-writer.js";

/** A local write failure, kept apart from network failures so it is never retried. `error` is the LocalFileError. */
export class FileWriteFailure {
  constructor(readonly error: unknown) {}
}

/**
 * The temporary file a download streams into, beside its destination, with the SHA-256 of exactly the bytes written
 * so far: appending (a resumed GET) keeps hashing, `restart` starts both over. `commit` fsyncs and renames it onto the
 * destination; `dispose` removes it unless it was committed. Write failures reject with {@link FileWriteFailure}.
 * Built on the package's one durable write path (`createAtomicFile`: temp beside dest, fsync, rename, directory fsync).
 */
export class PartFile {
  readonly #dest: string;
  readonly #file: AtomicFile;
  readonly #writer: PipelinedWriter;
  #hash: Hash = createHash("sha256");

  private constructor(dest: string, file: AtomicFile) {
    this.#dest = dest;
    this.#file = file;
    this.#writer = new PipelinedWriter(file.handle);
  }

  /** Create a fresh temp file beside `dest` (never one that exists). */
  static async create(dest: string): Promise<PartFile> {
    return new PartFile(dest, await createAtomicFile(dest));
  }

  /** The temp file's path (to read the verified bytes before `commit`; never to move it). */
  get path(): string {
    return this.#file.tempPath;
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
    await this.#file.handle.truncate(0).catch((e: unknown) => {
      throw asLocalFileError(e, this.#dest, "truncate the temporary file for");
    });
  }

  /** The SHA-256 of the bytes written, lowercase hex. Ends hashing: call once, right before `commit`. */
  digest(): string {
    return this.#hash.digest("hex");
  }

  /** fsync, close and rename onto the destination, then fsync the directory so the rename survives a crash. */
  async commit(): Promise<void> {
    await this.#file.finish();
    await this.#file.commit();
  }

  /** Settle pending writes, close, and remove the temp file unless it was committed. Never throws. */
  async dispose(): Promise<void> {
    await this.#writer.settle();
    await this.#file.abort();
  }
}
