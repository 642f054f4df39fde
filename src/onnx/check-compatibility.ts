import { CompatibilityError } from "../errors/compatibility-error.js";
import type { KvFingerprint } from "../kv/sidecar.js";
import { FINGERPRINT_FIELDS } from "./model-fingerprint.js";
import type { ModelDescription } from "./model-description.js";

/** A fingerprint field that {@link checkCompatibility} may be told to skip. */
export type FingerprintField = (typeof FINGERPRINT_FIELDS)[number];

/** Options of {@link checkCompatibility}. */
export interface CompatibilityOptions {
  /**
   * Fingerprint fields not to compare (CLI: `--ignore-fingerprint a,b`), e.g. `weights_sha256` to load a cache into a
   * re-exported copy of the same weights. `model_dtype` is skipped unless `strictDtype`: a cache from the fp16 or q4f16
   * variant of the same model is valid in the fp32 one (only not bit-identical). @default []
   */
  ignoreFields?: readonly FingerprintField[];
  /** Also require the same weight variant (`model_dtype`). @default false */
  strictDtype?: boolean;
  /**
   * Called once when some of the cache's fingerprint could not be checked (fields the cache lacks, weights of another
   * variant, a model without a fingerprint), with a sentence saying which. The same list is in the result.
   */
  onWarning?: (message: string) => void;
}

/** What {@link checkCompatibility} could not check (the cache fits as far as the rest goes). */
export interface CompatibilityReport {
  /** Fingerprint fields that were not compared for lack of a value on one side, e.g. `["model_dtype"]`. */
  unchecked: string[];
}

/**
 * Check that a cache fits a model before running anything: its tensors' layer count, KV heads and head dim, then its
 * sidecar's fingerprint field by field, or `model_name` when it has no fingerprint. What is compared decides whether
 * the cache fits (see docs/runtime.md): architecture, heads, head_dim, rope_theta, the digest of the config's
 * architecture fields (`arch_sha256`), the tokenizer, the weights (`weights_sha256`, between caches of the same
 * variant), `model_dtype` with `strictDtype`. A cache written before `arch_sha256` / `weights_sha256` existed is
 * compared on what it has: `config_sha256` in place of the first, `revision` (when both are known) in place of the
 * second. A field only one side has is not compared; it is listed in the result's `unchecked`.
 * @throws {CompatibilityError} naming the first field that differs, with both values and how to override the check.
 * @example const { unchecked } = checkCompatibility({ model, cache: { numLayers: 28, numKvHeads: 8, headDim: 128 }, metadata: sidecar });
 */
export function checkCompatibility(
  params: {
    /** The model: an `OnnxModel`, a transformers.js model's `description`, or any {@link ModelDescription}. */
    model: Omit<ModelDescription, "pastType">;
    /** The cache's dimensions, as its tensors have them; leave out to check metadata only (before reading tensors). */
    cache?: { numLayers: number; numKvHeads: number; headDim: number };
    /** The cache's sidecar (or header metadata). */
    metadata?: { model_name?: string; num_layers?: number; fingerprint?: KvFingerprint | undefined } | undefined;
  } & CompatibilityOptions,
): CompatibilityReport {
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
  const unchecked: string[] = [];
  if (fingerprint && own) {
    const ignore = new Set<string>(params.ignoreFields ?? []);
    if (params.strictDtype !== true) ignore.add("model_dtype");
    const both = (field: FingerprintField): boolean => own[field] != null && fingerprint[field] != null;
    const sameVariant = own.model_dtype === fingerprint.model_dtype;
    for (const field of FINGERPRINT_FIELDS) {
      if (ignore.has(field)) continue;
      // The legacy fields stand in for the digests that replaced them, only when those cannot be compared.
      if (field === "config_sha256" && both("arch_sha256")) continue;
      if (field === "revision" && both("weights_sha256") && sameVariant) continue;
      const expected = own[field];
      const actual = fingerprint[field];
      if (field === "revision" && (expected === null || actual == null)) continue;
      if (field === "weights_sha256" && !sameVariant) {
        unchecked.push(field); // another variant's files: their digests never agree
        continue;
      }
      if (actual === undefined) {
        if (field === "arch_sha256" && both("config_sha256")) continue;
        unchecked.push(field);
        continue;
      }
      if (expected !== actual) {
        throw new CompatibilityError(
          `fingerprint.${field}`,
          expected,
          actual,
          `cache was produced by another model: fingerprint.${field} is ${JSON.stringify(actual)} in the cache ` +
            `but ${JSON.stringify(expected)} for ${model.modelId}${model.dir !== undefined ? ` (${model.dir})` : ""}; use ` +
            `the model the cache names (${JSON.stringify(metadata?.model_name ?? "unknown")}) or re-produce the cache ` +
            `with this one, or, if you know they are the same, skip the field with ignoreFields: ["${field}"] ` +
            `(CLI: --ignore-fingerprint ${field})`,
        );
      }
    }
  } else if (fingerprint) {
    unchecked.push("fingerprint");
  }
  if (!fingerprint || !own) {
    const name = metadata?.model_name;
    // The header-only fallback says "unknown", and so does a transformers.js model whose config names no model:
    // nothing to compare beyond the tensor dimensions.
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
  if (unchecked.length > 0) params.onWarning?.(uncheckedMessage(unchecked, fingerprint));
  return { unchecked };
}

function uncheckedMessage(unchecked: readonly string[], fingerprint: KvFingerprint | undefined): string {
  if (unchecked[0] === "fingerprint") {
    return "the model has no fingerprint (not loaded from a folder): the cache's fingerprint was not checked";
  }
  const absent = unchecked.filter((f) => fingerprint?.[f] == null);
  const reasons = [
    ...(absent.length > 0 ? [`${absent.join(", ")} (not in the cache's sidecar: another producer or an older kvcdn)`] : []),
    ...(absent.length < unchecked.length ? [`weights_sha256 (the cache is from the ${String(fingerprint?.model_dtype)} variant, whose files differ)`] : []),
  ];
  return `could not check fingerprint ${reasons.join("; ")}`;
}

/** The {@link CompatibilityOptions} fields of a larger options object (for passing them on). */
export function compatibilityOptions(options: CompatibilityOptions): CompatibilityOptions {
  return {
    ...(options.ignoreFields !== undefined ? { ignoreFields: options.ignoreFields } : {}),
    ...(options.strictDtype !== undefined ? { strictDtype: options.strictDtype } : {}),
    ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
  };
}
