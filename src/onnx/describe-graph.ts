import type { InferenceSession } from "onnxruntime-node";
import { ModelFolderError } from "../errors/compatibility-error.js";

/** Floating-point element types a past/present tensor can have in an ONNX graph kvcdn runs. */
export type KvTensorType = "float32" | "float16";

/** The I/O of a decoder graph with the onnx-community `past_key_values.{i}.key|value` / `present.{i}.*` layout. */
export interface GraphIo {
  /** Element type of every `past_key_values.*` input, from the session's `inputMetadata`. */
  pastType: KvTensorType;
  /** Element type of every `present.*` output, from `outputMetadata`. */
  presentType: KvTensorType;
  /** Element type of `logits` (`float32` or `float16`). */
  logitsType: KvTensorType;
  /** Whether the graph takes `position_ids` (absolute positions are fed when it does). */
  hasPositionIds: boolean;
  /** Whether the graph takes `num_logits_to_keep` (1 is fed: kvcdn only reads the last position's logits). */
  hasNumLogitsToKeep: boolean;
  /** Per layer: the past input names and the present output names. */
  layers: Array<{ pastKey: string; pastValue: string; presentKey: string; presentValue: string }>;
  /**
   * Whether each layer's past and present meet in one GroupQueryAttention node (the model builder's layout), so a
   * forward pass can write the new positions into the past buffers themselves instead of a second, larger copy
   * (docs/runtime.md#in-place-past). `false` for plain-op graphs and when not known.
   */
  pastInPlace: boolean;
  /**
   * Whether the session runs kvcdn's rewrite of the graph whose present outputs (`layers[i].presentKey|Value`, named
   * `kvcdn.new_positions.present.*`) hold only the positions a pass adds, `[1, kv_heads, n, head_dim]`; the caller
   * writes them after the past (docs/runtime.md#new-positions-graph). `false`: they hold past and new positions.
   */
  newPositionsOnly: boolean;
}

/** The onnx-community names of `numLayers` layers' past inputs and present outputs. */
export function kvNames(numLayers: number): GraphIo["layers"] {
  return Array.from({ length: numLayers }, (_, i) => ({
    pastKey: `past_key_values.${i}.key`,
    pastValue: `past_key_values.${i}.value`,
    presentKey: `present.${i}.key`,
    presentValue: `present.${i}.value`,
  }));
}

const KNOWN_INPUTS = new Set(["input_ids", "attention_mask", "position_ids", "num_logits_to_keep"]);

/**
 * Read a session's input and output metadata and check it has the decoder layout kvcdn drives, with `numLayers`
 * layers. Element types are read, never assumed: fp32 exports take float32 past tensors, fp16 / q4f16 float16.
 * @throws {ModelFolderError} naming the missing or unsupported input/output.
 * @example describeGraph(session, 28, "/models/qwen3/onnx/model_q4f16.onnx").pastType // "float16"
 */
export function describeGraph(
  session: InferenceSession,
  numLayers: number,
  onnxPath: string,
  options: {
    /** What `hasInPlaceKv` found in the graph file. @default false */
    pastInPlace?: boolean;
    /** The session runs a new-positions rewrite of the graph: its present outputs per layer. */
    newPositionOutputs?: ReadonlyArray<{ key: string; value: string }>;
  } = {},
): GraphIo {
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
  const outputs = new Map(session.outputMetadata.map((m) => [m.name, m]));
  const fail = (what: string): never => {
    throw new ModelFolderError(
      `${onnxPath}: ${what}; kvcdn runs decoder exports with input_ids, attention_mask, position_ids and ` +
        "past_key_values.{i}.key|value inputs and logits / present.{i}.key|value outputs (onnx-community layout)",
      onnxPath,
    );
  };
  const floatType = (meta: InferenceSession.ValueMetadata | undefined, name: string): KvTensorType => {
    if (!meta) return fail(`the graph has no ${name}`);
    if (!meta.isTensor) return fail(`${name} is not a tensor`);
    if (meta.type !== "float32" && meta.type !== "float16") return fail(`${name} has unsupported type ${meta.type}`);
    return meta.type;
  };
  for (const name of ["input_ids", "attention_mask"]) if (!inputs.has(name)) fail(`the graph has no ${name} input`);
  const rewritten = options.newPositionOutputs;
  if (rewritten !== undefined && rewritten.length !== numLayers) fail(`the rewritten graph has ${rewritten.length} layers of present outputs`);
  const layers = kvNames(numLayers).map((l, i) => (rewritten ? { ...l, presentKey: rewritten[i]!.key, presentValue: rewritten[i]!.value } : l));
  const pastType = floatType(inputs.get("past_key_values.0.key"), "past_key_values.0.key input");
  const presentType = floatType(outputs.get(layers[0]?.presentKey ?? "present.0.key"), `${layers[0]?.presentKey ?? "present.0.key"} output`);
  for (const layer of layers) {
    for (const name of [layer.pastKey, layer.pastValue]) {
      if (floatType(inputs.get(name), `${name} input`) !== pastType) fail(`${name} has another type than layer 0`);
    }
    for (const name of [layer.presentKey, layer.presentValue]) {
      if (floatType(outputs.get(name), `${name} output`) !== presentType) fail(`${name} has another type than layer 0`);
    }
  }
  if (inputs.has(`past_key_values.${numLayers}.key`)) {
    fail(`the graph has more than num_hidden_layers = ${numLayers} past inputs`);
  }
  for (const name of inputs.keys()) {
    if (!KNOWN_INPUTS.has(name) && !name.startsWith("past_key_values.")) fail(`unsupported input ${name}`);
  }
  return {
    pastType,
    presentType,
    logitsType: floatType(outputs.get("logits"), "logits output"),
    hasPositionIds: inputs.has("position_ids"),
    hasNumLogitsToKeep: inputs.has("num_logits_to_keep"),
    layers,
    pastInPlace: options.pastInPlace === true && pastType === presentType,
    newPositionsOnly: rewritten !== undefined,
  };
}
