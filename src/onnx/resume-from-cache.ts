import { CacheInputError } from "../errors/compatibility-error.js";
import { DEFAULT_MAX_NEW_TOKENS, generateTokens, type DecodeOptions } from "./generate-tokens.js";
import { GenerationStream } from "./generation-stream.js";
import type { KvLoadOptions, KvSource } from "./load-kv-source.js";
import { openPast } from "./open-past.js";
import type { OnnxModel } from "./load-model.js";
import { checkIds } from "./produce-cache.js";

/** Options of {@link resumeFromCache}: give `question` (text) or `questionTokens` (ids). */
export interface ResumeFromCacheOptions extends DecodeOptions, KvLoadOptions {
  /** The loaded model. */
  model: OnnxModel;
  /** The cache: a `.kv` path, `{ cache, metadata }` in memory (F32/F16/BF16 or int8-quantized), or a `prepareCache` handle. */
  kv: KvSource;
  /** Text appended after the cached context, tokenized without special tokens (kvcdn-cli's policy). */
  question?: string;
  /** Ids appended after the cached context, used as given. */
  questionTokens?: readonly number[];
  /** Called once the cache is loaded and checked, before the first forward pass. */
  onSeeded?: (info: { cachedTokens: number; questionTokens: number[] }) => void;
}

/**
 * Consumer: continue from a cache without re-running its context. Checks the cache against the model first
 * (layers, KV heads, head_dim, fingerprint or model name), converts it to the session's past dtype, feeds the question
 * at positions `num_tokens …` (the cache's dim 2) with a full-length attention mask, then decodes.
 *
 * Greedy with `ignoreEos: true` is kvcdn-cli's continuation (parity mode: exactly `maxNewTokens` tokens); by default
 * generation also stops at the EOS ids of `generation_config.json` and at `stop` strings.
 * @throws {CompatibilityError} when the cache does not fit the model (on the first `next()` / `collect()`).
 * @throws {CacheInputError} `empty_prompt` when the question has no tokens.
 * @example
 * const { tokens, text } = await resumeFromCache({ model, kv: "ctx.kv", question: "\n\nQ: Who?\nA:", maxNewTokens: 16 }).collect();
 */
export function resumeFromCache(options: ResumeFromCacheOptions): GenerationStream {
  const { model } = options;
  return new GenerationStream(
    generateTokens({
      ...options,
      seed: async () => {
        const questionTokens =
          options.questionTokens !== undefined
            ? checkIds(options.questionTokens, model.vocabSize)
            : model.tokenizer.encode(options.question ?? "", { addSpecialTokens: false });
        // Checked once the cache is known to fit (a wrong cache is the first thing to report), before its tensors are read.
        const opened = await openPast(model, options.kv, options, ({ numTokens }) => {
          if (questionTokens.length === 0) {
            throw new CacheInputError(
              "the question has no tokens: at least one token must be run after the cache to get a next token; give a " +
                "question, or continue the context itself with resumeFromPrefix({ promptTokens: <the cache's tokens> })",
              { code: "empty_prompt" },
            );
          }
          return { keep: numTokens, reach: numTokens + questionTokens.length + Math.max(0, (options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS) - 1) };
        });
        options.onSeeded?.({ cachedTokens: opened.numTokens, questionTokens });
        return { past: opened.past, inputIds: questionTokens, release: opened.release };
      },
    }),
  );
}
