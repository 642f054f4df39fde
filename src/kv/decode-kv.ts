import { createHash } from "node:crypto";
import { castKv } from "./cast-kv.js";
import { kvArrayFromBytes } from "./kv-bytes.js";
import type { KvCache, KvDtype, KvShape } from "./kv-cache.js";
import { kvLayout } from "./kv-layout.js";
import { checkSha256, quantScale } from "./kv-file-checks.js";
import { checkSidecarAgainstFile, headerMetadata } from "./kv-metadata.js";
import { dequantDtypeFor, dequantizeKv, parseQuantTarget, type QuantizedKv, type QuantTarget } from "./quantize.js";
import { parseSafetensors } from "./safetensors/parse-safetensors.js";
import type { KvSidecar } from "./sidecar.js";

/** What {@link decodeKv} and `readKv` return. */
export interface ReadKvResult<D extends KvDtype = KvDtype> {
  /** The cache, dequantized if the file is quantized. Unconverted tensors are views over the file's bytes. */
  cache: KvCache<D>;
  /**
   * The sidecar if there is one, else the header-only metadata (kvcdn-cli `read_kv_metadata` semantics). It describes
   * the file, not the loaded cache: kvcdn-cli's `load_kv` instead reports a dequantized file as `quantized: false`
   * with the loaded dtype; here that is `cache.dtype`, and `quantized` is set.
   */
  metadata: KvSidecar;
  /** The sidecar, if the file has one. */
  sidecar: KvSidecar | undefined;
  /** The quantized codes and scales, for a quantized file (codes are views over the file's bytes). */
  quantized: QuantizedKv | undefined;
}

/** Options of {@link decodeKv} and `readKv`. */
export interface DecodeKvOptions<D extends KvDtype = KvDtype> {
  /** Convert (or dequantize) to this dtype. @default the file's dtype; for quantized files `dequantDtypeFor(sidecar?.dtype)` */
  dtype?: D;
  /** Check the bytes against the sidecar's `sha256` extension when present. @default true */
  verifySha256?: boolean;
}

/**
 * Decode the bytes of a `.kv` file (kvcdn-cli `load_kv`): validates the container and KV layout, checks the sidecar
 * against the file (and its `sha256`, if any), and dequantizes quantized files to the sidecar's dtype (`I8`, `FP8`
 * or no sidecar → F16).
 * @example const { cache } = decodeKv(bytes, { sidecar })
 */
export function decodeKv<D extends KvDtype = KvDtype>(
  bytes: Uint8Array,
  options: DecodeKvOptions<D> & {
    /** The sidecar, if any. */
    sidecar?: KvSidecar | undefined;
    /** Used in error messages. */
    path?: string;
    /** The SHA-256 of `bytes` when the caller already computed it (readKv hashes while reading); saves a pass. */
    computedSha256?: string;
  } = {},
): ReadKvResult<D> {
  const { header, tensors } = parseSafetensors(bytes);
  const sidecar = options.sidecar;
  const layout = kvLayout(header);
  if (sidecar !== undefined) {
    checkSidecarAgainstFile(sidecar, layout, header.fileSize, options.path ?? "<bytes>");
    if (options.verifySha256 !== false && sidecar.sha256 !== undefined) {
      checkSha256(sidecar, options.computedSha256 ?? createHash("sha256").update(bytes).digest("hex"));
    }
  }
  const metadata = sidecar ?? headerMetadata(layout, header.fileSize);
  const get = (name: string) => tensors.get(name)!;
  if (!layout.quantized) {
    const dtype = layout.dtype;
    const cache: KvCache = {
      dtype,
      layers: Array.from({ length: layout.numLayers }, (_, i) => ({
        key: { dtype, shape: [...layout.shape] as KvShape, data: kvArrayFromBytes(dtype, get(`k_${i}`).data) },
        value: { dtype, shape: [...layout.shape] as KvShape, data: kvArrayFromBytes(dtype, get(`v_${i}`).data) },
      })),
    };
    return { cache: castKv(cache, options.dtype ?? dtype) as KvCache<D>, metadata, sidecar, quantized: undefined };
  }
  // checkSidecarAgainstFile has refused a sidecar dtype that is not a target.
  const target: QuantTarget = sidecar === undefined ? "F16" : parseQuantTarget(sidecar.dtype);
  const one = (name: string) => {
    const scale = quantScale(name, get(`${name}_s`).data);
    return { shape: [...layout.shape] as KvShape, q: get(`${name}_q`).data, scale };
  };
  const quantized: QuantizedKv = {
    quantized: true,
    target,
    layers: Array.from({ length: layout.numLayers }, (_, i) => ({ key: one(`k_${i}`), value: one(`v_${i}`) })),
  };
  const dtype = (options.dtype ?? dequantDtypeFor(sidecar?.dtype)) as D;
  return { cache: dequantizeKv(quantized, { dtype }), metadata, sidecar, quantized };
}

