/** `kvcdn/kv`: the `.kv` format (safetensors + JSON sidecar), byte-compatible with kvcdn-cli. */
export { VERSION } from "../version.js";
export * from "./safetensors/index.js";
export { KvFormatError, isKvFormatError, type KvFormatErrorCode } from "../errors/kv-format-error.js";
export {
  validateKvCache,
  sliceTokens,
  concatTokens,
  isKvDtype,
  kvDtypeSize,
  allocKvArray,
  type KvArray,
  type KvCache,
  type KvCacheInfo,
  type KvDtype,
  type KvLayer,
  type KvShape,
  type KvTensor,
} from "./kv-cache.js";
export { castKv, castKvArray, castKvTensor } from "./cast-kv.js";
export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, fromBf16Bits, fromF16Bits, toBf16Bits, toF16Bits } from "./float16.js";
export { kvArrayBytes, kvArrayFromBytes } from "./kv-bytes.js";
export { kvLayout, type KvLayout } from "./kv-layout.js";
export {
  CLI_SIDECAR_FIELDS,
  SIDECAR_EXTENSION_FIELDS,
  formatSidecar,
  parseSidecar,
  readSidecar,
  sidecarPath,
  writeSidecar,
  type KvFingerprint,
  type KvProducer,
  type KvSidecar,
} from "./sidecar.js";
export { ensureKvExtension } from "./ensure-kv-extension.js";
export { headerMetadata } from "./kv-metadata.js";
export { readKvMetadata, KV_METADATA_MAX_HEADER_BYTES } from "./read-kv-metadata.js";
export { readKv, type ReadKvOptions } from "./read-kv.js";
export { decodeKv, type DecodeKvOptions, type ReadKvResult } from "./decode-kv.js";
export { writeKv, type WriteKvOptions, type WriteKvResult } from "./write-kv.js";
export {
  INV_127_F32,
  MIN_QUANT_SCALE,
  dequantDtypeFor,
  dequantizeKv,
  dequantizeValues,
  parseQuantTarget,
  quantizeKv,
  quantizeTensor,
  quantizeValues,
  validateQuantizedKv,
  type QuantTarget,
  type QuantizedKv,
  type QuantizedTensor,
} from "./quantize.js";
export {
  formatQuantEvent,
  formatRustF64,
  quantErrors,
  quantEventPath,
  rfc3339,
  writeQuantEvent,
  type QuantEvent,
  type VerificationResult,
} from "./quant-event.js";
export { quantizeKvFile, type QuantizeKvFileResult } from "./quantize-kv-file.js";
export { convertKvFile } from "./convert-kv-file.js";
export { inspectKv, type KvInspection } from "./inspect-kv.js";
export { carrySidecar } from "./carry-sidecar.js";
export {
  recordVerification,
  readVerification,
  isVerified,
  verificationRecordPath,
  type VerificationRecord,
} from "./verification-record.js";
