import { CacheInputError } from "../errors/compatibility-error.js";
import { DEFAULT_MAX_NEW_TOKENS, generateTokens, type DecodeOptions } from "./generate-tokens.js";
import { GenerationStream } from "./generation-stream.js";
import type { KvLoadOptions, KvSource } from "./load-kv-source.js";
import { openPast } from "./open-past.js";
import type { OnnxModel } from "./load-model.js";
import type { ChatMessage, ChatTemplateOptions } from "./load-tokenizer.js";
import { reusablePrefix } from "./longest-common-prefix.js";
import { checkIds } from "./produce-cache.js";

/** Options of {@link resumeFromPrefix}: give the whole new prompt as `prompt` (text) or `promptTokens` (ids). */
export interface ResumeFromPrefixOptions extends DecodeOptions, KvLoadOptions {
  /** The loaded model. */
  model: OnnxModel;
  /** The cache (path, in memory, or a `prepareCache` handle); its sidecar must record `tokens`. */
  kv: KvSource;
  /** The whole prompt, tokenized like a context (with special tokens), so its ids line up with the cache's. */
  prompt?: string;
  /** The whole prompt as ids. */
  promptTokens?: readonly number[];
  /** The whole prompt as a conversation, rendered with the chat template (like `produceCache({ messages })`). */
  messages?: readonly ChatMessage[];
  /** Chat template options for `messages`, e.g. `{ addGenerationPrompt: true, enable_thinking: false }`. @default { addGenerationPrompt: true } */
  chatTemplate?: ChatTemplateOptions;
  /** Called with the plan before the first forward pass. */
  onPrefix?: (info: { prefixTokens: number; promptTokens: number; cachedTokens: number }) => void;
}

/**
 * Partial prefix reuse: find the longest common token prefix `p` of the cache's `tokens` and a new prompt (capped so
 * at least one prompt token is run), keep only the first `p` positions of every K/V tensor, and prefill the rest of
 * the prompt from position `p`. Stale positions past `p` are dropped, never attended to (unlike kvcdn-cli's
 * search/tree, docs/kv-format.md#defects-of-kvcdn-cli-we-do-not-copy). With `p = 0` it is a plain full prefill.
 * @throws {CacheInputError} `no_tokens` when the cache's sidecar has no `tokens`.
 * @example
 * const out = await resumeFromPrefix({ model, kv: "ctx.kv", prompt: context + "\nAnother question?" }).collect();
 * out.cachedTokens // positions reused
 */
export function resumeFromPrefix(options: ResumeFromPrefixOptions): GenerationStream {
  const { model } = options;
  return new GenerationStream(
    generateTokens({
      ...options,
      seed: async () => {
        const promptTokens =
          options.promptTokens !== undefined
            ? checkIds(options.promptTokens, model.vocabSize)
            : options.messages !== undefined
              ? model.tokenizer.encode(
                  model.tokenizer.applyChatTemplate(options.messages, { addGenerationPrompt: true, ...options.chatTemplate }),
                  { addSpecialTokens: false },
                )
              : model.tokenizer.encode(options.prompt ?? "", { addSpecialTokens: true });
        const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
        let p = 0;
        const opened = await openPast(model, options.kv, options, ({ numTokens, tokens }) => {
          if (tokens === undefined) {
            throw new CacheInputError(
              "the cache records no tokens (its .kv.json has no `tokens`), so its prefix cannot be matched; re-produce " +
                "it with kvcdn generate (which records them) or pass { cache, metadata: { tokens } }",
              { code: "no_tokens" },
            );
          }
          if (promptTokens.length === 0) {
            throw new CacheInputError("the prompt has no tokens; give a non-empty prompt", { code: "empty_prompt" });
          }
          p = reusablePrefix(tokens, promptTokens);
          options.onPrefix?.({ prefixTokens: p, promptTokens: promptTokens.length, cachedTokens: numTokens });
          return { keep: p, reach: promptTokens.length + Math.max(0, maxNewTokens - 1) };
        });
        return { past: opened.past, inputIds: promptTokens.slice(p), release: opened.release };
      },
    }),
  );
}
