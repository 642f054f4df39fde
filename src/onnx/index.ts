/**
 * `kvcdn/onnx`: produce `.kv` caches with onnxruntime-node and resume generation from them.
 * onnxruntime-node is an optional peer, loaded on first use; the tokenizer runs on @huggingface/tokenizers and
 * @huggingface/jinja (docs/runtime.md#tokenizer-library).
 */
export { VERSION } from "../version.js";
export { importOnnxRuntime, type OnnxRuntime } from "../peers/import-onnxruntime.js";
export { type ModelDtype, ONNX_FILE_SUFFIX, isModelDtype, onnxFileForDtype, fingerprintDtype } from "./model-dtype.js";
export { type ModelFingerprint, FINGERPRINT_FIELDS } from "./model-fingerprint.js";
export { readModelFolder, type ModelInfo, type ReadModelFolderOptions } from "./read-model-folder.js";
export { loadTokenizer, type Tokenizer, type ChatMessage, type ChatTemplateOptions } from "./load-tokenizer.js";
export { loadModel, type LoadModelOptions, type OnnxModel } from "./load-model.js";
export { MODEL_MALLOC_TUNABLES, mallocTuning, type MallocTuning } from "./malloc-tunables.js";
export { describeGraph, type GraphIo, type KvTensorType } from "./describe-graph.js";
export {
  runForward,
  runPrefill,
  emptyPast,
  DEFAULT_PREFILL_CHUNK_TOKENS,
  type PastState,
  type ForwardResult,
} from "./run-forward.js";
export { argmax, createSampler, type SamplingOptions } from "./sample-token.js";
export { createRng } from "./create-rng.js";
export {
  GenerationStream,
  type GeneratedToken,
  type GenerationEvent,
  type GenerationDone,
  type GenerationResult,
  type FinishReason,
} from "./generation-stream.js";
export type { DecodeOptions } from "./generate-tokens.js";
export {
  checkCompatibility,
  compatibilityOptions,
  type CompatibilityOptions,
  type FingerprintField,
} from "./check-compatibility.js";
export { castForModel, kvToPast, pastToKv, kvDtypeFor } from "./cache-io.js";
export { loadKvSource, type KvLoadOptions, type KvSource, type LoadedKv } from "./load-kv-source.js";
export { prepareCache, type PrepareCacheOptions } from "./prepare-cache.js";
export { PreparedCache } from "./prepared-cache.js";
export type { ModelDescription } from "./model-description.js";
export { isKvRef, type KvRef } from "./resolve-kv-ref.js";
export { produceCache, type ProduceCacheOptions, type ProducedCache, type ProducedSidecar } from "./produce-cache.js";
export { resumeFromCache, type ResumeFromCacheOptions } from "./resume-from-cache.js";
export { resumeFromPrefix, type ResumeFromPrefixOptions } from "./resume-from-prefix.js";
export { longestCommonPrefix, reusablePrefix } from "./longest-common-prefix.js";
export { searchCaches, type SearchCachesOptions, type CacheMatch } from "./search-caches.js";
export { verifyCache, DEFAULT_VERIFY_QUESTION, type VerifyCacheOptions, type VerifyResult } from "./verify-cache.js";
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
