import { availableParallelism } from "node:os";
import { bf16ToF32, f16ToF32 } from "./float16.js";
import type { KvCache } from "./kv-cache.js";
import { helperThreadUsable, widenOnHelperThread } from "./widen-worker.js";

/**
 * Below this many elements in all (128 MiB of F16, about 1,200 tokens of a Qwen3-0.6B cache), widening stays on the
 * calling thread: starting a helper thread (~40 ms) and copying its share eat the gain (measured: even at 59 M
 * elements, two threads took as long as one; at 117 M, 0.40 s against 0.50 s; at 235 M, 0.61 s against 0.94 s).
 */
export const PARALLEL_WIDEN_MIN_ELEMENTS = 1 << 26;

/**
 * Internal: widen F16 or BF16 arrays to new F32 arrays (exact, bit-identical to {@link f16ToF32} / {@link bf16ToF32}),
 * on this thread and a helper thread at once, about half of the elements each. The helper's half is copied into one
 * buffer (a `memcpy`, a tenth of the cost of widening it) and transferred to the helper with plain output buffers
 * allocated here, which come back filled: nothing is shared (onnxruntime-node refuses tensors on shared memory), and
 * the helper is stopped when it is done, which frees everything it held. Small batches
 * (< `minElements` in all) and one-core machines are widened here alone; if the helper fails, this thread widens
 * what it left.
 * @example const [k0, v0] = await widenToF32InParallel([key, value], "F16")
 */
export async function widenToF32InParallel(
  arrays: readonly Uint16Array[],
  from: "F16" | "BF16",
  options: { minElements?: number } = {},
): Promise<Float32Array[]> {
  const widen = (a: Uint16Array): Float32Array => (from === "F16" ? f16ToF32(a, uninitializedF32(a.length)) : bf16ToF32(a, uninitializedF32(a.length)));
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const parallel = arrays.length >= 2 && total >= (options.minElements ?? PARALLEL_WIDEN_MIN_ELEMENTS) && availableParallelism() >= 2;
  if (!parallel || !helperThreadUsable()) {
    return arrays.map(widen);
  }
  // The helper takes the arrays from the end while they add up to at most half of the elements.
  let first = arrays.length;
  for (let taken = 0; first > 1 && taken + arrays[first - 1]!.length <= total / 2; ) taken += arrays[--first]!.length;
  const helperShare = arrays.slice(first);
  if (helperShare.length === 0) return arrays.map(widen); // one array holds most of the elements
  const out: Array<Float32Array | undefined> = new Array(arrays.length);
  const jobs: Array<[number, number]> = [];
  const source = Buffer.allocUnsafeSlow(2 * helperShare.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of helperShare) {
    source.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    jobs.push([at, a.length]);
    at += a.byteLength;
  }
  const outputs = helperShare.map((a) => uninitializedF32(a.length).buffer as ArrayBuffer);
  const helper = widenOnHelperThread({ source: source.buffer as ArrayBuffer, from, jobs, outputs }, (index, buffer) => {
    out[first + index] = new Float32Array(buffer);
  });
  for (let i = 0; i < first; i++) out[i] = widen(arrays[i]!);
  await helper;
  // What the helper left (it failed, or could not be started) is widened here.
  return Array.from(out, (a, i) => a ?? widen(arrays[i]!));
}

/**
 * Internal: {@link widenToF32InParallel} over a whole cache (as `castKv(cache, "F32")`, new arrays, same shapes).
 * @example const { cache } = await widenKvToF32(readF16Cache, "F16")
 */
export async function widenKvToF32(cache: KvCache<"F16" | "BF16">, from: "F16" | "BF16"): Promise<KvCache<"F32">> {
  const wide = await widenToF32InParallel(cache.layers.flatMap((l) => [l.key.data, l.value.data]), from);
  return {
    dtype: "F32",
    layers: cache.layers.map((l, i) => ({
      key: { dtype: "F32", shape: [...l.key.shape], data: wide[2 * i]! },
      value: { dtype: "F32", shape: [...l.value.shape], data: wide[2 * i + 1]! },
    })),
  };
}

/**
 * A plain F32 array whose every element is about to be written: its memory is not zeroed first (a fresh
 * `Float32Array` is, one more pass over hundreds of MB). It owns its whole `ArrayBuffer` (not Node's buffer pool).
 */
function uninitializedF32(length: number): Float32Array {
  return new Float32Array(Buffer.allocUnsafeSlow(4 * length).buffer, 0, length);
}
