import { checkHeaderLength, parseHeader } from "./parse-header.js";
import type { RawTensor, SafetensorsHeader } from "./types.js";

/**
 * Validate a complete safetensors file held in memory and return zero-copy views of its tensors (in data order).
 * @example const { tensors } = parseSafetensors(bytes); tensors.get("k_0")?.data
 */
export function parseSafetensors(bytes: Uint8Array): { header: SafetensorsHeader; tensors: Map<string, RawTensor> } {
  const n = checkHeaderLength(bytes.subarray(0, 8), bytes.byteLength);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength);
  return { header, tensors: tensorViews(header, bytes) };
}

/** Views over `bytes` (the whole file) for every tensor of `header`. */
export function tensorViews(header: SafetensorsHeader, bytes: Uint8Array): Map<string, RawTensor> {
  const tensors = new Map<string, RawTensor>();
  for (const info of header.tensors.values()) {
    const [start, end] = info.dataOffsets;
    const data = new Uint8Array(bytes.buffer, bytes.byteOffset + header.dataOffset + start, end - start);
    tensors.set(info.name, { dtype: info.dtype, shape: info.shape.slice(), data });
  }
  return tensors;
}
