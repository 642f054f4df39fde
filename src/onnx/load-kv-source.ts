import { validateKvCache, type KvCache } from "../kv/kv-cache.js";
import type { QuantizedKv } from "../kv/quantize.js";
import { readKv } from "../kv/read-kv.js";
import { readKvMetadata } from "../kv/read-kv-metadata.js";
import type { KvSidecar } from "../kv/sidecar.js";
import { castForModel, kvDtypeFor } from "./cache-io.js";
import { checkCompatibility, compatibilityOptions, type CompatibilityOptions } from "./check-compatibility.js";
import { PreparedCache, preparedState } from "./prepared-cache.js";
import type { PastState } from "./run-forward.js";
import type { ModelDescription } from "./model-description.js";
import { fetchKvRef, isKvRef, type KvRef } from "./resolve-kv-ref.js";

/**
 * A cache to load: a `.kv` path (its sidecar is read too), a reference fetched through the cache directory
 * (`{ ref }`, see docs/cache-directory.md), a cache in memory with its sidecar (as `readKv` returns them; quantized
 * caches are accepted in every form), or a {@link PreparedCache} (`prepareCache`), already checked and converted.
 */
export type KvSource = string | KvRef | { cache: KvCache | QuantizedKv; metadata?: Partial<KvSidecar> | undefined } | PreparedCache;

/** How a cache is opened for a model. */
export interface KvLoadOptions extends CompatibilityOptions {
  /**
   * Check a `.kv` file against the SHA-256 its sidecar records (one pass over the bytes, about 0.5 s per GB with
   * SHA-NI). Turn it off when the file was just verified, e.g. by a download. @default true
   */
  verifySha256?: boolean;
}

/** A cache checked against a model and converted to the model's past dtype. */
export interface LoadedKv {
  /** The cache, F32 or F16 as the session's past inputs want. */
  cache: KvCache<"F32" | "F16">;
  /** Its sidecar, or header metadata, or what the caller gave. */
  metadata: Partial<KvSidecar>;
  /** Cached positions: dim 2 of the tensors (never the sidecar's count). */
  numTokens: number;
  /** The cached ids, when the sidecar records them. */
  tokens: number[] | undefined;
  /** The session feeds of the whole cache, when the source was a {@link PreparedCache} (shared, never disposed here). */
  past?: PastState;
  /** Fingerprint fields that could not be checked (see `checkCompatibility`). */
  unchecked: string[];
}

/**
 * Open a cache for a model of either runtime (an `OnnxModel`, or the `description` of a transformers.js model): check
 * it (metadata first, then tensor dimensions) and convert its dtype. A prepared cache is only checked against the
 * model (nothing is read or converted).
 * @throws {CompatibilityError} before any tensor is used when the cache does not fit the model.
 * @throws {CacheInputError} `disposed_cache` for a disposed {@link PreparedCache}.
 * @example const { cache, numTokens, tokens } = await loadKvSource(model, "ctx.kv");
 */
export async function loadKvSource(
  model: ModelDescription,
  kv: KvSource,
  options: KvLoadOptions & { signal?: AbortSignal } = {},
): Promise<LoadedKv> {
  if (kv instanceof PreparedCache) {
    const state = preparedState(kv, model);
    // What its fingerprint left unchecked was reported when it was prepared.
    return { cache: state.cache, metadata: kv.metadata, numTokens: kv.numTokens, tokens: kv.tokens, past: state.past, unchecked: [] };
  }
  const compat = compatibilityOptions(options);
  // The blob comes with a verification record, so readKv below does not hash it again.
  if (isKvRef(kv)) kv = await fetchKvRef(kv, options.signal);
  let cache: KvCache<"F32" | "F16">;
  let metadata: Partial<KvSidecar>;
  let unchecked: string[];
  if (typeof kv === "string") {
    // Header and sidecar only: an incompatible file fails before its tensors are read.
    ({ unchecked } = checkCompatibility({ model, metadata: await readKvMetadata(kv), ...compat }));
    const read = await readKv(kv, {
      dtype: kvDtypeFor(model.pastType),
      ...(options.verifySha256 !== undefined ? { verifySha256: options.verifySha256 } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    cache = read.cache;
    metadata = read.metadata;
  } else {
    metadata = kv.metadata ?? {};
    ({ unchecked } = checkCompatibility({ model, metadata, ...compat }));
    const layers = kv.cache.layers;
    const shape = layers[0]?.key.shape;
    if (shape) checkCompatibility({ model, cache: { numLayers: layers.length, numKvHeads: shape[1], headDim: shape[3] }, ...compat });
    cache = castForModel(model, kv.cache);
  }
  const info = validateKvCache(cache);
  checkCompatibility({ model, cache: info, ...compat }); // the metadata was checked above
  const tokens = Array.isArray(metadata.tokens) && metadata.tokens.length === info.numTokens ? metadata.tokens : undefined;
  return { cache, metadata, numTokens: info.numTokens, tokens, unchecked };
}
