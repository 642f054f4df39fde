/** `kvcdn/kv` entry. */
export { VERSION } from "../version.js";
export * from "./safetensors/index.js";
export { KvFormatError, isKvFormatError, type KvFormatErrorCode } from "../errors/kv-format-error.js";
