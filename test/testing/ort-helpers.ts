// Shared by the fixture tests: drive the generated ONNX graph with onnxruntime-node directly (no kvcdn runtime code),
// and compare its tensors with the float64 reference.
import * as ort from "onnxruntime-node";
import { expect } from "vitest";
import type { ReferenceKv } from "../../src/testing/index.js";

export { ort };

/** One layer's ORT cache, `[batch, kv_heads, tokens, head_dim]` float32. */
export interface OrtKv {
  key: ort.Tensor;
  value: ort.Tensor;
}

/** Result of one ORT forward. */
export interface OrtStep {
  logits: Float32Array;
  /** `[batch, seq, vocab]`. */
  logitsDims: readonly number[];
  present: OrtKv[];
}

const i64 = (rows: number[][]): ort.Tensor =>
  new ort.Tensor("int64", BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [rows.length, rows[0]?.length ?? 0]);

/** Open the fixture's fp32 graph. */
export function openSession(dir: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(`${dir}/onnx/model.onnx`);
}

/**
 * One forward pass. Defaults follow the onnx-community contract: a mask of ones over past + seq, positions past … .
 */
export async function ortForward(
  session: ort.InferenceSession,
  dims: { layers: number; kvHeads: number; headDim: number },
  input: { ids: number[][]; mask?: number[][]; positions?: number[][]; past?: OrtKv[] },
): Promise<OrtStep> {
  const batch = input.ids.length;
  const seq = input.ids[0]!.length;
  const past = input.past?.[0]?.key.dims[2] ?? 0;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(input.ids),
    attention_mask: i64(input.mask ?? input.ids.map(() => new Array<number>(past + seq).fill(1))),
    position_ids: i64(input.positions ?? input.ids.map(() => Array.from({ length: seq }, (_, i) => past + i))),
  };
  for (let i = 0; i < dims.layers; i++) {
    const empty = (): ort.Tensor => new ort.Tensor("float32", new Float32Array(0), [batch, dims.kvHeads, 0, dims.headDim]);
    feeds[`past_key_values.${i}.key`] = input.past?.[i]?.key ?? empty();
    feeds[`past_key_values.${i}.value`] = input.past?.[i]?.value ?? empty();
  }
  const out = await session.run(feeds);
  const present: OrtKv[] = [];
  for (let i = 0; i < dims.layers; i++) present.push({ key: out[`present.${i}.key`]!, value: out[`present.${i}.value`]! });
  return { logits: out["logits"]!.data as Float32Array, logitsDims: out["logits"]!.dims, present };
}

/** Greedy decoding with the graph alone: prefill `ids`, then feed each argmax back with the cache. */
export async function ortGreedy(
  session: ort.InferenceSession,
  dims: { layers: number; kvHeads: number; headDim: number; vocab: number },
  ids: number[],
  newTokens: number,
): Promise<number[]> {
  const out: number[] = [];
  let step = await ortForward(session, dims, { ids: [ids] });
  for (let n = 0; n < newTokens; n++) {
    const last = step.logits.subarray((step.logitsDims[1]! - 1) * dims.vocab, step.logitsDims[1]! * dims.vocab);
    const next = argmax(last);
    out.push(next);
    if (n + 1 < newTokens) step = await ortForward(session, dims, { ids: [[next]], past: step.present });
  }
  return out;
}

/** Index of the largest value (lowest index on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Largest |a − b| and largest |b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { diff, scale };
}

/**
 * The tolerance of the fp32 graph against the float64 reference: 1e-5 of the largest magnitude (measured differences
 * are about 1e-6 relative; a wrong norm, mask, RoPE sign or head mapping is off by 1e-2 or more).
 */
export const RELATIVE_TOLERANCE = 1e-5;

/** Assert `actual` (fp32 from ORT) equals `expected` (float64 reference) within {@link RELATIVE_TOLERANCE}. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const { diff, scale } = maxAbsDiff(actual, expected);
  expect(scale, `${what}: reference is all zeros`).toBeGreaterThan(0);
  expect(diff / scale, `${what}: max |diff| ${diff} vs max |value| ${scale}`).toBeLessThan(RELATIVE_TOLERANCE);
}

/** Compare every present tensor of ORT with the reference's. */
export function expectPresentClose(actual: OrtKv[], expected: ReferenceKv[], what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect([...actual[i]!.key.dims]).toEqual(expected[i]!.dims);
    expect([...actual[i]!.value.dims]).toEqual(expected[i]!.dims);
    expectClose(actual[i]!.key.data as Float32Array, expected[i]!.key, `${what} present.${i}.key`);
    expectClose(actual[i]!.value.data as Float32Array, expected[i]!.value, `${what} present.${i}.value`);
  }
}

/** Rows `[from, to)` of the sequence axis of a `[batch, seq, vocab]` logits array, for one batch row. */
export function logitsRows(logits: ArrayLike<number>, dims: readonly number[], row: number, from: number, to: number): number[] {
  const [, seq, vocab] = dims as [number, number, number];
  return Array.from({ length: (to - from) * vocab }, (_, i) => logits[(row * seq + from) * vocab + i]!);
}
