import type { Tensor } from "onnxruntime-node";
import { importOnnxRuntime } from "../peers/import-onnxruntime.js";
import type { OnnxModel } from "./load-model.js";
import { f16ToF32 } from "../kv/float16.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";
import { appendPositions, copyRoomyPast, writeAddedPositions } from "./past-buffers.js";

/**
 * Longest piece of a prompt run in one forward pass. onnx-community graphs return logits for every input position
 * (`[1, seq, vocab]`: 2048 tokens × Qwen3's 151,936-token vocabulary is 1.2 GB of float32), so long prompts are run
 * in pieces, each continuing from the last one's `present.*` — the same attention, a bounded logits buffer.
 */
export const DEFAULT_PREFILL_CHUNK_TOKENS = 512;

/** The attention state a forward pass continues from: `past_key_values.*` feeds of `length` positions. */
export interface PastState {
  /** Cached positions (dim 2 of every tensor); the next token's absolute position. */
  length: number;
  /** onnxruntime tensors by input name (`past_key_values.{i}.key|value`), of the session's past type. */
  tensors: Record<string, Tensor>;
  /**
   * Set when the tensors have room: dim 2 is `capacity` (≥ `length`) and the forward pass writes its new positions
   * into them (graphs where `model.io.pastInPlace` holds; docs/runtime.md#in-place-past). Positions before `length`
   * are never written, so a state stays valid after a pass continues from it.
   */
  capacity?: number;
}

/** What one forward pass returns. */
export interface ForwardResult {
  /** Logits of the last input position, as float32 (converted when the graph emits float16). */
  logits: Float32Array;
  /**
   * The state after the pass (`present.*` renamed to `past_key_values.*`): `past.length + inputIds.length` positions.
   * For a past with room, the same buffers (or larger ones, when the room ran out).
   */
  present: PastState;
}

/**
 * An empty past: every `past_key_values.*` tensor `[1, kv_heads, 0, head_dim]` of the session's past type.
 * @example const out = await runForward({ model, inputIds: [4340, 525], past: await emptyPast(model) });
 */
export async function emptyPast(model: OnnxModel): Promise<PastState> {
  const ort = await importOnnxRuntime();
  const dims = [1, model.numKvHeads, 0, model.headDim];
  const tensors: Record<string, Tensor> = {};
  for (const layer of model.io.layers) {
    for (const name of [layer.pastKey, layer.pastValue]) {
      tensors[name] =
        model.io.pastType === "float16"
          ? new ort.Tensor("float16", new Uint16Array(0), dims)
          : new ort.Tensor("float32", new Float32Array(0), dims);
    }
  }
  return { length: 0, tensors };
}

/**
 * One forward pass of `inputIds` at absolute positions `past.length … past.length + n − 1`, with an attention mask of
 * exactly `past.length + n` ones (the GroupQueryAttention op requires that length), as onnx-community graphs expect.
 * @example const { logits, present } = await runForward({ model, inputIds: ids, past: await emptyPast(model) });
 */
export async function runForward(params: {
  model: OnnxModel;
  /** Token ids to run (at least one). */
  inputIds: readonly number[];
  /** The state to continue from. */
  past: PastState;
}): Promise<ForwardResult> {
  const { model, inputIds, past } = params;
  const ort = await importOnnxRuntime();
  const n = inputIds.length;
  if (n === 0) throw new RangeError("runForward needs at least one input id");
  const total = past.length + n;
  const ids = new BigInt64Array(n);
  const positions = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = BigInt(inputIds[i]!);
    positions[i] = BigInt(past.length + i);
  }
  const state = past.capacity !== undefined && past.capacity < total ? await growRoom(model, past, total) : past;
  const feeds: Record<string, Tensor> = {
    ...state.tensors,
    input_ids: new ort.Tensor("int64", ids, [1, n]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
  };
  if (model.io.hasPositionIds) feeds["position_ids"] = new ort.Tensor("int64", positions, [1, n]);
  if (model.io.hasNumLogitsToKeep) feeds["num_logits_to_keep"] = new ort.Tensor("int64", new BigInt64Array([1n]), []);
  const out =
    state.capacity === undefined || model.io.newPositionsOnly ? await model.session.run(feeds) : await runInPlace(model, feeds, state.tensors);

  const logitsTensor = out["logits"]!;
  const vocab = logitsTensor.dims[logitsTensor.dims.length - 1]!;
  const rows = logitsTensor.size / vocab;
  const last = (logitsTensor.data as Float32Array | Uint16Array).subarray((rows - 1) * vocab, rows * vocab);
  const logits = last instanceof Float32Array ? Float32Array.from(last) : f16ToF32(last);

  logitsTensor.dispose();
  if (model.io.newPositionsOnly) return { logits, present: await addNewPositions(model, state, out, n) };
  if (state.capacity !== undefined) return { logits, present: { length: total, capacity: state.capacity, tensors: state.tensors } };
  const tensors: Record<string, Tensor> = {};
  for (const layer of model.io.layers) {
    tensors[layer.pastKey] = out[layer.presentKey]!;
    tensors[layer.pastValue] = out[layer.presentValue]!;
  }
  return { logits, present: { length: total, tensors } };
}

/**
 * The state after a pass of a graph that returns only its `n` new positions (docs/runtime.md#new-positions-graph):
 * written into the room of a roomy past, or appended to a plain one in new arrays.
 */
async function addNewPositions(model: OnnxModel, state: PastState, out: Record<string, Tensor>, n: number): Promise<PastState> {
  const ort = await importOnnxRuntime();
  const total = state.length + n;
  const tensors: Record<string, Tensor> = {};
  for (const layer of model.io.layers) {
    for (const [output, input] of [[layer.presentKey, layer.pastKey], [layer.presentValue, layer.pastValue]] as const) {
      const added = out[output]!;
      const data = added.data as Float32Array | Uint16Array;
      const past = state.tensors[input]!;
      if (state.capacity !== undefined) {
        writeAddedPositions(data, { data: past.data as Float32Array | Uint16Array, capacity: state.capacity }, model.numKvHeads, state.length, model.headDim);
      } else {
        const joined = appendPositions(past.data as Float32Array | Uint16Array, data, model.numKvHeads, model.headDim);
        const dims = [1, model.numKvHeads, total, model.headDim];
        tensors[input] = joined instanceof Float32Array ? new ort.Tensor("float32", joined, dims) : new ort.Tensor("float16", joined, dims);
      }
      added.dispose();
    }
  }
  return state.capacity !== undefined ? { length: total, capacity: state.capacity, tensors: state.tensors } : { length: total, tensors };
}

/**
 * Run with every `present.*` output bound to its past input's buffer: GroupQueryAttention then writes the new
 * positions in place. onnxruntime-node 1.30 hands bound outputs back as copies; they are dropped at once (the
 * buffers themselves hold the result).
 */
async function runInPlace(model: OnnxModel, feeds: Record<string, Tensor>, past: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  if (!model.io.pastInPlace) throw new TypeError(`${model.onnxPath}: this graph cannot write its past in place; give a past without capacity`);
  const fetches: Record<string, Tensor | null> = { logits: null };
  for (const layer of model.io.layers) {
    fetches[layer.presentKey] = past[layer.pastKey]!;
    fetches[layer.presentValue] = past[layer.pastValue]!;
  }
  const out = await model.session.run(feeds, fetches as Record<string, Tensor>);
  for (const layer of model.io.layers) {
    for (const [output, input] of [[layer.presentKey, layer.pastKey], [layer.presentValue, layer.pastValue]] as const) {
      const returned = out[output];
      if (returned !== undefined && returned !== past[input] && returned.data !== past[input]!.data) returned.dispose();
    }
  }
  return out;
}

/** Room ran out: move the cache into buffers with room for `total` positions and about 25% more. */
async function growRoom(model: OnnxModel, past: PastState, total: number): Promise<PastState> {
  return copyRoomyPast(model, past, past.length, total + Math.max(64, Math.ceil(total / 4)));
}

/**
 * Prefill: run `inputIds` after `past` in pieces of at most `chunkTokens` (see {@link DEFAULT_PREFILL_CHUNK_TOKENS}),
 * returning the last position's logits and the full state.
 * @example const { present } = await runPrefill({ model, inputIds: contextIds, past: await emptyPast(model) });
 */
export async function runPrefill(params: {
  model: OnnxModel;
  /** Token ids to run (at least one). */
  inputIds: readonly number[];
  /** The state to continue from. */
  past: PastState;
  /** Longest piece per forward pass; `Infinity` runs one pass (kvcdn-cli's prefill). @default DEFAULT_PREFILL_CHUNK_TOKENS */
  chunkTokens?: number;
  /** Cancels between pieces. */
  signal?: AbortSignal;
}): Promise<ForwardResult> {
  const chunk = params.chunkTokens ?? DEFAULT_PREFILL_CHUNK_TOKENS;
  if (!(chunk >= 1)) throw new RangeError(`chunkTokens must be at least 1, got ${chunk}`);
  const ids = params.inputIds;
  if (ids.length === 0) throw new RangeError("runPrefill needs at least one input id");
  // A graph that returns only new positions appends each piece to a plain past in new arrays; exact room up front
  // writes every piece in place instead (the result's capacity is its length).
  let past =
    params.model.io.newPositionsOnly && params.past.capacity === undefined && ids.length > chunk
      ? await copyRoomyPast(params.model, params.past, params.past.length, params.past.length + ids.length)
      : params.past;
  let out: ForwardResult | undefined;
  for (let start = 0; start < ids.length; start += chunk) {
    throwIfAborted(params.signal, "prefill");
    out = await runForward({ model: params.model, inputIds: ids.slice(start, Math.min(ids.length, start + chunk)), past });
    past = out.present;
  }
  return out!;
}
