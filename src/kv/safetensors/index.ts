export { SAFETENSORS_DTYPES, dtypeBits, dtypeRank, isSafetensorsDtype, type SafetensorsDtype } from "./dtype.js";
export type { LazyTensor, RawTensor, SafetensorsHeader, SafetensorsTensorInfo, TensorsInput } from "./types.js";
export { MAX_HEADER_LENGTH } from "./parse-header.js";
export { encodeSafetensors } from "./encode-safetensors.js";
export { writeSafetensors, type WriteSafetensorsOptions, type WriteSafetensorsResult } from "./write-safetensors.js";
export { readSafetensorsHeader } from "./read-safetensors-header.js";
export { readSafetensors } from "./read-safetensors.js";
export { parseSafetensors } from "./parse-safetensors.js";
export { openSafetensors, type SafetensorsFile } from "./open-safetensors.js";
