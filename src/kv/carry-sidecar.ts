import type { KvSidecar } from "./sidecar.js";

/**
 * The fields of an input's sidecar worth carrying to a derived file (quantized, converted): `model_name`, `prompt`,
 * `tokens`, `fingerprint` and unknown fields. Facts about the bytes (`sha256`, sizes, dtypes) and `producer` are
 * recomputed by the writer.
 */
export function carrySidecar(sidecar: KvSidecar | undefined): Partial<KvSidecar> {
  if (sidecar === undefined) return {};
  const { num_layers, num_tokens, dtype, storage_dtype, nbytes, quantized, sha256, producer, ...rest } = sidecar;
  void [num_layers, num_tokens, dtype, storage_dtype, nbytes, quantized, sha256, producer];
  return rest;
}
