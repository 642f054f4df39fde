import type { FileHandle } from "node:fs/promises";
import { KvFormatError } from "../../errors/kv-format-error.js";
import { IO_CHUNK_BYTES } from "./atomic-file.js";
import { asLocalFileError } from "./local-file.js";

/** Fill `target` from `handle` at `position`, in ≤ 1 GiB reads; a short file is a `truncated_file` error. */
export async function readExactly(handle: FileHandle, target: Uint8Array, position: number, signal?: AbortSignal, path?: string): Promise<void> {
  let done = 0;
  while (done < target.byteLength) {
    signal?.throwIfAborted();
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
