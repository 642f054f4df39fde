import type { SafetensorsDtype } from "./dtype.js";

/** A tensor as raw bytes: little-endian elements in C (row-major) order. */
export interface RawTensor {
  /** Element type. */
  dtype: SafetensorsDtype;
  /** Dimensions; `[]` is a scalar (one element). */
  shape: number[];
  /** Exactly `product(shape) × element size` bytes. Views returned by the readers share the file buffer. */
  data: Uint8Array;
}

/**
 * A tensor whose bytes are produced only when the writer reaches it, so a writer never holds more than one
 * converted tensor at a time. `load` must return exactly `product(shape) × element size` bytes.
 */
export interface LazyTensor {
  /** Element type. */
  dtype: SafetensorsDtype;
  /** Dimensions; `[]` is a scalar. */
  shape: number[];
  /** Produce the bytes; called once, in file order. */
  load: () => Uint8Array | Promise<Uint8Array>;
}

/** One header entry, as validated by the readers. */
export interface SafetensorsTensorInfo {
  /** Tensor name (the header key). */
  name: string;
  /** Element type. */
  dtype: SafetensorsDtype;
  /** Dimensions. */
  shape: number[];
  /** `[start, end)` byte offsets relative to the first data byte (`dataOffset`). */
  dataOffsets: [number, number];
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** `N`, the header length in bytes (JSON plus padding), read from the first 8 bytes. */
  headerLength: number;
  /** Absolute offset of the first data byte: `8 + N`. */
  dataOffset: number;
  /** Total size of the file: `8 + N + data bytes`. */
  fileSize: number;
  /** The `__metadata__` string map, if the file has one (kvcdn-cli writes none). */
  metadata: Readonly<Record<string, string>> | undefined;
  /** Every tensor, keyed by name, in data order (ascending offsets). */
  tensors: ReadonlyMap<string, SafetensorsTensorInfo>;
}

/** Tensors to write: a plain object or a Map, name → tensor. Order does not matter; the writer sorts. */
export type TensorsInput<T> = Readonly<Record<string, T>> | ReadonlyMap<string, T>;
