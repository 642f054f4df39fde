import type { GeneratedToken, GenerationResult } from "./generation-stream.js";
import type { OnnxModel } from "./load-model.js";
import { runForward, runPrefill, type PastState } from "./run-forward.js";
import { createSampler, type SamplingOptions } from "./sample-token.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";

/** Tokens a generation makes at most when `maxNewTokens` is not given. */
export const DEFAULT_MAX_NEW_TOKENS = 32;

/** Decoding options shared by every generation entry point. */
export interface DecodeOptions {
  /** Tokens to generate at most. @default {@link DEFAULT_MAX_NEW_TOKENS} */
  maxNewTokens?: number;
  /** Sampling; leave out for greedy (argmax, ties to the lowest id, like kvcdn-cli). @default greedy */
  sampling?: SamplingOptions;
  /**
   * Keep going past end-of-sequence ids: kvcdn-cli's parity mode, exactly `maxNewTokens` tokens. Otherwise generation
   * stops at an EOS id of `generation_config.json`. @default false
   */
  ignoreEos?: boolean;
  /** Stop as soon as the text contains one of these strings (the text is cut before it). @default [] */
  stop?: readonly string[];
  /** Keep special tokens (`<|im_end|>`, …) in the decoded text. @default false */
  keepSpecialTokens?: boolean;
  /** Cancels between forward passes. */
  signal?: AbortSignal;
  /** Longest piece of the prompt per forward pass (see `DEFAULT_PREFILL_CHUNK_TOKENS`). @default 512 */
  prefillChunkTokens?: number;
  /** Called with each step's last-position logits (float32, a fresh array), e.g. to compare runs. */
  onLogits?: (logits: Float32Array, step: number) => void;
}

/** Internal: the decode loop behind resume, prefix reuse and verify. */
export async function* generateTokens(params: DecodeOptions & {
  model: OnnxModel;
  /**
   * Prepares the state to continue from (read, check, convert the cache); timed as `seedMs`. `release` runs when
   * the generation ends, however it ends.
   */
  seed: () => Promise<{ past: PastState; inputIds: readonly number[]; release?: () => void }>;
}): AsyncGenerator<GeneratedToken, GenerationResult> {
  const { model, signal } = params;
  const maxNewTokens = params.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new RangeError(`maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
  }
  const pick = createSampler(params.sampling);
  const eos = new Set(params.ignoreEos ? [] : model.eosTokenIds);
  const stops = (params.stop ?? []).filter((s) => s.length > 0);
  const skipSpecialTokens = params.keepSpecialTokens !== true;
  const decode = (ids: number[]) => model.tokenizer.decode(ids, { skipSpecialTokens });

  const start = performance.now();
  throwIfAborted(signal, "generation");
  const { past: seeded, inputIds, release } = await params.seed();
  try {
    const seedMs = performance.now() - start;
    let firstTokenMs = 0;
    const result = (finishReason: GenerationResult["finishReason"], text: string): GenerationResult => ({
      tokens,
      text,
      finishReason,
      cachedTokens: seeded.length,
      prefillTokens: inputIds.length,
      timings: { seedMs, firstTokenMs, totalMs: performance.now() - start },
    });

    const tokens: number[] = [];
    const textIds: number[] = [];
    let emitted = 0;
    let past = seeded;
    let input = inputIds;
    for (let step = 0; step < maxNewTokens; step++) {
      throwIfAborted(signal, "generation");
      const { logits, present } =
        step === 0
          ? await runPrefill({
              model,
              inputIds: input,
              past,
              ...(params.prefillChunkTokens !== undefined ? { chunkTokens: params.prefillChunkTokens } : {}),
              ...(signal ? { signal } : {}),
            })
          : await runForward({ model, inputIds: input, past });
      params.onLogits?.(logits, step);
      const token = pick(logits);
      if (step === 0) firstTokenMs = performance.now() - start;
      tokens.push(token);
      past = present;
      input = [token];

      if (eos.has(token)) {
        const full = decode(textIds);
        yield { token, text: full.slice(emitted) };
        return result("eos", full);
      }
      textIds.push(token);
      const full = decode(textIds);
      const stopAt = findStop(full, stops, emitted);
      if (stopAt >= 0) {
        yield { token, text: stopAt > emitted ? full.slice(emitted, stopAt) : "" };
        return result("stop", full.slice(0, stopAt));
      }
      const end = step === maxNewTokens - 1 ? full.length : safeEnd(full, stops);
      const text = end > emitted ? full.slice(emitted, end) : "";
      emitted = Math.max(emitted, end);
      yield { token, text };
    }
    return result("length", decode(textIds));
  } finally {
    release?.();
  }
}

/** Earliest index of any stop string in `text`, searching only where a new match can start; -1 if none. */
function findStop(text: string, stops: readonly string[], emitted: number): number {
  let best = -1;
  for (const stop of stops) {
    const i = text.indexOf(stop, Math.max(0, emitted - stop.length + 1));
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best;
}

/**
 * How much of `text` can be emitted now: hold back a trailing U+FFFD (an incomplete UTF-8 sequence that the next
 * token may complete) and a tail that could still become a stop string.
 */
function safeEnd(text: string, stops: readonly string[]): number {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
  let hold = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, end); k > hold; k--) {
      if (text.startsWith(stop.slice(0, k), end - k)) {
        hold = k;
        break;
      }
    }
  }
  return end - hold;
}
