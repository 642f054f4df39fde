// Shared by the builder-layout tests: drive a builder-layout graph with onnxruntime-node directly (no kvcdn runtime
// code), whatever its element types, and read its float16 outputs as float32 for comparisons.
import { f16ToF32, f32ToF16 } from "../../src/kv/float16.js";
import { ort } from "./ort-helpers.js";

/** One layer's cache as onnxruntime tensors of the session's past type. */
export interface BuilderKv {
  key: ort.Tensor;
  value: ort.Tensor;
}

/** Result of one forward: float32 views of logits and every present, plus the raw tensors to feed back. */
export interface BuilderStep {
  logits: Float32Array;
  logitsDims: readonly number[];
  present: BuilderKv[];
  presentF32: Array<{ key: Float32Array; value: Float32Array; dims: number[] }>;
}

/** Float32 values of a float32 or float16 tensor. */
export function asF32(t: ort.Tensor): Float32Array {
  return t.type === "float16" ? f16ToF32(t.data as Uint16Array) : (t.data as Float32Array);
}

/**
 * One forward of a single row of `ids` after `past`, with the onnx-community contract (mask of ones over past + seq,
 * absolute position_ids when the graph takes them).
 */
export async function builderForward(
  session: ort.InferenceSession,
  dims: { layers: number; kvHeads: number; headDim: number },
  ids: number[],
  past?: BuilderKv[],
): Promise<BuilderStep> {
  const pastLength = past?.[0]?.key.dims[2] ?? 0;
  const total = pastLength + ids.length;
  const i64 = (values: number[]): ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), [1, values.length]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(ids),
    attention_mask: i64(new Array<number>(total).fill(1)),
  };
  if (session.inputNames.includes("position_ids")) feeds["position_ids"] = i64(ids.map((_, i) => pastLength + i));
  const meta = session.inputMetadata.find((m) => m.name === "past_key_values.0.key");
  const f16 = meta !== undefined && meta.isTensor && meta.type === "float16";
  const empty = (): ort.Tensor =>
    f16
      ? new ort.Tensor("float16", new Uint16Array(0), [1, dims.kvHeads, 0, dims.headDim])
      : new ort.Tensor("float32", new Float32Array(0), [1, dims.kvHeads, 0, dims.headDim]);
  for (let i = 0; i < dims.layers; i++) {
    feeds[`past_key_values.${i}.key`] = past?.[i]?.key ?? empty();
    feeds[`past_key_values.${i}.value`] = past?.[i]?.value ?? empty();
  }
  const out = await session.run(feeds);
  const present: BuilderKv[] = [];
  for (let i = 0; i < dims.layers; i++) present.push({ key: out[`present.${i}.key`]!, value: out[`present.${i}.value`]! });
  return {
    logits: asF32(out["logits"]!),
    logitsDims: out["logits"]!.dims,
    present,
    presentF32: present.map((p) => ({ key: asF32(p.key), value: asF32(p.value), dims: [...p.key.dims] })),
  };
}

/** A float64 cache as onnxruntime tensors of the session's type (float16 rounds to nearest even). */
export function toOrtKv(kv: { key: Float64Array; value: Float64Array; dims: number[] }, f16: boolean): BuilderKv {
  const t = (v: Float64Array): ort.Tensor =>
    f16 ? new ort.Tensor("float16", f32ToF16(Float32Array.from(v)), kv.dims) : new ort.Tensor("float32", Float32Array.from(v), kv.dims);
  return { key: t(kv.key), value: t(kv.value) };
}

/** Largest |a − b| divided by the largest |b|. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new RangeError(`lengths differ: ${actual.length} vs ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}
