import { open, type FileHandle } from "node:fs/promises";

/** Node refuses more than 2 GiB − 1 per write call: larger buffers go in pieces of this size. */
const CHUNK_BYTES = 1 << 30;

/** Write all of `bytes` at `position` (looping over short writes and the 2 GiB-per-call limit). */
export async function writeAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let off = 0; off < bytes.byteLength; ) {
    const end = Math.min(bytes.byteLength, off + CHUNK_BYTES);
    const { bytesWritten } = await handle.write(bytes, off, end - off, position + off);
    off += bytesWritten;
  }
}

/** Create `path` (it must not exist), write `bytes` and fsync it. */
export async function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, "wx");
  try {
    await writeAt(handle, bytes, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
