import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { BLOB_CHUNK_BYTES } from "./constants.js";

/**
 * SHA-256 and size of a stored object, streamed in 1 MiB reads (memory stays flat whatever the size).
 * Rejects with ENOENT when the object does not exist.
 * @example const { sha256, size } = await hashBlob(store.blobPath(id))
 */
export async function hashBlob(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: BLOB_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}
