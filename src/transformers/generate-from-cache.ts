import type { PreTrainedModel, PreTrainedTokenizer } from "@huggingface/transformers";
import { CacheInputError } from "../errors/compatibility-error.js";
import { sliceTokens } from "../kv/kv-cache.js";
import { compatibilityOptions } from "../onnx/check-compatibility.js";
import { loadKvSource, type KvLoadOptions, type KvSource } from "../onnx/load-kv-source.js";
import { longestCommonPrefix, reusablePrefix } from "../onnx/longest-common-prefix.js";
import type { ModelDescription } from "../onnx/model-description.js";
import { describeTransformersModel } from "./describe-transformers-model.js";
import { importTransformers } from "./import-transformers.js";
import { kvToDynamicCache, pastTensorType } from "./kv-to-dynamic-cache.js";

/** Options of {@link generateFromCache}; any other field is a transformers.js `generate()` option (`max_new_tokens`, `do_sample`, `streamer`, …). */
export interface GenerateFromCacheOptions extends KvLoadOptions {
  /** A transformers.js causal LM (e.g. from `loadTransformersModel`). */
  model: PreTrainedModel;
  /** Its tokenizer. */
  tokenizer: PreTrainedTokenizer;
  /**
   * What the cache is checked against (`loadTransformersModel` returns it: model id, fingerprint, dimensions).
   * @default described from `model.config`: dimensions and `_name_or_path` only, the cache's fingerprint unchecked
   */
  description?: ModelDescription;
  /** The cache: a `.kv` path, `{ cache, metadata }`, or a `kvcdn/onnx` `prepareCache` handle; its sidecar must record `tokens`. It is never modified. */
  kv: KvSource;
  /** The whole prompt (cached context included), tokenized with special tokens like a context. */
  prompt?: string;
  /** The whole prompt as ids (cached prefix + new suffix). */
  inputIds?: readonly number[];
  /** Text appended after the cached tokens, tokenized without special tokens (kvcdn-cli's question). */
  question?: string;
  /**
   * Reuse the longest shared token prefix (truncating the cache, always leaving one token to run) instead of requiring
   * the ids to start with every cached token. @default false
   */
  reusePrefix?: boolean;
  /** Further `generate()` options. */
  [generateOption: string]: unknown;
}

/** What {@link generateFromCache} returns. */
export interface GenerateFromCacheResult {
  /** Every id: the prompt's then the generated ones (transformers.js `sequences`). */
  sequences: number[];
  /** The generated ids only. */
  newTokens: number[];
  /** `newTokens` decoded, special tokens skipped. */
  text: string;
  /** Cached positions used (the rest of the prompt was run). */
  cachedTokens: number;
}

/**
 * Seed transformers.js `generate()` with a `.kv` cache, following the rules that make seeding correct
 * (docs/runtime.md#transformersjs-seeding): the full ids (cached prefix + suffix) with a full-length attention mask, at
 * least one uncached token, and a fresh `DynamicCache` for every call, so the caller's cache is never mutated. The cache
 * is opened and checked by the same `loadKvSource` as `kvcdn/onnx` (sidecar SHA-256, fingerprint or model name,
 * layers, KV heads, head_dim), then the ids are checked to start with the cached tokens.
 * @throws {CacheInputError} `no_tokens`, `prefix_mismatch` or `fully_cached`, each saying what to do.
 * @throws {CompatibilityError} when the cache does not fit the model (another model, or another shape).
 * @example
 * const { model, tokenizer } = await loadTransformersModel({ dir });
 * const { text } = await generateFromCache({ model, tokenizer, kv: "ctx.kv", question: "\n\nQ: Why?\nA:", max_new_tokens: 32 });
 */
export async function generateFromCache(options: GenerateFromCacheOptions): Promise<GenerateFromCacheResult> {
  const { model, tokenizer, kv, prompt, inputIds, question, reusePrefix, description, ignoreFields, strictDtype, verifySha256, ...generateOptions } =
    options;
  const { Tensor } = await importTransformers();
  const dtype = pastTensorType(model);

  const { cache, numTokens, tokens } = await loadKvSource(description ?? describeTransformersModel(model), kv, {
    ...compatibilityOptions(options),
    ...(verifySha256 !== undefined ? { verifySha256 } : {}),
  });
  if (tokens === undefined) {
    throw new CacheInputError(
      "the cache records no tokens matching its length (its .kv.json `tokens`), so the prompt cannot be checked " +
        "against it; re-produce it with kvcdn generate or pass { cache, metadata: { tokens } }",
      { code: "no_tokens" },
    );
  }
  const ids =
    inputIds !== undefined
      ? [...inputIds]
      : prompt !== undefined
        ? tokenizer.encode(prompt, { add_special_tokens: true })
        : question !== undefined
          ? [...tokens, ...tokenizer.encode(question, { add_special_tokens: false })]
          : undefined;
  if (ids === undefined || ids.length === 0) {
    throw new CacheInputError("give prompt, inputIds or question (a non-empty one)", { code: "empty_prompt" });
  }

  let p = numTokens;
  if (reusePrefix === true) {
    p = reusablePrefix(tokens, ids);
  } else {
    const common = longestCommonPrefix(tokens, ids);
    if (common < Math.min(tokens.length, ids.length)) {
      throw new CacheInputError(
        `the ids differ from the cached tokens at position ${common}; the cache only fits prompts that start with ` +
          `its ${tokens.length} tokens (pass reusePrefix: true to reuse the first ${common})`,
        { code: "prefix_mismatch" },
      );
    }
    if (ids.length <= tokens.length) {
      throw new CacheInputError(
        `all ${ids.length} ids are cached, but at least one must be left to run; add a question, or pass ` +
          "reusePrefix: true to re-run the last token",
        { code: "fully_cached" },
      );
    }
  }

  const input_ids = new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
  // Full-length mask: generate() runs only the uncached suffix, at positions cumsum(mask) − 1 = p …
  // (docs/runtime.md#transformersjs-seeding).
  const attention_mask = new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const past_key_values =
    p === 0 ? null : await kvToDynamicCache(p === numTokens ? cache : sliceTokens(cache, p), { dtype });
  const out = (await model.generate({ ...generateOptions, input_ids, attention_mask, past_key_values })) as unknown;
  const sequencesTensor = (out as { sequences?: unknown }).sequences ?? out;
  const sequences = (sequencesTensor as { tolist(): Array<Array<bigint | number>> }).tolist()[0]!.map(Number);
  const newTokens = sequences.slice(ids.length);
  return {
    sequences,
    newTokens,
    text: newTokens.length === 0 ? "" : tokenizer.decode(newTokens, { skip_special_tokens: true }),
    cachedTokens: p,
  };
}
