import { CacheInputError } from "../errors/compatibility-error.js";
import { readKvMetadata } from "../kv/read-kv-metadata.js";
import { PreparedCache, preparedState } from "./prepared-cache.js";
import { checkCompatibility, compatibilityOptions } from "./check-compatibility.js";
import { generateTokens } from "./generate-tokens.js";
import { GenerationStream } from "./generation-stream.js";
import type { KvLoadOptions, KvSource } from "./load-kv-source.js";
import type { OnnxModel } from "./load-model.js";
import { checkIds } from "./produce-cache.js";
import { fetchKvRef, isKvRef } from "./resolve-kv-ref.js";
import { resumeFromCache } from "./resume-from-cache.js";
import { emptyPast } from "./run-forward.js";

/** Options of {@link verifyCache}. */
export interface VerifyCacheOptions extends KvLoadOptions {
  /** The loaded model. */
  model: OnnxModel;
  /** The cache to check; its sidecar `tokens` give the context unless `contextTokens` is set. */
  kv: KvSource;
  /** Question appended after the context (without special tokens). @default DEFAULT_VERIFY_QUESTION (kvcdn-cli's) */
  question?: string;
  /** Question ids, instead of `question`. */
  questionTokens?: readonly number[];
  /** The context ids the cache was made from, for a cache whose sidecar has no `tokens`. */
  contextTokens?: readonly number[];
  /** Tokens to generate on each path. @default 32 */
  maxNewTokens?: number;
  /** k of the top-k agreement. @default 5 */
  topK?: number;
  /** Cancels between forward passes. */
  signal?: AbortSignal;
}

/** What {@link verifyCache} found (`kvcdn verify --json` prints it with kvcdn-cli's snake_case keys). */
export interface VerifyResult {
  /** True when both paths generated the same ids. */
  match: boolean;
  /** Positions where the ids differ. */
  mismatchIndices: number[];
  /** Largest |logit difference| over the compared steps (every step up to and including the first mismatch). */
  maxAbsLogitDiff: number;
  /** Mean share of top-k ids the two paths have in common over the compared steps (1 = same top-k sets). */
  topKAgreement: number;
  /** The k used. */
  topK: number;
  /** Steps whose logits were compared. */
  comparedSteps: number;
  /** Ids generated from the cache. */
  tokensCached: number[];
  /** Ids generated from a full prefill of context + question. */
  tokensFull: number[];
  /** Text of `tokensCached`. */
  textCached: string;
  /** Text of `tokensFull`. */
  textFull: string;
  /** Cached context positions. */
  numTokens: number;
  /** Question ids run after the context. */
  questionTokens: number;
  /** Tokens generated per path. */
  maxNewTokens: number;
  /** Milliseconds to the first token from the cache (read, check, convert, question forward). */
  ttftCachedMs: number;
  /** Milliseconds to the first token with a full prefill of context + question. */
  ttftFullMs: number;
}

/** kvcdn-cli's default question (`verify`). */
export const DEFAULT_VERIFY_QUESTION = "\n\nQ: Summarize the key claim in one sentence.\nA:";

/**
 * Verify a cache: generate `maxNewTokens` greedy tokens from it (question at positions `num_tokens …`) and from a full prefill of
 * context + question in the same runtime, then compare the ids position by position, and the logits (max |diff|,
 * top-k agreement). Parity mode as kvcdn-cli `verify` (no EOS stop, exactly `maxNewTokens` tokens each), but on the given file.
 * @throws {CompatibilityError} when the cache does not fit the model.
 * @throws {CacheInputError} `no_tokens` when neither the sidecar nor `contextTokens` gives the context ids.
 * @example const r = await verifyCache({ model, kv: "ctx.kv", maxNewTokens: 16 }); if (!r.match) console.log(r.mismatchIndices);
 */
export async function verifyCache(options: VerifyCacheOptions): Promise<VerifyResult> {
  const { model, signal } = options;
  const n = options.maxNewTokens ?? 32;
  const k = options.topK ?? 5;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`maxNewTokens must be a positive integer, got ${n}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topK must be a positive integer, got ${k}`);
  const kv = isKvRef(options.kv) ? await fetchKvRef(options.kv, signal) : options.kv;
  // A prepared handle is checked against this model (and for disposal) before anything runs.
  if (kv instanceof PreparedCache) preparedState(kv, model);
  const metadata = typeof kv === "string" ? await readKvMetadata(kv) : (kv.metadata ?? {});
  // Warnings come from the load below; this early check only fails fast.
  const { onWarning: _, ...compat } = compatibilityOptions(options);
  checkCompatibility({ model, metadata, ...compat });
  const contextTokens =
    options.contextTokens !== undefined ? checkIds(options.contextTokens, model.vocabSize) : metadata.tokens;
  if (contextTokens === undefined) {
    throw new CacheInputError(
      "the cache records no tokens (its .kv.json has no `tokens`), so the full-prefill path cannot be built; pass " +
        "contextTokens (kvcdn verify --context-file) or re-produce the cache with kvcdn generate",
      { code: "no_tokens" },
    );
  }
  const questionTokens =
    options.questionTokens !== undefined
      ? checkIds(options.questionTokens, model.vocabSize)
      : model.tokenizer.encode(options.question ?? DEFAULT_VERIFY_QUESTION, { addSpecialTokens: false });
  const parity = { maxNewTokens: n, ignoreEos: true, ...(signal ? { signal } : {}) };

  const cachedLogits: Float32Array[] = [];
  const cached = await resumeFromCache({
    ...options,
    ...parity,
    questionTokens,
    onLogits: (l) => cachedLogits.push(l),
    onSeeded: ({ cachedTokens }) => {
      if (cachedTokens !== contextTokens.length) {
        throw new CacheInputError(
          `the context has ${contextTokens.length} ids but the cache holds ${cachedTokens} positions`,
          { code: "bad_tokens" },
        );
      }
    },
  }).collect();
  const fullLogits: Float32Array[] = [];
  const full = await new GenerationStream(
    generateTokens({
      model,
      ...parity,
      onLogits: (l) => fullLogits.push(l),
      seed: async () => ({ past: await emptyPast(model), inputIds: [...contextTokens, ...questionTokens] }),
    }),
  ).collect();

  const mismatch: number[] = [];
  for (let i = 0; i < n; i++) if (cached.tokens[i] !== full.tokens[i]) mismatch.push(i);
  const compared = mismatch.length === 0 ? n : mismatch[0]! + 1;
  let maxDiff = 0;
  let agreement = 0;
  for (let step = 0; step < compared; step++) {
    const a = cachedLogits[step]!;
    const b = fullLogits[step]!;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (d > maxDiff || Number.isNaN(d)) maxDiff = Number.isNaN(d) ? Infinity : d;
    }
    const topA = topKSet(a, k);
    let common = 0;
    for (const id of topKSet(b, k)) if (topA.has(id)) common++;
    agreement += common / k;
  }
  return {
    match: mismatch.length === 0,
    mismatchIndices: mismatch,
    maxAbsLogitDiff: maxDiff,
    topKAgreement: agreement / compared,
    topK: k,
    comparedSteps: compared,
    tokensCached: cached.tokens,
    tokensFull: full.tokens,
    textCached: cached.text,
    textFull: full.text,
    numTokens: contextTokens.length,
    questionTokens: questionTokens.length,
    maxNewTokens: n,
    ttftCachedMs: cached.timings.firstTokenMs,
    ttftFullMs: full.timings.firstTokenMs,
  };
}

/** The ids of the k largest logits (ties to the lower id). */
function topKSet(logits: Float32Array, k: number): Set<number> {
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (best.length === k && !(v > logits[best[k - 1]!]!)) continue;
    let j = best.length === k ? k - 1 : best.length;
    while (j > 0 && v > logits[best[j - 1]!]!) j--;
    best.splice(j, 0, i);
    if (best.length > k) best.pop();
  }
  return new Set(best);
}
