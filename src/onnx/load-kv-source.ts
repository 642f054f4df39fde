import { validateKvCache, type KvCache } from "../kv/kv-cache.js";
import type { QuantizedKv } from "../kv/quantize.js";
import { readKv } from "../kv/read-kv.js";
import { readKvMetadata } from "../kv/read-kv-metadata.js";
import { readKvInto } from "../kv/read-kv-into.js";
import type { KvLayerTargets } from "../kv/kv-tensor-targets.js";
import type { KvSidecar } from "../kv/sidecar.js";
import { castForModel, kvDtypeFor } from "./cache-io.js";
import { checkCompatibility, compatibilityOptions, type CompatibilityOptions } from "./check-compatibility.js";
import { heldCache, PreparedCache, preparedState } from "./prepared-cache.js";
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
  /**
   * The cache, F32 or F16 as the session's past inputs want. For a {@link PreparedCache} whose buffers have room, a
   * copy made on first access.
   */
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
    const handle = kv;
    let cache = state.cache;
    // What its fingerprint left unchecked was reported when it was prepared.
    return {
      // Buffers with room are copied out as plain arrays only for a caller that asks (not the session's own runs).
      get cache() {
        return (cache ??= heldCache(handle));
      },
      metadata: kv.metadata,
      numTokens: kv.numTokens,
      tokens: kv.tokens,
      past: state.past,
      unchecked: [],
    };
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
  const tokens = recordedTokens(metadata, info.numTokens);
  return { cache, metadata, numTokens: info.numTokens, tokens, unchecked };
}

/**
 * Internal: open a `.kv` file (or a reference, fetched through the cache directory) for a model like
 * {@link loadKvSource}, with the same checks in the same order, but read the tensors, in the model's past dtype,
 * straight into the buffers `allocate` returns for the cache's size (`[1, kv_heads, capacity, head_dim]`, with room
 * after the cache's positions): the file is never held whole. On an error the buffers hold unverified bytes.
 * @throws {CompatibilityError} before `allocate` runs when the metadata or the tensor dimensions do not fit the model.
 */
export async function loadKvFileInto(
  model: ModelDescription,
  kv: string | KvRef,
  options: KvLoadOptions & { signal?: AbortSignal },
  allocate: (info: { numTokens: number; tokens: number[] | undefined }) => Promise<Array<KvLayerTargets<"F32" | "F16">>>,
): Promise<Omit<LoadedKv, "cache" | "past">> {
  const compat = compatibilityOptions(options);
  const path = isKvRef(kv) ? await fetchKvRef(kv, options.signal) : kv;
  // Header and sidecar only: an incompatible file fails before its tensors are read.
  const fileMetadata = await readKvMetadata(path);
  const { unchecked } = checkCompatibility({ model, metadata: fileMetadata, ...compat });
  let tokens: number[] | undefined;
  let numTokens = 0;
  const read = await readKvInto(path, {
    dtype: kvDtypeFor(model.pastType),
    allocate: async (layout) => {
      checkCompatibility({ model, cache: layout, ...compat });
      numTokens = layout.numTokens;
      return allocate({ numTokens, tokens: (tokens = recordedTokens(fileMetadata, numTokens)) });
    },
    ...(options.verifySha256 !== undefined ? { verifySha256: options.verifySha256 } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { metadata: read.metadata, numTokens, tokens, unchecked };
}

/** The cached ids a sidecar records, when they match the tensors' positions. */
function recordedTokens(metadata: Partial<KvSidecar>, numTokens: number): number[] | undefined {
  return Array.isArray(metadata.tokens) && metadata.tokens.length === numTokens ? metadata.tokens : undefined;
}
