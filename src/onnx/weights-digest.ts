import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/** Files up to this size are hashed whole. */
const WHOLE_FILE_BYTES = 4 * 1024 * 1024;
/** Larger files: this many samples… */
const SAMPLES = 64;
/** …of this many bytes, evenly spaced from the first byte to the last. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * The weights' identity for a fingerprint: SHA-256 over, for each file in order, its size and either its bytes (up to
 * 4 MiB) or 64 samples of 64 KiB spread evenly from its start to its end (4 MiB read whatever the size, a few ms for
 * a 570 MB graph). Any re-export, fine-tune or other variant changes sizes or sampled bytes; see docs/runtime.md for
 * what it cannot see.
 * @example await weightsDigest(["/m/onnx/model_fp16.onnx", "/m/onnx/model_fp16.onnx_data"])
 */
export async function weightsDigest(files: readonly string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const path of files) {
    const handle = await open(path, "r");
    try {
      const size = (await handle.stat()).size;
      hash.update(`${size}\n`);
      const offsets =
        size <= WHOLE_FILE_BYTES
          ? [0]
          : Array.from({ length: SAMPLES }, (_, i) => Math.floor((i * (size - SAMPLE_BYTES)) / (SAMPLES - 1)));
      const length = size <= WHOLE_FILE_BYTES ? size : SAMPLE_BYTES;
      const buffer = Buffer.alloc(length);
      for (const offset of offsets) {
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        hash.update(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  }
  return hash.digest("hex");
}
