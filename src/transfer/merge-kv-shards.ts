import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { KvFormatError } from "../errors/index.js";
import { prepareHeader } from "../kv/safetensors/prepare-header.js";
import { readSafetensorsHeader } from "../kv/safetensors/read-safetensors-header.js";
import type { SafetensorsDtype } from "../kv/safetensors/dtype.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { emitProgress, type ProgressCallback } from "./progress.js";
import { asLocalFileError } from "../util/as-local-file-error.js";

const LAYER_TENSOR = /^([kv])_(0|[1-9]\d*)(_q|_s)?$/;
const COPY_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Rebuild one `.kv` from its layer-range shards (see `planKvShards`): rename each shard's `k_j…` back to
 * `k_{layer_start + j}…`, lay the header out as kvcdn-cli does, and copy every tensor's bytes from its shard with a
 * reused buffer (flat memory). Writes into `out` (an open, empty file) and returns the SHA-256 and size computed on the
 * way; the caller verifies and commits.
 */
export async function mergeKvShards(params: {
  shards: ReadonlyArray<{ file: string; layerStart: number }>;
  out: FileHandle;
  outPath: string;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressCallback | undefined;
}): Promise<{ sha256: string; sizeBytes: number }> {
  type Source = { dtype: SafetensorsDtype; shape: number[]; shard: number; start: number; end: number };
  const tensors = new Map<string, Source>();
  for (const [shardIndex, shard] of params.shards.entries()) {
    const header = await readSafetensorsHeader(shard.file);
    for (const info of header.tensors.values()) {
      const match = LAYER_TENSOR.exec(info.name);
      if (match === null) throw new KvFormatError(`shard ${shardIndex} has a tensor ${JSON.stringify(info.name)} that belongs to no layer`, { code: "unexpected_tensor", path: shard.file });
      const name = `${match[1]}_${shard.layerStart + Number(match[2])}${match[3] ?? ""}`;
      if (tensors.has(name)) throw new KvFormatError(`shards overlap: ${name} appears twice`, { code: "duplicate_tensor", path: shard.file });
      tensors.set(name, { dtype: info.dtype, shape: info.shape, shard: shardIndex, start: header.dataOffset + info.dataOffsets[0], end: header.dataOffset + info.dataOffsets[1] });
    }
  }
  const prepared = prepareHeader(tensors);
  const totalBytes = prepared.header.length + prepared.dataLength;
  const hash = createHash("sha256");
  let position = 0;
  const write = async (bytes: Uint8Array) => {
    for (let off = 0; off < bytes.length; ) {
      const { bytesWritten } = await params.out.write(bytes, off, bytes.length - off, position).catch((e: unknown) => {
        throw asLocalFileError(e, params.outPath, "write");
      });
      off += bytesWritten;
      position += bytesWritten;
    }
    hash.update(bytes);
    emitProgress(params.onProgress, { phase: "verifying", bytes: position, totalBytes, file: params.outPath });
  };
  await write(prepared.header);
  const handles = await Promise.all(params.shards.map((s) => open(s.file, "r")));
  try {
    const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
    for (const placed of prepared.placed) {
      const source = placed.tensor;
      const handle = handles[source.shard] as FileHandle;
      for (let at = source.start; at < source.end; ) {
        throwIfAborted(params.signal);
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, source.end - at), at);
        if (bytesRead === 0) throw new KvFormatError(`shard ${source.shard} ended early`, { code: "truncated_file" });
        await write(buffer.subarray(0, bytesRead));
        at += bytesRead;
      }
    }
  } finally {
    await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
  }
  return { sha256: hash.digest("hex"), sizeBytes: position };
}
