export { KvcdnError, isKvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";
export { KvFormatError, isKvFormatError, type KvFormatErrorCode, type KvFormatErrorOptions } from "./kv-format-error.js";
export { LocalFileError } from "./local-file-error.js";
export { FileTooLargeError } from "./file-too-large-error.js";
export { CompatibilityError, ModelFolderError, MissingPeerError, CacheInputError, type CacheInputErrorCode } from "./compatibility-error.js";
