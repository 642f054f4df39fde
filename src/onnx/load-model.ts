import type { InferenceSession } from "onnxruntime-node";
import { describeGraph, type GraphIo } from "./describe-graph.js";
import { importOnnxRuntime } from "../peers/import-onnxruntime.js";
import { loadTokenizer, type Tokenizer } from "./load-tokenizer.js";
import type { ModelDescription } from "./model-description.js";
import { readModelFolder, type ModelInfo, type ReadModelFolderOptions } from "./read-model-folder.js";

/** A model folder loaded into onnxruntime-node (CPU), with its tokenizer. */
export interface OnnxModel extends ModelInfo {
  /** The onnxruntime-node session of `onnxPath`. */
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
}

/**
 * Load a model folder (onnx-community layout) for producing and consuming caches: validates the files, computes the
 * fingerprint, creates a CPU onnxruntime session for `onnx/model{suffix}.onnx` and loads the tokenizer.
 *
 * Works the same on the `tiny` fixture and on a downloaded `onnx-community/Qwen3-0.6B-ONNX` folder: pick the
 * variant with `dtype` (`fp32` → `onnx/model.onnx`, `fp16` → `model_fp16.onnx`, `q4f16` → `model_q4f16.onnx`,
 * `q8` → `model_quantized.onnx`); past/present element types come from the session metadata (float16 for fp16 and
 * q4f16, float32 otherwise), and caches are converted to them on load. External weights
 * (`model{suffix}.onnx_data`) next to the graph are picked up by onnxruntime.
 * @throws {ModelFolderError} for a missing file or a graph without the expected inputs/outputs.
 * @throws {MissingPeerError} when onnxruntime-node or @huggingface/transformers (tokenizer) is not installed.
 * @example
 * const model = await loadModel({ dir: "/models/Qwen3-0.6B-ONNX", dtype: "q4f16", modelId: "Qwen/Qwen3-0.6B" });
 * try { … } finally { await model.dispose(); }
 */
export async function loadModel(options: LoadModelOptions): Promise<OnnxModel> {
  const info = await readModelFolder(options);
  const ort = await importOnnxRuntime();
  const tokenizer = await loadTokenizer({ dir: info.dir });
  const session = await ort.InferenceSession.create(info.onnxPath, {
    ...options.sessionOptions,
    executionProviders: ["cpu"],
  });
  let io: GraphIo;
  try {
    io = describeGraph(session, info.numLayers, info.onnxPath);
  } catch (e) {
    await session.release();
    throw e;
  }
  return { ...info, session, tokenizer, io, pastType: io.pastType, dispose: () => session.release() };
}
