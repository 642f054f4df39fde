import { availableParallelism } from "node:os";
import { bf16ToF32, f16ToF32 } from "./float16.js";
import { postWidenTask, type WidenAnswer } from "./widen-worker.js";

/**
 * Below this many elements in all, widening stays on the calling thread: about 5 ms of work, where a round trip to
 * the helper thread would be a fair part of the gain.
 */
export const PARALLEL_WIDEN_MIN_ELEMENTS = 1 << 21;

let nextTaskId = 0;

/**
 * Internal: widen F16 or BF16 arrays to new F32 arrays (exact, bit-identical to {@link f16ToF32} / {@link bf16ToF32}),
 * on this thread and one helper thread at once, half of the work each. The helper can only read arrays that live on
 * a `SharedArrayBuffer` (readKv reads a file that needs widening into one); it writes into plain buffers allocated
 * here and transferred to it and back (onnxruntime-node refuses shared ones), so nothing is copied. Arrays on plain
 * buffers, small batches (< `minElements` in all) and one-core machines are widened here alone; if the helper
 * fails, this thread widens what it left.
 * @example const [k0, v0] = await widenToF32InParallel([key, value], "F16")
 */
export async function widenToF32InParallel(
  arrays: readonly Uint16Array[],
  from: "F16" | "BF16",
  options: { minElements?: number } = {},
): Promise<Float32Array[]> {
  const widen = (a: Uint16Array): Float32Array => (from === "F16" ? f16ToF32(a, uninitializedF32(a.length)) : bf16ToF32(a, uninitializedF32(a.length)));
  // The helper reads one shared buffer (a file's bytes): the later half of the arrays on it is its share.
  const source = arrays.find((a) => a.buffer instanceof SharedArrayBuffer)?.buffer as SharedArrayBuffer | undefined;
  const shared = arrays.flatMap((a, i) => (source !== undefined && a.buffer === source ? [i] : []));
  const total = arrays.reduce((n, a) => n + a.length, 0);
  if (source === undefined || shared.length < 2 || total < (options.minElements ?? PARALLEL_WIDEN_MIN_ELEMENTS) || availableParallelism() < 2) {
    return arrays.map((a) => widen(a));
  }
  const helperShare = shared.slice(Math.ceil(shared.length / 2));
  const out: Array<Float32Array | undefined> = new Array(arrays.length);
  let settle!: () => void;
  const helperDone = new Promise<void>((resolve) => (settle = resolve));
  let stop: () => void = () => undefined;
  try {
    const task = {
      id: nextTaskId++,
      source,
      from,
      jobs: helperShare.map((i): [number, number] => [arrays[i]!.byteOffset, arrays[i]!.length]),
      outputs: helperShare.map((i) => uninitializedF32(arrays[i]!.length).buffer as ArrayBuffer),
    };
    stop = postWidenTask(task, (answer: WidenAnswer | Error) => {
      if (answer instanceof Error || "error" in answer || "finished" in answer) settle();
      else out[helperShare[answer.index]!] = new Float32Array(answer.buffer);
    });
  } catch {
    settle(); // no helper thread here: this thread widens its share below
  }
  try {
    const theirs = new Set(helperShare);
    arrays.forEach((a, i) => {
      if (!theirs.has(i)) out[i] = widen(a);
    });
    await helperDone;
  } finally {
    stop();
  }
  // What the helper left (it failed, or could not be started) is widened here.
  return Array.from(out, (a, i) => a ?? widen(arrays[i]!));
}

/**
 * A plain F32 array whose every element is about to be written: its memory is not zeroed first (a fresh
 * `Float32Array` is, one more pass over hundreds of MB). It owns its whole `ArrayBuffer` (not Node's buffer pool).
 */
function uninitializedF32(length: number): Float32Array {
  return new Float32Array(Buffer.allocUnsafeSlow(4 * length).buffer, 0, length);
}
