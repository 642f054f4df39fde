import type { InferenceSession } from "onnxruntime-node";
import { describeGraph, kvNames, type GraphIo } from "./describe-graph.js";
import { hasInPlaceKv } from "./in-place-kv.js";
import { buildNewPositionsGraph, type NewPositionsGraph } from "./new-positions-graph.js";
import { dropSpareRoomyPast } from "./past-buffers.js";
import { runForward, type PastState } from "./run-forward.js";
import { importOnnxRuntime } from "../peers/import-onnxruntime.js";
import { loadTokenizer, type Tokenizer } from "./load-tokenizer.js";
import type { ModelDescription } from "./model-description.js";
import { readModelFolder, type ModelInfo, type ReadModelFolderOptions } from "./read-model-folder.js";

/** A model folder loaded into onnxruntime-node (CPU), with its tokenizer. */
export interface OnnxModel extends ModelInfo {
  /**
   * The onnxruntime-node session of `onnxPath`: on GroupQueryAttention graphs, of kvcdn's rewrite of it whose present
   * outputs are only the new positions (`io.newPositionsOnly`; see {@link LoadModelOptions.newPositionsGraph}).
   */
  session: InferenceSession;
  /** The folder's tokenizer. */
  tokenizer: Tokenizer;
  /** Graph I/O names and element types, read from the session metadata. */
  io: GraphIo;
  /** `io.pastType`: what caches are converted to; with it an `OnnxModel` is a {@link ModelDescription}. */
  pastType: GraphIo["pastType"];
  /** Release the session. */
  dispose(): Promise<void>;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions extends ReadModelFolderOptions {
  /** Extra onnxruntime session options (threads, graph optimization level, …). Execution provider is always CPU. */
  sessionOptions?: InferenceSession.SessionOptions;
  /**
   * Run one forward pass at load (zero ids over a zero past of `pastTokens` positions), so the first real run does not
   * pay for the session's first-run setup (kernel selection, the thread pool, onnxruntime's memory arena growing to
   * the run's size). Size `pastTokens` like the caches you will resume: the arena keeps about that much memory
   * (cache size, in the session's dtype) for the session's life. `true` is `{ pastTokens: 0, inputTokens: 1 }`.
   * @default off
   */
  warmup?: boolean | { pastTokens?: number; inputTokens?: number };
  /**
   * On GroupQueryAttention graphs (the model builder's layout), run kvcdn's rewrite of the graph whose present outputs
   * hold only the positions a pass adds: a resume then holds the cache once instead of twice (onnxruntime-node returns
   * every output as a copy), and the weights are read from the graph file as the session loads instead of parsed with
   * it (docs/runtime.md#new-positions-graph). `false` runs the file as it is. Other graphs always run as they are.
   * @default true
   */
  newPositionsGraph?: boolean;
}

/**
 * Load a model folder (onnx-community layout) for producing and consuming caches: validates the files, computes the
 * fingerprint, creates a CPU onnxruntime session for `onnx/model{suffix}.onnx` (on GroupQueryAttention graphs, for
 * a rewrite of it that holds the cache once per run: `newPositionsGraph`) and loads the tokenizer.
 *
 * Works the same on the `tiny` fixture and on a downloaded `onnx-community/Qwen3-0.6B-ONNX` folder: pick the
 * variant with `dtype` (`fp32` → `onnx/model.onnx`, `fp16` → `model_fp16.onnx`, `q4f16` → `model_q4f16.onnx`,
 * `q8` → `model_quantized.onnx`); past/present element types come from the session metadata (float16 for fp16 and
 * q4f16, float32 otherwise), and caches are converted to them on load. External weights
 * (`model{suffix}.onnx_data`) next to the graph are picked up by onnxruntime.
 * @throws {ModelFolderError} for a missing file or a graph without the expected inputs/outputs.
 * @throws {MissingPeerError} when onnxruntime-node is not installed.
 * @example
 * const model = await loadModel({ dir: "/models/Qwen3-0.6B-ONNX", dtype: "q4f16", modelId: "Qwen/Qwen3-0.6B" });
 * try { … } finally { await model.dispose(); }
 */
export async function loadModel(options: LoadModelOptions): Promise<OnnxModel> {
  const info = await readModelFolder(options);
  const ort = await importOnnxRuntime();
  const tokenizer = await loadTokenizer({ dir: info.dir });
  // The graph walks only read node and tensor records (a few ms of I/O), never tensor bytes.
  const pastInPlace = await hasInPlaceKv(info.onnxPath, kvNames(info.numLayers));
  const sessionOptions: InferenceSession.SessionOptions = { ...options.sessionOptions, executionProviders: ["cpu"] };
  const rewritten = pastInPlace && options.newPositionsGraph !== false ? await newPositionsSession(info, sessionOptions) : undefined;
  const session = rewritten?.session ?? (await ort.InferenceSession.create(info.onnxPath, sessionOptions));
  let model: OnnxModel;
  try {
    const io = describeGraph(session, info.numLayers, info.onnxPath, { pastInPlace, ...(rewritten ? { newPositionOutputs: rewritten.outputs } : {}) });
    const dispose = (): Promise<void> => {
      dropSpareRoomyPast({ session });
      return session.release();
    };
    model = { ...info, session, tokenizer, io, pastType: io.pastType, dispose };
    if (options.warmup !== undefined && options.warmup !== false) await warmUp(model, options.warmup === true ? {} : options.warmup);
  } catch (e) {
    await session.release();
    throw e;
  }
  return model;
}

/**
 * A session of the new-positions rewrite of the graph, or `undefined` when the rewrite cannot be made or onnxruntime
 * refuses it (the caller then loads the file as it is, which reports any real problem with it).
 */
async function newPositionsSession(
  info: ModelInfo,
  sessionOptions: InferenceSession.SessionOptions,
): Promise<{ session: InferenceSession; outputs: NewPositionsGraph["outputs"] } | undefined> {
  const ort = await importOnnxRuntime();
  let graph: NewPositionsGraph;
  try {
    graph = await buildNewPositionsGraph(info.onnxPath, kvNames(info.numLayers));
  } catch {
    return undefined;
  }
  const extra = (sessionOptions.extra ?? {}) as Record<string, unknown>;
  const sessionExtra = (extra["session"] ?? {}) as Record<string, unknown>;
  try {
    const session = await ort.InferenceSession.create(graph.bytes, {
      ...sessionOptions,
      // What the rewrite's locations are relative to (the file system's root: they are real paths, links resolved).
      extra: { ...extra, session: { ...sessionExtra, model_external_initializers_file_folder_path: graph.folder } },
    });
    return { session, outputs: graph.outputs };
  } catch {
    return undefined;
  }
}

async function warmUp(model: OnnxModel, options: { pastTokens?: number; inputTokens?: number }): Promise<void> {
  const pastTokens = options.pastTokens ?? 0;
  const inputTokens = options.inputTokens ?? 1;
  if (!Number.isSafeInteger(pastTokens) || pastTokens < 0) throw new RangeError(`warmup.pastTokens must be a non-negative integer, got ${pastTokens}`);
  if (!Number.isSafeInteger(inputTokens) || inputTokens < 1) throw new RangeError(`warmup.inputTokens must be a positive integer, got ${inputTokens}`);
  const ort = await importOnnxRuntime();
  const dims = [1, model.numKvHeads, pastTokens, model.headDim];
  const size = model.numKvHeads * pastTokens * model.headDim;
  const tensors: PastState["tensors"] = {};
  for (const layer of model.io.layers) {
    for (const name of [layer.pastKey, layer.pastValue]) {
      tensors[name] =
        model.io.pastType === "float16" ? new ort.Tensor("float16", new Uint16Array(size), dims) : new ort.Tensor("float32", new Float32Array(size), dims);
    }
  }
  const out = await runForward({ model, inputIds: new Array<number>(inputTokens).fill(0), past: { length: pastTokens, tensors } });
  for (const t of Object.values(out.present.tensors)) t.dispose();
}
