import { Buffer } from "node:buffer";
import { KvFormatError } from "../../errors/kv-format-error.js";
import { dtypeRank, isSafetensorsDtype, type SafetensorsDtype } from "./dtype.js";
import { tensorByteLength } from "./parse-header.js";
import { LONE_SURROGATE } from "./strict-json.js";
import type { TensorsInput } from "./types.js";

/** A tensor placed in the file: its name, header fields and where its bytes go. */
export interface PlacedTensor<T> {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  start: number;
  end: number;
  tensor: T;
}

/** The header bytes (length prefix included) and the tensors in file order. */
export interface PreparedSafetensors<T> {
  /** `N` as 8 little-endian bytes, then the compact JSON padded with spaces to a multiple of 8. */
  header: Uint8Array;
  /** Tensors in file order, with their data offsets. */
  placed: Array<PlacedTensor<T>>;
  /** Total data bytes. */
  dataLength: number;
}

/**
 * Lay out tensors exactly as safetensors 0.7 `prepare` does for kvcdn-cli: sort by dtype descending (enum order),
 * then by name byte-wise ascending; compact JSON `{"name":{"dtype":…,"shape":[…],"data_offsets":[s,e]},…}`; pad with
 * spaces to a multiple of 8. `metadata`, when given, is written first as `__metadata__` (kvcdn-cli writes none).
 */
export function prepareHeader<T extends { dtype: SafetensorsDtype; shape: number[] }>(
  tensors: TensorsInput<T>,
  metadata?: Readonly<Record<string, string>>,
): PreparedSafetensors<T> {
  const items: Array<{ name: string; key: Buffer; tensor: T; byteLength: number }> = [];
  const iterable: Iterable<[string, T]> = tensors instanceof Map ? tensors.entries() : Object.entries(tensors as Record<string, T>);
  for (const [name, tensor] of iterable) {
    if (name === "__metadata__") throw new KvFormatError(`"__metadata__" is reserved and cannot name a tensor`, { code: "invalid_tensor", tensor: name });
    if (LONE_SURROGATE.test(name)) throw new KvFormatError(`tensor name ${JSON.stringify(name)} is not valid Unicode`, { code: "invalid_tensor", tensor: name });
    if (!isSafetensorsDtype(tensor.dtype)) {
      throw new KvFormatError(`tensor ${name}: unknown dtype ${JSON.stringify(tensor.dtype)}`, { code: "unknown_dtype", tensor: name });
    }
    let elements = 1;
    for (const d of tensor.shape) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new KvFormatError(`tensor ${name}: shape ${JSON.stringify(tensor.shape)} is not a list of non-negative integers`, { code: "invalid_tensor", tensor: name });
      }
      elements *= d;
      if (!Number.isSafeInteger(elements)) throw new KvFormatError(`tensor ${name}: shape has too many elements`, { code: "shape_overflow", tensor: name });
    }
    items.push({ name, key: Buffer.from(name, "utf8"), tensor, byteLength: tensorByteLength(name, tensor.dtype, elements) });
  }
  items.sort((a, b) => dtypeRank(b.tensor.dtype) - dtypeRank(a.tensor.dtype) || Buffer.compare(a.key, b.key));

  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string" || LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) {
        throw new KvFormatError(`__metadata__.${k} must be a valid Unicode string`, { code: "bad_metadata" });
      }
    }
    const m = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${m.join(",")}}`);
  }
  const placed: Array<PlacedTensor<T>> = [];
  let offset = 0;
  for (const { name, tensor, byteLength } of items) {
    const start = offset;
    offset += byteLength;
    placed.push({ name, dtype: tensor.dtype, shape: tensor.shape.slice(), start, end: offset, tensor });
    // serde_json and JSON.stringify escape strings identically for valid Unicode.
    parts.push(`${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${tensor.shape.join(",")}],"data_offsets":[${start},${offset}]}`);
  }
  const json = Buffer.from(`{${parts.join(",")}}`, "utf8");
  const n = json.byteLength + ((8 - (json.byteLength % 8)) % 8);
  const header = Buffer.alloc(8 + n, 0x20);
  header.writeBigUInt64LE(BigInt(n), 0);
  json.copy(header, 8);
  return { header: new Uint8Array(header.buffer, header.byteOffset, header.byteLength), placed, dataLength: offset };
}
