import { KvFormatError } from "../errors/kv-format-error.js";
import type { RawTensor } from "./safetensors/types.js";
import { allocKvArray, kvDtypeSize, type KvArray, type KvDtype, type KvShape } from "./kv-cache.js";

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  return out;
}

/**
 * Turn little-endian elements of `size` bytes, read from a file straight into a typed array's bytes, into host order
 * in place: nothing to do on little-endian hosts.
 */
export function littleEndianToHostInPlace(bytes: Uint8Array, size: number): void {
  if (LITTLE_ENDIAN || size === 1) return;
  for (let i = 0; i + size <= bytes.byteLength; i += size) bytes.subarray(i, i + size).reverse();
}

/** The little-endian bytes of a typed array: a zero-copy view on little-endian hosts. */
export function kvArrayBytes(data: KvArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return LITTLE_ENDIAN ? view : swapped(view, data.BYTES_PER_ELEMENT);
}

/**
 * Typed elements of a raw little-endian tensor: a zero-copy view when the bytes are aligned (always the case for
 * files written by kvcdn and kvcdn-cli), a copy otherwise.
 */
export function kvArrayFromBytes<D extends KvDtype>(dtype: D, bytes: Uint8Array): KvArray<D> {
  const size = kvDtypeSize(dtype);
  if (bytes.byteLength % size !== 0) throw new KvFormatError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`, { code: "invalid_tensor" });
  const length = bytes.byteLength / size;
  const src = LITTLE_ENDIAN ? bytes : swapped(bytes, size);
  if (src.byteOffset % size === 0) {
    return (dtype === "F32" ? new Float32Array(src.buffer, src.byteOffset, length) : new Uint16Array(src.buffer, src.byteOffset, length)) as KvArray<D>;
  }
  const out = allocKvArray(dtype, length);
  new Uint8Array(out.buffer).set(src);
  return out;
}

/** A {@link RawTensor} over a typed array's bytes (zero-copy on little-endian hosts). */
export function kvRawTensor(dtype: KvDtype, shape: KvShape, data: KvArray): RawTensor {
  return { dtype, shape: [...shape], data: kvArrayBytes(data) };
}

/** The F32 value of a rank-0 F32 tensor's 4 bytes. */
export function readF32Scalar(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true);
}

/** The 4 little-endian bytes of an F32 scalar. */
export function f32ScalarBytes(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setFloat32(0, value, true);
  return out;
}
