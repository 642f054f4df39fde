import { KvFormatError } from "../../errors/kv-format-error.js";
import { prepareHeader } from "./prepare-header.js";
import type { RawTensor, TensorsInput } from "./types.js";

/**
 * Serialize tensors to safetensors bytes in memory, byte-identical with kvcdn-cli (safetensors 0.7 `serialize`):
 * dtype-descending then name order, compact JSON, space padding, no `__metadata__` unless given.
 * For large tensor sets prefer {@link writeSafetensors}, which streams to disk.
 * @example const bytes = encodeSafetensors({ k_0: { dtype: "F32", shape: [1], data: new Uint8Array(4) } })
 */
export function encodeSafetensors(
  tensors: TensorsInput<RawTensor>,
  options: {
    /** A `__metadata__` string map to write first. @default undefined (none, like kvcdn-cli) */
    metadata?: Readonly<Record<string, string>>;
  } = {},
): Uint8Array {
  const { header, placed, dataLength } = prepareHeader(tensors, options.metadata);
  const out = new Uint8Array(header.byteLength + dataLength);
  out.set(header, 0);
  for (const p of placed) {
    checkDataLength(p.name, p.tensor.data, p.end - p.start);
    out.set(p.tensor.data, header.byteLength + p.start);
  }
  return out;
}

/** Throw unless a tensor's bytes have the length its dtype and shape require. */
export function checkDataLength(name: string, data: Uint8Array, expected: number): void {
  if (!(data instanceof Uint8Array)) {
    throw new KvFormatError(`tensor ${name}: data must be a Uint8Array`, { code: "invalid_tensor", tensor: name });
  }
  if (data.byteLength !== expected) {
    throw new KvFormatError(`tensor ${name}: has ${data.byteLength} bytes, its dtype and shape need ${expected}`, { code: "invalid_tensor", tensor: name });
  }
}
