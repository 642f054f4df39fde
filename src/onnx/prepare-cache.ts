import { kvToPast } from "./cache-io.js";
import { loadKvSource, type KvLoadOptions, type KvSource } from "./load-kv-source.js";
import type { OnnxModel } from "./load-model.js";
import { PreparedCache } from "./prepared-cache.js";

/**
 * Read, verify, check and convert a cache once for a model, so that many questions about one context pay for it once:
 * pass the handle as `kv` to `resumeFromCache`, `resumeFromPrefix` or `verifyCache`. The compatibility check runs
 * first (sidecar and header before the tensors are read), as for a path. A handle is bound to its model: using it
 * with another model is a `CompatibilityError` before anything runs. Call `dispose()` to free its memory
 * ({@link PreparedCache.byteLength} bytes).
 * @throws {CompatibilityError} when the cache does not fit the model.
 * @example
 * const ctx = await prepareCache(model, "handbook.kv");
 * try { for (const q of questions) console.log((await resumeFromCache({ model, kv: ctx, question: q }).collect()).text); }
 * finally { ctx.dispose(); }
 */
export async function prepareCache(
  model: OnnxModel,
  source: Exclude<KvSource, PreparedCache>,
  options: KvLoadOptions & { signal?: AbortSignal } = {},
): Promise<PreparedCache> {
  const loaded = await loadKvSource(model, source, options);
  const past = await kvToPast(model, loaded.cache);
  return new PreparedCache({ model, cache: loaded.cache, past }, loaded);
}
