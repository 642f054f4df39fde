/**
 * `kvcdn/transformers`: seed transformers.js `generate()` with `.kv` caches and turn its `present.*` outputs into
 * `.kv` caches. `@huggingface/transformers` is an optional peer, loaded on first use.
 */
export { VERSION } from "../version.js";
export { importTransformers, type TransformersJs } from "../peers/import-transformers.js";
export { loadTransformersModel, type TransformersModel } from "./load-transformers-model.js";
export { kvToDynamicCache, pastTensorType, type PastTensorType } from "./kv-to-dynamic-cache.js";
export { presentToKv } from "./present-to-kv.js";
export { describeTransformersModel } from "./describe-transformers-model.js";
export type { ModelDescription } from "../onnx/model-description.js";
export {
  generateFromCache,
  type GenerateFromCacheOptions,
  type GenerateFromCacheResult,
  type TransformersGenerateOptions,
} from "./generate-from-cache.js";
export {
  CompatibilityError,
  ModelFolderError,
  MissingPeerError,
  CacheInputError,
  isCompatibilityError,
  isModelFolderError,
  isMissingPeerError,
  isCacheInputError,
} from "../errors/compatibility-error.js";
