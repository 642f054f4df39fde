import { kvToPast } from "./cache-io.js";
import { loadKvSource, type KvLoadOptions, type KvSource } from "./load-kv-source.js";
import type { OnnxModel } from "./load-model.js";
import { openPast } from "./open-past.js";
import { PreparedCache } from "./prepared-cache.js";

/**
 * Read, verify, check and convert a cache once for a model, so that many questions about one context pay for it once:
 * pass the handle as `kv` to `resumeFromCache`, `resumeFromPrefix` or `verifyCache`. The compatibility check runs
 * first (sidecar and header before the tensors are read), as for a path. A handle is bound to its model: using it
 * with another model is a `CompatibilityError` before anything runs. Call `dispose()` to free its memory
 * ({@link PreparedCache.byteLength} bytes).
 *
 * On graphs that write their past in place (the model builder's GroupQueryAttention layout), the handle keeps
 * `reserveTokens` positions of room after the cache, and one generation at a time runs in its buffers: the cache is
 * not copied per question. Generations that need more room, or run while another one holds the buffers, work on a
 * copy (about the cache's size again, for that generation).
 * @throws {CompatibilityError} when the cache does not fit the model.
 * @example
 * const ctx = await prepareCache(model, "handbook.kv");
 * try { for (const q of questions) console.log((await resumeFromCache({ model, kv: ctx, question: q }).collect()).text); }
 * finally { ctx.dispose(); }
 */
export async function prepareCache(
  model: OnnxModel,
  source: Exclude<KvSource, PreparedCache>,
  options: PrepareCacheOptions = {},
): Promise<PreparedCache> {
  if (model.io.pastInPlace) {
    const reserve = options.reserveTokens ?? DEFAULT_RESERVE_TOKENS;
    if (!Number.isSafeInteger(reserve) || reserve < 0) throw new RangeError(`reserveTokens must be a non-negative integer, got ${reserve}`);
    const opened = await openPast(model, source, options, ({ numTokens }) => ({ keep: numTokens, reach: numTokens + reserve }));
    return new PreparedCache({ model, cache: undefined, past: opened.past }, opened);
  }
  const loaded = await loadKvSource(model, source, options);
  const past = await kvToPast(model, loaded.cache);
  return new PreparedCache({ model, cache: loaded.cache, past }, loaded);
}

/** Room a prepared cache keeps by default after its positions, on graphs that write their past in place. */
export const DEFAULT_RESERVE_TOKENS = 256;

/** Options of {@link prepareCache}. */
export interface PrepareCacheOptions extends KvLoadOptions {
  /** Abort the read. */
  signal?: AbortSignal;
  /**
   * On graphs that write their past in place (`model.io.pastInPlace`, docs/runtime.md#in-place-past): positions of
   * room kept after the cache. A generation whose question and answer fit in it runs in the handle's own buffers
   * (one at a time; others get a copy). Costs `reserveTokens × layers × 2 × kv_heads × head_dim` elements (29 MB for
   * Qwen3-0.6B in F16 at the default). Ignored on other graphs. @default DEFAULT_RESERVE_TOKENS
   */
  reserveTokens?: number;
}
