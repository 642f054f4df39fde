import { resolve } from "node:path";
import type { PreTrainedModel, PreTrainedTokenizer } from "@huggingface/transformers";
import type { ModelDescription } from "../onnx/model-description.js";
import { readModelFolder, type ReadModelFolderOptions } from "../onnx/read-model-folder.js";
import { describeTransformersModel } from "./describe-transformers-model.js";
import { importTransformers } from "../peers/import-transformers.js";

/** A transformers.js causal LM and its tokenizer, loaded from a local folder. */
export interface TransformersModel {
  /** `AutoModelForCausalLM` result (e.g. `Qwen3ForCausalLM`). */
  model: PreTrainedModel;
  /** `AutoTokenizer` result. */
  tokenizer: PreTrainedTokenizer;
  /**
   * What caches are checked against (model id, dimensions, fingerprint, past type): `generateFromCache({ ...loaded })`
   * makes the same checks as `kvcdn/onnx`.
   */
  description: ModelDescription;
}

/**
 * Load a model folder offline with transformers.js (remote models off, absolute folder path, CPU): checks the folder
 * first (same files, fingerprint and errors as `loadModel`), then `AutoModelForCausalLM.from_pretrained(dir, { dtype,
 * device: "cpu", local_files_only: true })` and `AutoTokenizer`.
 * @throws {ModelFolderError} when a required file is missing.
 * @example const { model, tokenizer } = await loadTransformersModel({ dir: "/models/Qwen3-0.6B-ONNX", dtype: "q4f16" });
 */
export async function loadTransformersModel(options: ReadModelFolderOptions): Promise<TransformersModel> {
  const dir = resolve(options.dir);
  const dtype = options.dtype ?? "fp32";
  const info = await readModelFolder({ ...options, dir, dtype });
  const { AutoModelForCausalLM, AutoTokenizer } = await importTransformers();
  const [model, tokenizer] = await Promise.all([
    AutoModelForCausalLM.from_pretrained(dir, { dtype, device: "cpu", local_files_only: true }),
    AutoTokenizer.from_pretrained(dir, { local_files_only: true }),
  ]);
  return { model, tokenizer, description: describeTransformersModel(model, info) };
}
