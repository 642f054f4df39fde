import { KvFormatError } from "../errors/kv-format-error.js";
import { readF32Scalar } from "./kv-bytes.js";
import type { KvSidecar } from "./sidecar.js";

/** Throw a `checksum_mismatch` {@link KvFormatError} unless the file's bytes hash to the sidecar's `sha256`. */
export function checkSha256(sidecar: KvSidecar, actual: string): void {
  if (actual !== sidecar.sha256) {
    throw new KvFormatError(`sha256 is ${actual} but the sidecar records ${sidecar.sha256}`, { code: "checksum_mismatch" });
  }
}

/**
 * The scale of quantized tensor `name` (`k_{i}` or `v_{i}`) from the 4 bytes of `<name>_s`; a scale that is not finite
 * and positive is a `bad_scale` {@link KvFormatError}.
 */
export function quantScale(name: string, bytes: Uint8Array): number {
  const scale = readF32Scalar(bytes);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new KvFormatError(`${name}_s is ${scale}; scales are finite and positive`, { code: "bad_scale", tensor: `${name}_s` });
  }
  return scale;
}
