/**
 * `kvcdn/onnx`: produce `.kv` caches with onnxruntime-node and resume generation from them.
 * onnxruntime-node and @huggingface/transformers (tokenizer) are optional peers, loaded on first use.
 */
export { VERSION } from "../version.js";
export { importOnnxRuntime, type OnnxRuntime } from "./import-onnxruntime.js";
export { type ModelDtype, ONNX_FILE_SUFFIX, isModelDtype, onnxFileForDtype, fingerprintDtype } from "./model-dtype.js";
export { type ModelFingerprint, FINGERPRINT_FIELDS } from "./model-fingerprint.js";
export { readModelFolder, type ModelInfo, type ReadModelFolderOptions } from "./read-model-folder.js";
export { loadTokenizer, type Tokenizer } from "./load-tokenizer.js";
export { loadModel, type LoadModelOptions, type OnnxModel } from "./load-model.js";
export { describeGraph, type GraphIo, type KvTensorType } from "./describe-graph.js";
export { runForward, emptyPast, type PastState, type ForwardResult } from "./run-forward.js";
export { argmax, createSampler, type SamplingOptions } from "./sample-token.js";
export { createRng } from "./create-rng.js";
export {
  GenerationStream,
  type GeneratedToken,
  type GenerationResult,
  type FinishReason,
} from "./generation-stream.js";
export type { DecodeOptions } from "./generate-tokens.js";
