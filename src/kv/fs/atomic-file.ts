import { randomBytes } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { asLocalFileError } from "../../util/as-local-file-error.js";
import { throwIfAborted } from "../../util/throw-if-aborted.js";
import { onFile } from "./local-file.js";

/** Largest single `write`/`read` call: Node refuses more than 2 GiB − 1 per call. */
export const IO_CHUNK_BYTES = 1 << 30;

/** Options of {@link createAtomicFile} and {@link writeFileAtomic}. */
export interface AtomicFileOptions {
  /** Abort the write; the temporary file is removed and the destination untouched. */
  signal?: AbortSignal | undefined;
  /** Permission bits of the new file (e.g. `0o600` for a key file). @default 0o644 */
  mode?: number;
}

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
  /** Rename over the destination (after {@link AtomicFile.finish}) and fsync the directory, so the rename is durable. */
  commit(): Promise<void>;
  /** Close and delete the temporary file; safe to call at any point, and more than once. */
  abort(): Promise<void>;
}

/** The temporary name `createAtomicFile` uses for `path`: hidden, unique, in the same directory. */
export function atomicTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** True for names of temporary files {@link createAtomicFile} makes (left behind only by a crash). */
export const isAtomicTempName = (name: string): boolean => name.startsWith(".") && name.endsWith(".tmp");

/**
 * Make a directory entry change (create, rename, unlink) durable. Linux needs the directory itself fsynced;
 * platforms that cannot open or sync a directory (Windows) make renames durable on their own, so errors are ignored.
 * @example await fsyncDir("/data/artifacts")
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r").catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}

/**
 * Create `<dir>/.<name>.<pid>.<random>.tmp` exclusively, next to `path`. The one durable write path of the package:
 * write, {@link AtomicFile.finish} (fsync), {@link AtomicFile.commit} (rename + directory fsync).
 * @example const f = await createAtomicFile("out.bin"); await f.write(bytes); await f.finish(); await f.commit()
 */
export async function createAtomicFile(path: string, signalOrOptions?: AbortSignal | AtomicFileOptions): Promise<AtomicFile> {
  const options: AtomicFileOptions = signalOrOptions instanceof AbortSignal ? { signal: signalOrOptions } : (signalOrOptions ?? {});
  const { signal } = options;
  throwIfAborted(signal, `writing ${path}`);
  const tempPath = atomicTempPath(path);
  const handle = await onFile(path, "create a temporary file for", () => open(tempPath, "wx", options.mode ?? 0o644));
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
        throwIfAborted(signal, `writing ${path}`);
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
      throwIfAborted(signal, `writing ${path}`);
      await onFile(path, "sync", () => handle.sync());
      closed = true;
      await onFile(path, "close", () => handle.close());
    },
    async commit() {
      throwIfAborted(signal, `writing ${path}`);
      await onFile(path, "rename a temporary file to", () => rename(tempPath, path));
      gone = true;
      await fsyncDir(dirname(path));
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
 * Write a file so that a crash at any instant leaves either the old or the new content, never a mix: `content`
 * (bytes, text, or a function that writes into the temporary file) goes to a sibling temporary file, which is
 * fsynced, renamed over `path`, and the directory fsynced. On any error (or abort) the temporary file is removed and
 * `path` is untouched.
 * @example await writeFileAtomic("keys.json", JSON.stringify(keys), { mode: 0o600 })
 */
export async function writeFileAtomic<T = void>(
  path: string,
  content: string | Uint8Array | ((file: AtomicFile) => Promise<T>),
  signalOrOptions?: AbortSignal | AtomicFileOptions,
): Promise<T> {
  const file = await createAtomicFile(path, signalOrOptions);
  try {
    const result =
      typeof content === "function" ? await content(file) : ((await file.write(typeof content === "string" ? Buffer.from(content, "utf8") : content)) as T);
    await file.finish();
    await file.commit();
    return result;
  } catch (e) {
    await file.abort();
    throw e;
  }
}
