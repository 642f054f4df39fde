export { KvcdnError, isKvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";
export { CompatibilityError, ModelFolderError, MissingPeerError, CacheInputError, type CacheInputErrorCode } from "./compatibility-error.js";
