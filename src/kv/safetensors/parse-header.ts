import { KvFormatError } from "../../errors/kv-format-error.js";
import { dtypeBits, isSafetensorsDtype, type SafetensorsDtype } from "./dtype.js";
import { JsonFloat, parseStrictJson, type JsonValue } from "./strict-json.js";
import type { SafetensorsHeader, SafetensorsTensorInfo } from "./types.js";

/** Largest header accepted, in bytes: the safetensors crate's `MAX_HEADER_SIZE`. */
export const MAX_HEADER_LENGTH = 100_000_000;

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Read `N` from the first 8 bytes and check it against the 100 MB cap and the file size, before anything is
 * allocated from it.
 */
export function checkHeaderLength(prefix: Uint8Array, fileSize: number, maxHeaderLength = MAX_HEADER_LENGTH): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new KvFormatError(`file is ${fileSize} bytes; a safetensors file starts with an 8-byte header length`, { code: "file_too_small" });
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(maxHeaderLength)) {
    throw new KvFormatError(`header length ${n} exceeds the ${maxHeaderLength}-byte limit`, { code: "header_too_large" });
  }
  const length = Number(n);
  if (length > fileSize - 8) {
    throw new KvFormatError(`header length ${length} exceeds the ${fileSize - 8} bytes after the length prefix`, { code: "header_too_large" });
  }
  return length;
}

/**
 * Validate a header the way safetensors does (`Metadata::validate` + `read_metadata`), plus duplicate names:
 * UTF-8, starts with `{`, JSON object, known dtypes, shapes whose byte size matches `data_offsets`, offsets that tile
 * the data section with no gap or overlap and end exactly at the end of the file.
 * @param headerBytes the N header bytes (after the 8-byte prefix)
 * @param fileSize the size of the whole file, `8 + N + data`
 */
export function parseHeader(headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const headerLength = headerBytes.byteLength;
  let text: string;
  try {
    text = UTF8.decode(headerBytes);
  } catch (cause) {
    throw new KvFormatError("header is not valid UTF-8", { code: "invalid_utf8", cause });
  }
  if (text.charCodeAt(0) !== 0x7b) {
    throw new KvFormatError("header does not start with '{'", { code: "invalid_header_start" });
  }
  const root = parseStrictJson(text, "header");
  if (!(root instanceof Map)) throw new KvFormatError("header is not a JSON object", { code: "header_not_object" });

  let metadata: Record<string, string> | undefined;
  const entries: SafetensorsTensorInfo[] = [];
  for (const [name, value] of root) {
    if (name === "__metadata__") {
      metadata = parseMetadata(value);
      continue;
    }
    entries.push(parseEntry(name, value));
  }

  // Data order: safetensors sorts by offsets and then requires contiguous tiling starting at 0.
  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let expected = 0;
  const tensors = new Map<string, SafetensorsTensorInfo>();
  for (const info of entries) {
    const [start, end] = info.dataOffsets;
    if (start !== expected) {
      throw new KvFormatError(
        start > expected
          ? `tensor ${info.name} starts at ${start}, leaving a gap after byte ${expected}`
          : `tensor ${info.name} starts at ${start}, overlapping the previous tensor which ends at ${expected}`,
        { code: "bad_offsets", tensor: info.name },
      );
    }
    expected = end;
    tensors.set(info.name, info);
  }
  const dataOffset = 8 + headerLength;
  const available = fileSize - dataOffset;
  if (expected > available) {
    throw new KvFormatError(`tensor data needs ${expected} bytes but the file has ${available} after the header`, { code: "bad_offsets" });
  }
  if (expected < available) {
    throw new KvFormatError(`${available - expected} bytes after the last tensor are not described by the header`, { code: "trailing_data" });
  }
  return { headerLength, dataOffset, fileSize, metadata, tensors };
}

function parseMetadata(value: JsonValue): Record<string, string> | undefined {
  if (value === null) return undefined;
  if (!(value instanceof Map)) throw new KvFormatError("__metadata__ is not an object of strings", { code: "bad_metadata" });
  const out: Record<string, string> = {};
  for (const [k, v] of value) {
    if (typeof v !== "string") throw new KvFormatError(`__metadata__.${k} is not a string`, { code: "bad_metadata" });
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function parseEntry(name: string, value: JsonValue): SafetensorsTensorInfo {
  const bad = (what: string): never => {
    throw new KvFormatError(`tensor ${name}: ${what}`, { code: "bad_tensor_info", tensor: name });
  };
  if (!(value instanceof Map)) return bad("entry is not an object");
  const dtype = value.get("dtype");
  const shape = value.get("shape");
  const offsets = value.get("data_offsets");
  if (dtype === undefined) bad("missing dtype");
  if (shape === undefined) bad("missing shape");
  if (offsets === undefined) bad("missing data_offsets");
  if (typeof dtype !== "string") return bad("dtype is not a string");
  if (!isSafetensorsDtype(dtype)) {
    throw new KvFormatError(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`, { code: "unknown_dtype", tensor: name });
  }
  if (!Array.isArray(shape)) return bad("shape is not an array");
  const dims: number[] = [];
  let elements = 1;
  for (const d of shape) {
    if (d instanceof JsonFloat && /^[0-9]+$/.test(d.raw)) {
      throw new KvFormatError(`tensor ${name}: dimension ${d.raw} is too large`, { code: "shape_overflow", tensor: name });
    }
    if (typeof d !== "number" || d < 0) return bad("shape holds something other than non-negative integers");
    dims.push(d);
    elements *= d;
    if (!Number.isSafeInteger(elements)) {
      // Keep multiplying only while exact; a zero later would make the product 0, which safetensors also rejects
      // (checked_mul overflows before it sees the zero).
      throw new KvFormatError(`tensor ${name}: shape ${JSON.stringify(shape)} has too many elements`, { code: "shape_overflow", tensor: name });
    }
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) return bad("data_offsets is not a [start, end] pair");
  const [start, end] = offsets;
  if (typeof start !== "number" || typeof end !== "number" || start < 0 || end < 0) {
    if (start instanceof JsonFloat || end instanceof JsonFloat) {
      throw new KvFormatError(`tensor ${name}: data_offsets out of range`, { code: "bad_offsets", tensor: name });
    }
    return bad("data_offsets are not non-negative integers");
  }
  if (end < start) {
    throw new KvFormatError(`tensor ${name}: data_offsets [${start}, ${end}] end before they start`, { code: "bad_offsets", tensor: name });
  }
  const byteLength = tensorByteLength(name, dtype, elements);
  if (end - start !== byteLength) {
    throw new KvFormatError(
      `tensor ${name}: ${dtype}${JSON.stringify(dims)} needs ${byteLength} bytes but data_offsets [${start}, ${end}] span ${end - start}`,
      { code: "byte_length_mismatch", tensor: name },
    );
  }
  return { name, dtype, shape: dims, dataOffsets: [start, end] };
}

/** Byte size of `elements` elements of `dtype`; sub-byte dtypes must fill whole bytes. */
export function tensorByteLength(name: string, dtype: SafetensorsDtype, elements: number): number {
  const bits = elements * dtypeBits(dtype);
  if (!Number.isSafeInteger(bits)) {
    throw new KvFormatError(`tensor ${name}: ${elements} ${dtype} elements overflow`, { code: "shape_overflow", tensor: name });
  }
  if (bits % 8 !== 0) {
    throw new KvFormatError(`tensor ${name}: ${elements} ${dtype} elements do not fill whole bytes`, { code: "misaligned_tensor", tensor: name });
  }
  return bits / 8;
}
