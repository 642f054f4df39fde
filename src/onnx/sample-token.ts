import { createRng } from "./create-rng.js";

/** How to pick the next token from the logits. Leave it out (or set `temperature: 0`) for greedy decoding. */
export interface SamplingOptions {
  /** Softmax temperature; 0 means greedy (argmax). @default 1 */
  temperature?: number;
  /** Keep only the `topK` most likely tokens; 0 keeps all. @default 0 */
  topK?: number;
  /** Keep the smallest set of tokens whose probability sums to at least `topP`; 1 keeps all. @default 1 */
  topP?: number;
  /** Seed of the pseudo-random generator: the same seed gives the same tokens. @default a random seed */
  seed?: number;
}

/**
 * Index of the largest logit; ties go to the lowest index (kvcdn-cli's argmax) and NaN never wins.
 * @example argmax(new Float32Array([1, 3, 3])) // 1
 */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * A token picker for {@link SamplingOptions}: greedy when `sampling` is undefined or its temperature is 0, otherwise
 * temperature → top-k → top-p → a draw from a generator seeded with `sampling.seed`.
 * @example const pick = createSampler({ temperature: 0.6, topK: 20, topP: 0.95, seed: 1 }); const id = pick(logits);
 */
export function createSampler(sampling?: SamplingOptions): (logits: ArrayLike<number>) => number {
  const temperature = sampling?.temperature ?? 1;
  if (sampling === undefined || temperature === 0) return argmax;
  if (!(temperature > 0)) throw new RangeError(`temperature must be >= 0, got ${temperature}`);
  const topK = sampling.topK ?? 0;
  const topP = sampling.topP ?? 1;
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a non-negative integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
  const rng = createRng(sampling.seed ?? Math.floor(Math.random() * 2 ** 32));
  return (logits) => sampleFrom(logits, temperature, topK, topP, rng);
}

function sampleFrom(logits: ArrayLike<number>, temperature: number, topK: number, topP: number, rng: () => number): number {
  // Candidates, most likely first (ties: lowest index first, so the order is deterministic).
  const order = topK > 0 && topK < logits.length ? topKIndices(logits, topK) : sortedIndices(logits);
  const max = logits[order[0]!]!;
  const weights = new Float64Array(order.length);
  let total = 0;
  for (let i = 0; i < order.length; i++) {
    const w = Math.exp((logits[order[i]!]! - max) / temperature);
    weights[i] = Number.isFinite(w) ? w : 0;
    total += weights[i]!;
  }
  let keep = order.length;
  if (topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < order.length; i++) {
      cumulative += weights[i]! / total;
      if (cumulative >= topP) {
        keep = i + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let i = 0; i < keep; i++) kept += weights[i]!;
  let u = rng() * kept;
  for (let i = 0; i < keep; i++) {
    u -= weights[i]!;
    if (u < 0) return order[i]!;
  }
  return order[keep - 1]!;
}

const byLogitThenIndex = (logits: ArrayLike<number>) => (a: number, b: number) =>
  logits[b]! - logits[a]! || a - b;

function sortedIndices(logits: ArrayLike<number>): number[] {
  const idx: number[] = [];
  for (let i = 0; i < logits.length; i++) if (!Number.isNaN(logits[i])) idx.push(i);
  return idx.sort(byLogitThenIndex(logits));
}

/** The k best indices, best first, in O(n log k) with a min-heap. */
function topKIndices(logits: ArrayLike<number>, k: number): number[] {
  const worse = (a: number, b: number) => logits[a]! < logits[b]! || (logits[a] === logits[b] && a > b);
  const heap: number[] = [];
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i])) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let j = heap.length - 1; j > 0; ) {
        const p = (j - 1) >> 1;
        if (!worse(heap[j]!, heap[p]!)) break;
        [heap[j], heap[p]] = [heap[p]!, heap[j]!];
        j = p;
      }
    } else if (worse(heap[0]!, i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort(byLogitThenIndex(logits));
}
