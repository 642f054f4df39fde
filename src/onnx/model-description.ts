import type { KvTensorType } from "./describe-graph.js";
import type { ModelFingerprint } from "./model-fingerprint.js";

/**
 * What a cache is checked against and converted for, whatever runtime runs the model: an `OnnxModel` is one, and
 * `loadTransformersModel` returns one for its transformers.js model, so both runtimes load caches through the same
 * `loadKvSource` and `checkCompatibility`.
 * @example const description: ModelDescription = { modelId: "Qwen/Qwen3-0.6B", numLayers: 28, numKvHeads: 8, headDim: 128, pastType: "float16", fingerprint };
 */
export interface ModelDescription {
  /** The model id a cache's `model_name` is compared with when the cache has no fingerprint. */
  modelId: string;
  /** The model folder, named in error messages. */
  dir?: string;
  /** k/v pairs per cache. */
  numLayers: number;
  /** KV heads per layer. */
  numKvHeads: number;
  /** Head dimension. */
  headDim: number;
  /** Element type the model's past inputs take; caches are converted to it. */
  pastType: KvTensorType;
  /**
   * The model's identity. Without it (a transformers.js model not loaded from a folder), only the dimensions and
   * `model_name` are checked and the cache's fingerprint is reported as unchecked.
   */
  fingerprint?: ModelFingerprint | undefined;
}
