import type { Tensor } from "onnxruntime-node";
import { CacheInputError, CompatibilityError } from "../errors/compatibility-error.js";
import type { KvCache } from "../kv/kv-cache.js";
import type { KvSidecar } from "../kv/sidecar.js";
import { checkCompatibility } from "./check-compatibility.js";
import type { OnnxModel } from "./load-model.js";
import type { ModelDescription } from "./model-description.js";
import type { PastState } from "./run-forward.js";

/** Internal: what a handle holds. */
export interface PreparedState {
  model: OnnxModel;
  cache: KvCache<"F32" | "F16">;
  past: PastState;
}

// Held outside the object so that nothing but this module reaches the tensors (and a disposed handle holds nothing).
const states = new WeakMap<PreparedCache, PreparedState>();

/**
 * A cache read, checked against a model and converted to the session's past dtype once, held as onnxruntime tensors
 * ready to feed: `resumeFromCache`, `resumeFromPrefix` and `verifyCache` take it as `kv` and only build the
 * question's feeds. Made by {@link prepareCache}.
 *
 * Memory: it holds {@link PreparedCache.byteLength} bytes (the cache in the session's dtype: F16 for fp16/q4f16
 * graphs, F32 — twice an F16 file — for fp32 ones) until {@link PreparedCache.dispose}. Each resume from it
 * allocates the forward pass's own outputs on top (about the same size again, released with the generation).
 */
export class PreparedCache {
  /** Cached positions (the question runs at `numTokens …`). */
  readonly numTokens: number;
  /** The cached ids, when the sidecar records them. */
  readonly tokens: number[] | undefined;
  /** The cache's sidecar (or header metadata, or what the caller gave). */
  readonly metadata: Partial<KvSidecar>;
  /** Element type held: the session's past type. */
  readonly dtype: "F32" | "F16";
  /** Bytes of tensor data held (every layer's key and value in `dtype`). */
  readonly byteLength: number;
  /** `modelId` of the model it was prepared for. */
  readonly modelId: string;

  /** @internal use {@link prepareCache}. */
  constructor(state: PreparedState, info: { numTokens: number; tokens: number[] | undefined; metadata: Partial<KvSidecar> }) {
    states.set(this, state);
    this.numTokens = info.numTokens;
    this.tokens = info.tokens;
    this.metadata = info.metadata;
    this.dtype = state.cache.dtype;
    this.byteLength = state.cache.layers.reduce((n, l) => n + l.key.data.byteLength + l.value.data.byteLength, 0);
    this.modelId = state.model.modelId;
  }

  /** True once {@link dispose} has run. */
  get disposed(): boolean {
    return !states.has(this);
  }

  /** Release the tensors (idempotent). Using the handle afterwards is a `CacheInputError` (`disposed_cache`). */
  dispose(): void {
    const state = states.get(this);
    if (!state) return;
    states.delete(this);
    for (const t of Object.values(state.past.tensors)) (t as Tensor & { dispose?: () => void }).dispose?.();
  }
}

/** Internal: the cache a live handle holds (for runtimes other than the session it was prepared for). */
export function heldCache(handle: PreparedCache): KvCache<"F32" | "F16"> {
  return liveState(handle).cache;
}

function liveState(handle: PreparedCache): PreparedState {
  const state = states.get(handle);
  if (!state) {
    throw new CacheInputError("this prepared cache was disposed; prepare it again with prepareCache(model, source)", {
      code: "disposed_cache",
    });
  }
  return state;
}

/**
 * Internal: the tensors of a handle for `model`, after checking that the handle is alive and fits the model (same
 * past type and dimensions; the fingerprint, or the model id, of the model it was prepared for).
 */
export function preparedState(handle: PreparedCache, model: ModelDescription): PreparedState {
  const state = liveState(handle);
  if (state.model === model) return state;
  if (model.pastType !== state.model.pastType) {
    throw new CompatibilityError(
      "past_type",
      model.pastType,
      state.model.pastType,
      `the cache was prepared for a session whose past is ${state.model.pastType}, but this model's is ` +
        `${model.pastType}; prepare it again for this model with prepareCache(model, source)`,
    );
  }
  const first = state.cache.layers[0]!.key.shape;
  checkCompatibility({
    model,
    cache: { numLayers: state.cache.layers.length, numKvHeads: first[1], headDim: first[3] },
    // The handle was checked against its own model: this one must be the same model.
    metadata: { model_name: state.model.modelId, fingerprint: state.model.fingerprint },
  });
  return state;
}
