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
  /** The cache as arrays; absent when the tensors have room (`past.capacity`), which a plain cache cannot describe. */
  cache: KvCache<"F32" | "F16"> | undefined;
  past: PastState;
  /** A generation is writing into the room of `past` (see {@link leasePrepared}). */
  leased?: boolean;
  /** `dispose()` ran during a lease: the tensors are released when it ends. */
  disposeOnRelease?: boolean;
}

// Held outside the object so that nothing but this module reaches the tensors (and a disposed handle holds nothing).
const states = new WeakMap<PreparedCache, PreparedState>();

/**
 * A cache read, checked against a model and converted to the session's past dtype once, held as onnxruntime tensors
 * ready to feed: `resumeFromCache`, `resumeFromPrefix` and `verifyCache` take it as `kv` and only build the
 * question's feeds. Made by {@link prepareCache}.
 *
 * Memory: it holds {@link PreparedCache.byteLength} bytes (the cache in the session's dtype: F16 for fp16/q4f16
 * graphs, F32 — twice an F16 file — for fp32 ones; on graphs that write their past in place, plus `reserveTokens`
 * positions of room) until {@link PreparedCache.dispose}. Each resume from it allocates the forward pass's outputs
 * on top (about the same size again, released with the generation); on in-place graphs one resume at a time runs in
 * the handle's own buffers, and a concurrent one first copies them (docs/runtime.md#in-place-past).
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
    this.dtype = state.model.io.pastType === "float16" ? "F16" : "F32";
    this.byteLength = Object.values(state.past.tensors).reduce((n, t) => n + (t.data as Uint16Array | Float32Array).byteLength, 0);
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
    if (state.leased) state.disposeOnRelease = true;
    else releaseTensors(state);
  }
}

function releaseTensors(state: PreparedState): void {
  for (const t of Object.values(state.past.tensors)) (t as Tensor & { dispose?: () => void }).dispose?.();
}

/**
 * Internal: let one generation that continues from the handle's last position write into the room of its own
 * buffers (graphs that write their past in place), when no other generation is and the room holds `capacity`
 * positions. The cache's positions are never written, so the next generation sees the same cache. `undefined` when
 * the buffers are busy or too small: the caller then copies them.
 */
export function leasePrepared(handle: PreparedCache, model: ModelDescription, capacity: number): { past: PastState; release: () => void } | undefined {
  const state = preparedState(handle, model);
  if (state.leased || state.past.capacity === undefined || state.past.capacity < capacity) return undefined;
  state.leased = true;
  let released = false;
  return {
    past: state.past,
    release: () => {
      if (released) return;
      released = true;
      state.leased = false;
      if (state.disposeOnRelease) releaseTensors(state);
    },
  };
}

/**
 * Internal: the cache a live handle holds, as plain arrays (for runtimes other than the session it was prepared
 * for). A handle whose buffers have room is copied out (its positions only).
 */
export function heldCache(handle: PreparedCache): KvCache<"F32" | "F16"> {
  const state = liveState(handle);
  return state.cache ?? compactPast(state);
}

function compactPast(state: PreparedState): KvCache<"F32" | "F16"> {
  const { model, past } = state;
  const dtype = model.io.pastType === "float16" ? "F16" : "F32";
  const n = past.length;
  const cut = (t: Tensor) => {
    const [, heads, stride, dim] = t.dims as [number, number, number, number];
    const src = t.data as Float32Array;
    const out = new (src.constructor as Float32ArrayConstructor)(heads * n * dim);
    for (let h = 0; h < heads; h++) out.set(src.subarray(h * stride * dim, h * stride * dim + n * dim), h * n * dim);
    return { dtype, shape: [1, heads, n, dim] as [number, number, number, number], data: out };
  };
  return {
    dtype,
    layers: model.io.layers.map((names) => ({ key: cut(past.tensors[names.pastKey]!), value: cut(past.tensors[names.pastValue]!) })),
  } as KvCache<"F32" | "F16">;
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
  const first = state.past.tensors[state.model.io.layers[0]!.pastKey]!.dims;
  checkCompatibility({
    model,
    cache: { numLayers: state.model.io.layers.length, numKvHeads: first[1]!, headDim: first[3]! },
    // The handle was checked against its own model: this one must be the same model.
    metadata: { model_name: state.model.modelId, fingerprint: state.model.fingerprint },
  });
  return state;
}
