import { KvFormatError } from "../errors/kv-format-error.js";
import type { KvLayout } from "./kv-layout.js";
import type { KvSidecar } from "./sidecar.js";

/**
 * Sidecar fields derived from the header alone (kvcdn-cli `read_kv_metadata` fallback): `model_name` `"unknown"`,
 * `nbytes` = file size, no prompt or tokens; quantized files report `dtype` `"U8"` (the target is lost) and
 * `storage_dtype` the header dtype; unquantized ones report the header dtype and `storage_dtype: null`.
 */
export function headerMetadata(layout: KvLayout, fileSize: number): KvSidecar {
  return {
    model_name: "unknown",
    num_layers: layout.numLayers,
    num_tokens: layout.shape[2],
    dtype: layout.quantized ? (layout.dtype === "U8" ? "U8" : "I8") : layout.dtype,
    storage_dtype: layout.quantized ? layout.dtype : null,
    nbytes: fileSize,
    quantized: layout.quantized,
  };
}

/** Throw a `sidecar_mismatch` {@link KvFormatError} when the sidecar contradicts the file. */
export function checkSidecarAgainstFile(sidecar: KvSidecar, layout: KvLayout, fileSize: number, path: string): void {
  const mismatch = (msg: string): never => {
    throw new KvFormatError(`sidecar contradicts the file: ${msg}`, { code: "sidecar_mismatch", path });
  };
  if (sidecar.quantized !== layout.quantized) {
    mismatch(
      layout.quantized
        ? "it says quantized: false but the file holds quantized tensors (kvcdn-cli fails with \"no KV tensors found\")"
        : "it says quantized: true but the file holds unquantized tensors",
    );
  }
  if (sidecar.nbytes !== fileSize) mismatch(`nbytes ${sidecar.nbytes}, file size ${fileSize}`);
  if (sidecar.num_layers !== layout.numLayers) mismatch(`num_layers ${sidecar.num_layers}, file has ${layout.numLayers}`);
  if (sidecar.num_tokens !== layout.shape[2]) mismatch(`num_tokens ${sidecar.num_tokens}, file has ${layout.shape[2]}`);
  if (!layout.quantized && sidecar.dtype !== layout.dtype) mismatch(`dtype ${sidecar.dtype}, tensors are ${layout.dtype}`);
  if (sidecar.storage_dtype !== null && sidecar.storage_dtype !== layout.dtype) mismatch(`storage_dtype ${sidecar.storage_dtype}, tensors are ${layout.dtype}`);
}
