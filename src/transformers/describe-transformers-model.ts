import type { PreTrainedModel } from "@huggingface/transformers";
import { ModelFolderError } from "../errors/compatibility-error.js";
import type { ModelDescription } from "../onnx/model-description.js";
import type { ModelInfo } from "../onnx/read-model-folder.js";
import { pastTensorType } from "./kv-to-dynamic-cache.js";

/**
 * The {@link ModelDescription} caches are checked against for a transformers.js model: from the folder it was loaded
 * from when given (`readModelFolder`: model id and fingerprint), else from `model.config` alone (dimensions and
 * `_name_or_path`, no fingerprint). The past type always comes from the session metadata.
 * @throws {ModelFolderError} when the config lacks the layer or head counts.
 * @example const description = describeTransformersModel(model, await readModelFolder({ dir }));
 */
export function describeTransformersModel(model: PreTrainedModel, info?: ModelInfo): ModelDescription {
  const pastType = pastTensorType(model);
  if (info) {
    const { modelId, dir, numLayers, numKvHeads, headDim, fingerprint } = info;
    return { modelId, dir, numLayers, numKvHeads, headDim, fingerprint, pastType };
  }
  const config = model.config as unknown as Record<string, unknown>;
  const int = (v: unknown): number | undefined => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined);
  const heads = int(config["num_attention_heads"]);
  const numLayers = int(config["num_hidden_layers"]);
  const numKvHeads = int(config["num_key_value_heads"]) ?? heads;
  const hidden = int(config["hidden_size"]);
  const headDim = int(config["head_dim"]) ?? (hidden !== undefined && heads !== undefined ? hidden / heads : undefined);
  const name = config["_name_or_path"];
  if (numLayers === undefined || numKvHeads === undefined || headDim === undefined || !Number.isInteger(headDim)) {
    throw new ModelFolderError(
      "the transformers.js model's config lacks num_hidden_layers, num_attention_heads or head_dim/hidden_size; " +
        "load it with loadTransformersModel({ dir }) or pass description",
      typeof name === "string" ? name : "",
    );
  }
  return { modelId: typeof name === "string" && name !== "" ? name : "unknown", numLayers, numKvHeads, headDim, pastType };
}
