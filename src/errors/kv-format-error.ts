import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/**
 * Machine-readable reasons a `.kv` / safetensors file (or its sidecar) is rejected.
 * Container: `file_too_small`, `header_too_large`, `invalid_utf8`, `invalid_header_start`, `invalid_json`,
 * `header_not_object`, `bad_metadata`, `bad_tensor_info`, `duplicate_tensor`, `unknown_dtype`, `shape_overflow`,
 * `misaligned_tensor`, `byte_length_mismatch`, `bad_offsets`, `trailing_data`, `truncated_file`.
 * Cache: `no_kv_tensors`, `missing_tensor`, `missing_layer`, `unexpected_tensor`, `inconsistent_shape`, `bad_shape`,
 * `bad_dtype`, `missing_scale`, `bad_scale`, `non_finite`, `bad_sidecar`, `sidecar_mismatch`, `unsupported_dtype`,
 * `invalid_tensor` (a caller passed a tensor whose bytes do not match its shape), `checksum_mismatch` (the `.kv` bytes
 * do not hash to the sidecar's `sha256`), `verification_failed` (a quantized output did not verify), `out_of_range`
 * (e.g. slicing more tokens than a cache has).
 */
export type KvFormatErrorCode =
  | "file_too_small"
  | "header_too_large"
  | "invalid_utf8"
  | "invalid_header_start"
  | "invalid_json"
  | "header_not_object"
  | "bad_metadata"
  | "bad_tensor_info"
  | "duplicate_tensor"
  | "unknown_dtype"
  | "shape_overflow"
  | "misaligned_tensor"
  | "byte_length_mismatch"
  | "bad_offsets"
  | "trailing_data"
  | "truncated_file"
  | "no_kv_tensors"
  | "missing_tensor"
  | "missing_layer"
  | "unexpected_tensor"
  | "inconsistent_shape"
  | "bad_shape"
  | "bad_dtype"
  | "missing_scale"
  | "bad_scale"
  | "non_finite"
  | "bad_sidecar"
  | "sidecar_mismatch"
  | "unsupported_dtype"
  | "invalid_tensor"
  | "checksum_mismatch"
  | "verification_failed"
  | "out_of_range";

/** Options of {@link KvFormatError}. */
export interface KvFormatErrorOptions extends KvcdnErrorOptions {
  /** What is wrong, as a stable code. */
  code: KvFormatErrorCode;
  /** The file concerned, when the error comes from a file. */
  path?: string;
  /** The tensor concerned, when one is. */
  tensor?: string;
}

/**
 * A `.kv` file, safetensors file, sidecar or in-memory cache is malformed or inconsistent.
 * @example try { await readKv("ctx.kv") } catch (e) { if (e instanceof KvFormatError && e.code === "header_too_large") … }
 */
export class KvFormatError extends KvcdnError {
  override name = "KvFormatError";
  declare readonly code: KvFormatErrorCode;
  /** The file concerned, if any. */
  readonly path: string | undefined;
  /** The tensor concerned, if any. */
  readonly tensor: string | undefined;

  constructor(message: string, options: KvFormatErrorOptions) {
    super(options.path === undefined ? message : `${options.path}: ${message}`, options);
    this.path = options.path;
    this.tensor = options.tensor;
  }
}

/** True for a {@link KvFormatError}, across package copies and realms. */
export const isKvFormatError = (e: unknown): e is KvFormatError =>
  typeof e === "object" && e !== null && (e as { isKvcdnError?: unknown }).isKvcdnError === true &&
  (e as { name?: unknown }).name === "KvFormatError";
