import { createHash } from "node:crypto";
import { open, stat, type FileHandle } from "node:fs/promises";
import { LocalFileError } from "../errors/index.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { transferBufferBudget, type ByteBudget } from "./byte-budget.js";
import { emitProgress, type ProgressCallback } from "./progress.js";
import { asLocalFileError } from "../util/as-local-file-error.js";

/** A piece of an upload body: bytes in memory (a shard's header) or a byte range `[start, end)` of a file. */
export type BodySegment = { data: Uint8Array } | { file: string; start: number; end: number };

/**
 * What one PUT sends: the concatenation of its segments. A whole file is one segment; a shard of a `.kv` is its own
 * header followed by ranges of the source file, so shards need no temporary copies.
 */
export interface UploadBody {
  /** The file the bytes come from (for messages and progress). */
  file: string;
  sizeBytes: number;
  segments: BodySegment[];
}

/** A body that is a whole file. */
export function wholeFileBody(file: string, sizeBytes: number): UploadBody {
  return { file, sizeBytes, segments: sizeBytes === 0 ? [] : [{ file, start: 0, end: sizeBytes }] };
}

/**
 * The body's bytes, in order, in reads of at most `chunkBytes`. With `reuse` one buffer is recycled (for hashing,
 * where each chunk is consumed before the next read); otherwise every chunk is a fresh buffer (for a PUT, where the
 * connection may still hold the previous one, so two chunks are reserved). The memory is reserved from
 * {@link transferBufferBudget} before the first read and given back when the generator finishes (run it to the end or
 * call `return()`).
 */
export async function* readBody(
  body: UploadBody,
  options: { chunkBytes: number; reuse: boolean; signal?: AbortSignal | undefined; budget?: ByteBudget | undefined },
): AsyncGenerator<Uint8Array, void, undefined> {
  const handles = new Map<string, FileHandle>();
  const chunkBytes = Math.max(1, Math.min(options.chunkBytes, body.sizeBytes));
  const release = await (options.budget ?? transferBufferBudget).acquire(options.reuse ? chunkBytes : 2 * chunkBytes, options.signal);
  const shared = options.reuse ? Buffer.allocUnsafe(chunkBytes) : undefined;
  try {
    for (const segment of body.segments) {
      throwIfAborted(options.signal);
      if ("data" in segment) {
        yield segment.data;
        continue;
      }
      let handle = handles.get(segment.file);
      if (handle === undefined) {
        handle = await open(segment.file, "r").catch((e: unknown) => {
          throw asLocalFileError(e, segment.file, "open");
        });
        handles.set(segment.file, handle);
      }
      for (let position = segment.start; position < segment.end; ) {
        throwIfAborted(options.signal);
        const length = Math.min(chunkBytes, segment.end - position);
        const buffer = shared ?? Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buffer, 0, length, position).catch((e: unknown) => {
          throw asLocalFileError(e, segment.file, "read");
        });
        if (bytesRead === 0) {
          throw new LocalFileError(`${segment.file} became shorter while it was being read`, segment.file, { code: "file_changed" });
        }
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    }
  } finally {
    release();
    for (const handle of handles.values()) await handle.close().catch(() => undefined);
  }
}

/** SHA-256 of a body in one streaming pass with a reused buffer, emitting `hashing` progress. */
export async function hashBody(
  body: UploadBody,
  options: { chunkBytes: number; signal?: AbortSignal | undefined; onProgress?: ProgressCallback | undefined },
): Promise<string> {
  const hash = createHash("sha256");
  let done = 0;
  emitProgress(options.onProgress, { phase: "hashing", bytes: 0, totalBytes: body.sizeBytes, file: body.file });
  for await (const chunk of readBody(body, { chunkBytes: options.chunkBytes, reuse: true, signal: options.signal })) {
    hash.update(chunk);
    done += chunk.length;
    emitProgress(options.onProgress, { phase: "hashing", bytes: done, totalBytes: body.sizeBytes, file: body.file });
  }
  if (done !== body.sizeBytes) {
    throw new LocalFileError(`${body.file} changed while it was being hashed`, body.file, { code: "file_changed" });
  }
  return hash.digest("hex");
}

/** The identity of a file's content as far as `stat` can tell (size and modification time). */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** Stat a file into a {@link FileStamp}. */
export async function stampFile(file: string): Promise<FileStamp> {
  const info = await stat(file).catch((e: unknown) => {
    throw asLocalFileError(e, file, "stat");
  });
  if (!info.isFile()) throw new LocalFileError(`${file} is not a regular file`, file, { code: "EISDIR" });
  return { size: info.size, mtimeMs: info.mtimeMs };
}

/** Fail with `LocalFileError` (`file_changed`) if the file is not what was hashed: its checksum would be wrong. */
export async function assertUnchanged(file: string, before: FileStamp): Promise<void> {
  const now = await stampFile(file);
  if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
    throw new LocalFileError(`${file} changed during the upload; upload it again once it is complete`, file, { code: "file_changed" });
  }
}
