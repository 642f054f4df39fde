/** `kvcdn/kv`: the `.kv` format (safetensors + JSON sidecar), byte-compatible with kvcdn-cli. */
export { VERSION } from "../version.js";
export { SAFETENSORS_DTYPES, isSafetensorsDtype, type SafetensorsDtype } from "./safetensors/dtype.js";
export type { LazyTensor, RawTensor, SafetensorsHeader, SafetensorsTensorInfo, TensorsInput } from "./safetensors/types.js";
export { encodeSafetensors } from "./safetensors/encode-safetensors.js";
export { writeSafetensors, type WriteSafetensorsOptions, type WriteSafetensorsResult } from "./safetensors/write-safetensors.js";
export { readSafetensorsHeader } from "./safetensors/read-safetensors-header.js";
export { readSafetensors } from "./safetensors/read-safetensors.js";
export { parseSafetensors } from "./safetensors/parse-safetensors.js";
export { openSafetensors, type SafetensorsFile } from "./safetensors/open-safetensors.js";
export { KvFormatError, isKvFormatError, type KvFormatErrorCode } from "../errors/kv-format-error.js";
export {
  validateKvCache,
  sliceTokens,
  concatTokens,
  isKvDtype,
  allocKvArray,
  type KvArray,
  type KvCache,
  type KvCacheInfo,
  type KvDtype,
  type KvLayer,
  type KvShape,
  type KvTensor,
} from "./kv-cache.js";
export { castKv } from "./cast-kv.js";
export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, fromBf16Bits, fromF16Bits, toBf16Bits, toF16Bits } from "./float16.js";
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
export { readKvMetadata } from "./read-kv-metadata.js";
export { readKv, type ReadKvOptions } from "./read-kv.js";
export { decodeKv, type DecodeKvOptions, type ReadKvResult } from "./decode-kv.js";
export { writeKv, type WriteKvOptions, type WriteKvResult } from "./write-kv.js";
export {
  dequantizeKv,
  parseQuantTarget,
  quantizeKv,
  validateQuantizedKv,
  type QuantTarget,
  type QuantizedKv,
  type QuantizedTensor,
} from "./quantize.js";
export type { QuantEvent, VerificationResult } from "./quant-event.js";
export { quantizeKvFile, type QuantizeKvFileResult } from "./quantize-kv-file.js";
export { convertKvFile } from "./convert-kv-file.js";
export { inspectKv, type KvInspection } from "./inspect-kv.js";
export {
  recordVerification,
  readVerification,
  isVerified,
  verificationRecordPath,
  type VerificationRecord,
} from "./verification-record.js";
