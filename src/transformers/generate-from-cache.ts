import type { PreTrainedModel, PreTrainedTokenizer } from "@huggingface/transformers";
import { CacheInputError } from "../errors/compatibility-error.js";
import { KvcdnError } from "../errors/kvcdn-error.js";
import { sliceTokens } from "../kv/kv-cache.js";
import { compatibilityOptions } from "../onnx/check-compatibility.js";
import { loadKvSource, type KvLoadOptions, type KvSource } from "../onnx/load-kv-source.js";
import { longestCommonPrefix, reusablePrefix } from "../onnx/longest-common-prefix.js";
import type { ModelDescription } from "../onnx/model-description.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { describeTransformersModel } from "./describe-transformers-model.js";
import { importTransformers, type TransformersJs } from "../peers/import-transformers.js";
import { kvToDynamicCache, pastTensorType } from "./kv-to-dynamic-cache.js";

/** The declared members of `T`, without its index signature (`[key: string]: unknown` would accept any typo). */
type DeclaredKeys<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/**
 * The transformers.js `generate()` options {@link generateFromCache} passes through, named as transformers.js names
 * them: every `GenerationConfig` field (`max_new_tokens`, `do_sample`, `temperature`, `top_k`, `repetition_penalty`,
 * …) plus `generation_config`, `logits_processor`, `stopping_criteria` and `streamer`. The inputs and the cache are
 * generateFromCache's own.
 */
export type TransformersGenerateOptions = Omit<
  DeclaredKeys<Parameters<PreTrainedModel["generate"]>[0]>,
  "inputs" | "decoder_input_ids" | "past_key_values"
>;

/** Options of {@link generateFromCache}: kvcdn's (camelCase), then transformers.js `generate()` options (snake_case). */
export interface GenerateFromCacheOptions extends KvLoadOptions, TransformersGenerateOptions {
  /** A transformers.js causal LM (e.g. from `loadTransformersModel`). */
  model: PreTrainedModel;
  /** Its tokenizer. */
  tokenizer: PreTrainedTokenizer;
  /**
   * What the cache is checked against (`loadTransformersModel` returns it: model id, fingerprint, dimensions).
   * @default described from `model.config`: dimensions and `_name_or_path` only, the cache's fingerprint unchecked
   */
  description?: ModelDescription;
  /**
   * The cache: a `.kv` path, a reference fetched through the cache directory (`{ ref }`, see docs/cache-directory.md),
   * `{ cache, metadata }`, or a `kvcdn/onnx` `prepareCache` handle; its sidecar must record `tokens`. It is never modified.
   */
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
  /** Cancels loading, and generation between two tokens: the call rejects with kvcdn's `AbortError`. */
  signal?: AbortSignal;
}

/** The options generateFromCache itself reads; every other key goes to `generate()`. */
const OWN_OPTIONS = new Set([
  "model",
  "tokenizer",
  "description",
  "kv",
  "prompt",
  "inputIds",
  "question",
  "reusePrefix",
  "signal",
  "verifySha256",
  "ignoreFields",
  "strictDtype",
  "onWarning",
]);
/** `generate()` parameters that are not `GenerationConfig` fields. */
const GENERATE_PARAMETERS = ["generation_config", "logits_processor", "stopping_criteria", "streamer"];

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
 * @throws {KvcdnError} `unknown_option` for a key that is neither kvcdn's nor a transformers.js generation option.
 * @throws {AbortError} when `signal` fires (checked between generated tokens).
 * @example
 * const { model, tokenizer } = await loadTransformersModel({ dir });
 * const { text } = await generateFromCache({ model, tokenizer, kv: "ctx.kv", question: "\n\nQ: Why?\nA:", max_new_tokens: 32 });
 */
export async function generateFromCache(options: GenerateFromCacheOptions): Promise<GenerateFromCacheResult> {
  const { model, tokenizer, kv, prompt, inputIds, question, reusePrefix, description, verifySha256, signal } = options;
  const transformers = await importTransformers();
  const { Tensor } = transformers;
  const generateOptions = generationOptions(options, transformers);
  const dtype = pastTensorType(model);

  throwIfAborted(signal, "generateFromCache");
  const { cache, numTokens, tokens } = await loadKvSource(description ?? describeTransformersModel(model), kv, {
    ...compatibilityOptions(options),
    ...(verifySha256 !== undefined ? { verifySha256 } : {}),
    ...(signal ? { signal } : {}),
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
  throwIfAborted(signal, "generateFromCache");
  const stopping_criteria = signal ? withAbortCriterion(transformers, signal, options.stopping_criteria) : options.stopping_criteria;
  const out = (await model.generate({
    ...generateOptions,
    ...(stopping_criteria !== undefined ? { stopping_criteria } : {}),
    input_ids,
    attention_mask,
    past_key_values,
  })) as unknown;
  // generate() stopped at the criterion below, with a partial sequence: report the abort, not a short answer.
  throwIfAborted(signal, "generateFromCache");
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

/**
 * The `generate()` options among `options`: every key that is not generateFromCache's own must be a transformers.js
 * generation option (a `GenerationConfig` field or a `generate()` parameter), so a typo such as `maxNewTokens` is an
 * error rather than an option transformers.js silently ignores.
 */
function generationOptions(options: GenerateFromCacheOptions, transformers: TransformersJs): Record<string, unknown> {
  const known = new Set([...Object.keys(new transformers.GenerationConfig({} as never)), ...GENERATE_PARAMETERS]);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (OWN_OPTIONS.has(key) || key === "stopping_criteria") continue;
    if (!known.has(key)) {
      const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      throw new KvcdnError(
        `generateFromCache has no option ${JSON.stringify(key)}` +
          (known.has(snake) ? `; transformers.js names it ${JSON.stringify(snake)}` : "") +
          "; its own options are camelCase (kv, question, reusePrefix, signal, …), generation options are " +
          "transformers.js GenerationConfig fields (max_new_tokens, do_sample, …)",
        { code: "unknown_option" },
      );
    }
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The caller's stopping criteria plus one that stops generation once `signal` has fired. */
function withAbortCriterion(
  transformers: TransformersJs,
  signal: AbortSignal,
  given: GenerateFromCacheOptions["stopping_criteria"],
): InstanceType<TransformersJs["StoppingCriteriaList"]> {
  class AbortCriterion extends transformers.StoppingCriteria {
    override _call(inputIds: number[][]): boolean[] {
      return inputIds.map(() => signal.aborted);
    }
  }
  const list = new transformers.StoppingCriteriaList();
  if (given !== undefined) list.extend(given);
  list.push(new AbortCriterion());
  return list;
}
