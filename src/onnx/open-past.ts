import { sliceTokens } from "../kv/kv-cache.js";
import { kvToPast } from "./cache-io.js";
import { isKvRef } from "./resolve-kv-ref.js";
import { loadKvFileInto, loadKvSource, type KvLoadOptions, type KvSource, type LoadedKv } from "./load-kv-source.js";
import type { OnnxModel } from "./load-model.js";
import { allocateRoomyPast, copyRoomyPast, pastTargets, recycleRoomyPast, roomyPastFromCache, type RoomyPast } from "./past-buffers.js";
import { leasePrepared, PreparedCache } from "./prepared-cache.js";
import { emptyPast, type PastState } from "./run-forward.js";

/** What a generation continues from: the state, what the cache said about itself, and what to do when it ends. */
export interface OpenedPast extends Omit<LoadedKv, "cache" | "past"> {
  /** The state to run the first input after (`length` positions of the cache). */
  past: PastState;
  /** Call when the generation ends (frees a prepared cache's buffers for the next generation). */
  release: () => void;
}

/** How much of the cache a generation keeps, and how many positions it will reach. */
export interface PastPlan {
  /** Positions of the cache to continue from (≤ its `numTokens`; 0 is a fresh start). */
  keep: number;
  /** Positions the generation reaches at most: `keep` + the input it runs + the tokens it may generate. */
  reach: number;
}

/**
 * Internal: open a cache as the state a generation continues from. On graphs that write their past in place
 * (`model.io.pastInPlace`, docs/runtime.md#in-place-past) the state gets room for `plan.reach` positions, so the run
 * holds the cache once: a file is read straight into those buffers, and a prepared cache lends its own buffers to one
 * generation at a time (others, and prefixes shorter than the cache, get a copy). Other graphs get the plain state.
 * `plan` sees the cache's size and recorded tokens after the compatibility checks, before any tensor is read.
 */
export async function openPast(
  model: OnnxModel,
  kv: KvSource,
  options: KvLoadOptions & { signal?: AbortSignal },
  plan: (cache: { numTokens: number; tokens: number[] | undefined }) => PastPlan,
): Promise<OpenedPast> {
  const noop = (): void => undefined;
  if (!model.io.pastInPlace) {
    const loaded = await loadKvSource(model, kv, options);
    const { keep } = checkedPlan(plan(loaded), loaded.numTokens);
    const state =
      keep === 0
        ? await emptyPast(model)
        : keep === loaded.numTokens
          ? (loaded.past ?? (await kvToPast(model, loaded.cache)))
          : await kvToPast(model, sliceTokens(loaded.cache, keep));
    return { ...about(loaded), past: state, release: noop };
  }
  if (typeof kv === "string" || isKvRef(kv)) {
    let roomy: RoomyPast | undefined;
    let wanted: PastPlan | undefined;
    const loaded = await loadKvFileInto(model, kv, options, async (info) => {
      wanted = checkedPlan(plan(info), info.numTokens);
      roomy = await allocateRoomyPast(model, Math.max(wanted.reach, info.numTokens, 1), { reuse: true });
      return pastTargets(model, roomy);
    }).catch((e: unknown) => {
      if (roomy) recycleRoomyPast(model, roomy);
      throw e;
    });
    const keep = wanted!.keep;
    if (keep === 0) recycleRoomyPast(model, roomy!);
    return { ...loaded, past: keep === 0 ? await emptyPast(model) : { ...roomy!, length: keep }, release: keep === 0 ? noop : recycle(model, roomy!) };
  }
  const loaded = await loadKvSource(model, kv, options);
  const { keep, reach } = checkedPlan(plan(loaded), loaded.numTokens);
  if (keep === 0) return { ...about(loaded), past: await emptyPast(model), release: noop };
  if (kv instanceof PreparedCache) {
    const lease = keep === loaded.numTokens ? leasePrepared(kv, model, reach) : undefined;
    if (lease) return { ...about(loaded), past: lease.past, release: lease.release };
    const copy = await copyRoomyPast(model, loaded.past!, keep, reach);
    return { ...about(loaded), past: copy, release: recycle(model, copy) };
  }
  const copy = await roomyPastFromCache(model, loaded.cache, keep, reach);
  return { ...about(loaded), past: copy, release: recycle(model, copy) };
}

/** A generation's own buffers go back to the session when it ends, for the next one to reuse. */
function recycle(model: OnnxModel, past: RoomyPast): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    recycleRoomyPast(model, past);
  };
}

/** The description of a loaded cache, without touching its arrays (a prepared cache's `cache` copies on access). */
function about(loaded: LoadedKv): Omit<LoadedKv, "cache" | "past"> {
  return { metadata: loaded.metadata, numTokens: loaded.numTokens, tokens: loaded.tokens, unchecked: loaded.unchecked };
}

function checkedPlan(plan: PastPlan, numTokens: number): PastPlan {
  if (!Number.isSafeInteger(plan.keep) || plan.keep < 0 || plan.keep > numTokens || !(plan.reach >= plan.keep)) {
    throw new RangeError(`cannot keep ${plan.keep} of ${numTokens} cached positions and reach ${plan.reach}`);
  }
  return plan;
}
