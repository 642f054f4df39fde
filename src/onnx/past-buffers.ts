import type { Tensor } from "onnxruntime-node";
import type { KvCache, KvTensor } from "../kv/kv-cache.js";
import { importOnnxRuntime } from "../peers/import-onnxruntime.js";
import type { OnnxModel } from "./load-model.js";
import type { PastState } from "./run-forward.js";

/**
 * Past buffers with room: every `past_key_values.*` tensor is `[1, kv_heads, capacity, head_dim]`, of which the first
 * `length` positions of each head hold the cache. On graphs where `model.io.pastInPlace` holds, a forward pass writes
 * its new positions into this room (docs/runtime.md#in-place-past), so the cache is held once instead of once as the
 * input and again, longer, as the output.
 */
export type RoomyPast = PastState & { capacity: number };

/** Where one tensor's values go: head `h` starts at element `h × capacity × head_dim` of `data`. */
export interface PastTarget {
  data: Float32Array | Uint16Array;
  capacity: number;
}

/**
 * The arrays of the last generation that ended, per session, kept for the next one: a fresh cache-sized allocation
 * costs its page faults and zeroing again (0.1–1.5 s for 0.47 GB here), reused arrays do not. One set per session,
 * like the memory onnxruntime's own arena keeps; `model.dispose()` drops it.
 */
const spares = new WeakMap<object, Array<Float32Array | Uint16Array>>();

/**
 * Past buffers of `capacity` positions, `length` 0, to fill through {@link pastTargets}. With `reuse`, the arrays of
 * the session's last generation are taken when they are large enough (their contents are stale; only positions a
 * reader writes count); otherwise they are zero-filled.
 * @throws {TypeError} when the model's graph cannot write its past in place.
 */
export async function allocateRoomyPast(model: OnnxModel, capacity: number, options: { reuse?: boolean } = {}): Promise<RoomyPast> {
  if (!model.io.pastInPlace) throw new TypeError(`${model.onnxPath}: this graph cannot write its past in place`);
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  const ort = await importOnnxRuntime();
  const dims = [1, model.numKvHeads, capacity, model.headDim];
  const size = model.numKvHeads * capacity * model.headDim;
  const spare = options.reuse ? spares.get(model.session) : undefined;
  const arrays = spare !== undefined && spare.every((a) => a.length >= size) ? spare : undefined;
  if (arrays) spares.delete(model.session);
  const tensors: Record<string, Tensor> = {};
  let i = 0;
  for (const layer of model.io.layers) {
    for (const name of [layer.pastKey, layer.pastValue]) {
      const reused = arrays?.[i++]?.subarray(0, size);
      tensors[name] =
        model.io.pastType === "float16"
          ? new ort.Tensor("float16", (reused as Uint16Array | undefined) ?? new Uint16Array(size), dims)
          : new ort.Tensor("float32", (reused as Float32Array | undefined) ?? new Float32Array(size), dims);
    }
  }
  return { length: 0, capacity, tensors };
}

/**
 * Keep a finished generation's buffers for the session's next one ({@link allocateRoomyPast} with `reuse`). The
 * caller must not use `past` afterwards. The larger of the kept set and this one is kept.
 */
export function recycleRoomyPast(model: OnnxModel, past: RoomyPast): void {
  const arrays = model.io.layers.flatMap((names) =>
    [names.pastKey, names.pastValue].map((name) => {
      const data = past.tensors[name]!.data as Float32Array | Uint16Array;
      return data instanceof Float32Array ? new Float32Array(data.buffer) : new Uint16Array(data.buffer);
    }),
  );
  const kept = spares.get(model.session);
  if (kept === undefined || kept[0]!.length < arrays[0]!.length) spares.set(model.session, arrays);
}

/** Drop the buffers kept for a session's next generation (on `model.dispose()`). */
export function dropSpareRoomyPast(model: Pick<OnnxModel, "session">): void {
  spares.delete(model.session);
}

/** The arrays of a {@link RoomyPast}, per layer, as targets to fill (the cache's reader writes into them). */
export function pastTargets(model: OnnxModel, past: RoomyPast): Array<{ key: PastTarget; value: PastTarget }> {
  return model.io.layers.map((names) => ({
    key: { data: past.tensors[names.pastKey]!.data as Float32Array | Uint16Array, capacity: past.capacity },
    value: { data: past.tensors[names.pastValue]!.data as Float32Array | Uint16Array, capacity: past.capacity },
  }));
}

/**
 * A {@link RoomyPast} holding the first `length` positions of a cache already in the session's dtype.
 * @example const past = await roomyPastFromCache(model, cache, cache.layers[0].key.shape[2], 4096 + 64);
 */
export async function roomyPastFromCache(model: OnnxModel, cache: KvCache<"F32" | "F16">, length: number, capacity: number): Promise<RoomyPast> {
  const past = await allocateRoomyPast(model, capacity, { reuse: true });
  const targets = pastTargets(model, past);
  cache.layers.forEach((layer, i) => {
    copyRows(layer.key, targets[i]!.key, length, model.headDim);
    copyRows(layer.value, targets[i]!.value, length, model.headDim);
  });
  return { ...past, length };
}

/**
 * A copy of the first `length` positions of `past` (plain or roomy) into new buffers of `capacity` positions: what a
 * generation writes into when it cannot write into `past` itself (a prepared cache in use, or too little room).
 */
export async function copyRoomyPast(model: OnnxModel, past: PastState, length: number, capacity: number): Promise<RoomyPast> {
  const out = await allocateRoomyPast(model, capacity, { reuse: true });
  const targets = pastTargets(model, out);
  model.io.layers.forEach((names, i) => {
    for (const [name, target] of [[names.pastKey, targets[i]!.key], [names.pastValue, targets[i]!.value]] as const) {
      const t = past.tensors[name]!;
      copyRows({ shape: t.dims as KvTensor["shape"], data: t.data as Float32Array }, target, length, model.headDim);
    }
  });
  return { ...out, length };
}

/** Copy positions `0 … length − 1` of every head of `source` (`[1, heads, stride, dim]`) into `target`. */
function copyRows(source: Pick<KvTensor, "shape" | "data">, target: PastTarget, length: number, dim: number): void {
  const heads = source.shape[1];
  const stride = source.shape[2];
  if (length > stride || length > target.capacity) throw new RangeError(`cannot copy ${length} positions into ${target.capacity}`);
  for (let h = 0; h < heads; h++) {
    const from = h * stride * dim;
    (target.data as Float32Array).set(source.data.subarray(from, from + length * dim) as Float32Array, h * target.capacity * dim);
  }
}

/**
 * Write a pass's new positions (`added`, `[1, heads, n, dim]`) into `target` at positions `at … at + n − 1` of every
 * head: what a graph that returns only new positions (`model.io.newPositionsOnly`) leaves to the caller.
 */
export function writeAddedPositions(added: Float32Array | Uint16Array, target: PastTarget, heads: number, at: number, dim: number): void {
  const n = added.length / (heads * dim);
  if (!Number.isInteger(n) || at + n > target.capacity) throw new RangeError(`cannot write ${n} positions at ${at} into ${target.capacity}`);
  for (let h = 0; h < heads; h++) {
    (target.data as Float32Array).set(added.subarray(h * n * dim, (h + 1) * n * dim) as Float32Array, (h * target.capacity + at) * dim);
  }
}

/** `past` (`[1, heads, length, dim]`) followed by `added` (`[1, heads, n, dim]`), in a new array of `length + n` positions. */
export function appendPositions<T extends Float32Array | Uint16Array>(past: T, added: T, heads: number, dim: number): T {
  const length = past.length / (heads * dim);
  const n = added.length / (heads * dim);
  const out = (past instanceof Float32Array ? new Float32Array(past.length + added.length) : new Uint16Array(past.length + added.length)) as T;
  for (let h = 0; h < heads; h++) {
    out.set(past.subarray(h * length * dim, (h + 1) * length * dim), h * (length + n) * dim);
    out.set(added.subarray(h * n * dim, (h + 1) * n * dim), (h * (length + n) + length) * dim);
  }
  return out;
}
