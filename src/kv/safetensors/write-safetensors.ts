import { createHash } from "node:crypto";
import { writeFileAtomic, type AtomicFile } from "../fs/atomic-file.js";
import { checkDataLength } from "./encode-safetensors.js";
import { prepareHeader } from "./prepare-header.js";
import type { LazyTensor, RawTensor, TensorsInput } from "./types.js";
import { throwIfAborted } from "../../util/throw-if-aborted.js";

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** Abort the write; the destination is left untouched. */
  signal?: AbortSignal;
  /** A `__metadata__` string map to write first. @default undefined (none, like kvcdn-cli) */
  metadata?: Readonly<Record<string, string>>;
  /** Compute the SHA-256 of the file while writing it. @default false */
  sha256?: boolean;
}

/** What {@link writeSafetensors} wrote. */
export interface WriteSafetensorsResult {
  /** Size of the file in bytes. */
  byteLength: number;
  /** Lowercase hex SHA-256 of the file, when `sha256: true` was passed. */
  sha256: string | undefined;
}

/**
 * Stream tensors to a safetensors file, byte-identical with {@link encodeSafetensors} and kvcdn-cli, without a
 * second in-memory copy: each tensor's bytes are written straight from its buffer (or from {@link LazyTensor.load},
 * one tensor at a time). Atomic: a temporary file in the same directory is fsynced and renamed over `path`.
 * @example await writeSafetensors("model.safetensors", { "lm_head.weight": { dtype: "F32", shape: [2, 2], data } })
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorsInput<RawTensor | LazyTensor>,
  options: WriteSafetensorsOptions = {},
): Promise<WriteSafetensorsResult> {
  return writeFileAtomic(path, (file) => writeSafetensorsTo(file, tensors, options), options.signal);
}

/** Write the whole safetensors stream into an open {@link AtomicFile} (not finished or committed). */
export async function writeSafetensorsTo(
  file: AtomicFile,
  tensors: TensorsInput<RawTensor | LazyTensor>,
  options: Pick<WriteSafetensorsOptions, "metadata" | "sha256" | "signal"> = {},
): Promise<WriteSafetensorsResult> {
  const { header, placed } = prepareHeader(tensors, options.metadata);
  const hash = options.sha256 === true ? createHash("sha256") : undefined;
  const onChunk = hash === undefined ? undefined : (c: Uint8Array) => void hash.update(c);
  await file.write(header, onChunk);
  for (const p of placed) {
    throwIfAborted(options.signal, `writing ${file.path}`);
    const data = "data" in p.tensor ? p.tensor.data : await p.tensor.load();
    checkDataLength(p.name, data, p.end - p.start);
    await file.write(data, onChunk);
  }
  return { byteLength: file.position, sha256: hash?.digest("hex") };
}
