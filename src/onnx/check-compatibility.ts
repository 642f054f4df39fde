import { CompatibilityError } from "../errors/compatibility-error.js";
import { FINGERPRINT_FIELDS, type ModelFingerprint } from "./model-fingerprint.js";
import type { ModelDescription } from "./model-description.js";

/** A fingerprint field that {@link checkCompatibility} may be told to skip. */
export type FingerprintField = (typeof FINGERPRINT_FIELDS)[number];

/** Options of {@link checkCompatibility}. */
export interface CompatibilityOptions {
  /**
   * Fingerprint fields not to compare. `model_dtype` is skipped unless `strictDtype`: a cache from the fp16 or q4f16
   * variant of the same model is valid in the fp32 one (only not bit-identical). @default []
   */
  ignoreFields?: readonly FingerprintField[];
  /** Also require the same weight variant (`model_dtype`). @default false */
  strictDtype?: boolean;
}

/**
 * Check that a cache fits a model before running anything: its tensors' layer count, KV heads and head dim, then its
 * sidecar's fingerprint field by field (architecture, heads, head_dim, rope_theta, config and tokenizer SHA-256,
 * revision when both are known, model_dtype with `strictDtype`), or `model_name` when it has no fingerprint.
 * @throws {CompatibilityError} naming the first field that differs, with the model's and the cache's values.
 * @example checkCompatibility({ model, cache: { numLayers: 28, numKvHeads: 8, headDim: 128 }, metadata: sidecar });
 */
export function checkCompatibility(
  params: {
    /** The model: an `OnnxModel`, a transformers.js model's `description`, or any {@link ModelDescription}. */
    model: Omit<ModelDescription, "pastType">;
    /** The cache's dimensions, as its tensors have them; leave out to check metadata only (before reading tensors). */
    cache?: { numLayers: number; numKvHeads: number; headDim: number };
    /** The cache's sidecar (or header metadata). */
    metadata?:
      | { model_name?: string; num_layers?: number; fingerprint?: Partial<ModelFingerprint> | undefined }
      | undefined;
  } & CompatibilityOptions,
): void {
  const { model, cache, metadata } = params;
  const structural = cache
    ? ([
        ["num_layers", model.numLayers, cache.numLayers],
        ["num_kv_heads", model.numKvHeads, cache.numKvHeads],
        ["head_dim", model.headDim, cache.headDim],
      ] as const)
    : ([["num_layers", model.numLayers, metadata?.num_layers ?? model.numLayers]] as const);
  for (const [field, expected, actual] of structural) {
    if (expected !== actual) throw new CompatibilityError(field, expected, actual);
  }
  const fingerprint = metadata?.fingerprint;
  const own = model.fingerprint;
  if (fingerprint && own) {
    const ignore = new Set<string>(params.ignoreFields ?? []);
    if (params.strictDtype !== true) ignore.add("model_dtype");
    for (const field of FINGERPRINT_FIELDS) {
      if (ignore.has(field)) continue;
      const expected = own[field];
      const actual = fingerprint[field];
      if (field === "revision" && (expected === null || actual === null || actual === undefined)) continue;
      if (actual === undefined || expected !== actual) {
        throw new CompatibilityError(
          `fingerprint.${field}`,
          expected,
          actual ?? null,
          `cache was produced by another model: fingerprint.${field} is ${JSON.stringify(actual ?? null)} in the cache ` +
            `but ${JSON.stringify(expected)} for ${model.modelId} (${model.dir}); use the model the cache names ` +
            `(${JSON.stringify(metadata?.model_name ?? "unknown")}) or re-produce the cache with this one`,
        );
      }
    }
    return;
  }
  const name = metadata?.model_name;
  // The header-only fallback says "unknown", and so does a transformers.js model whose config names no model: nothing
  // to compare beyond the tensor dimensions.
  if (name !== undefined && name !== "unknown" && model.modelId !== "unknown" && name !== model.modelId) {
    throw new CompatibilityError(
      "model_name",
      model.modelId,
      name,
      `cache was produced by ${JSON.stringify(name)} but the model is ${JSON.stringify(model.modelId)} and the cache ` +
        "has no fingerprint to prove they are the same; load the model with modelId (--model-id) " +
        `${JSON.stringify(name)} if it is the same model, or re-produce the cache`,
    );
  }
}

/** The {@link CompatibilityOptions} fields of a larger options object (for passing them on). */
export function compatibilityOptions(options: CompatibilityOptions): CompatibilityOptions {
  return {
    ...(options.ignoreFields !== undefined ? { ignoreFields: options.ignoreFields } : {}),
    ...(options.strictDtype !== undefined ? { strictDtype: options.strictDtype } : {}),
  };
}
