import { open } from "node:fs/promises";
import { ProtoReader } from "./proto-reader.js";

// Field numbers of onnx.proto3 (ModelProto.graph, GraphProto.node, NodeProto.input/output/op_type/domain).
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_DOMAIN = 7;

/** The past inputs and present outputs of one layer, by graph name. */
export interface KvNames {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

/**
 * Whether every layer's past and present meet in one `com.microsoft` `GroupQueryAttention` node: past key/value are
 * its inputs 3 and 4, present key/value its outputs 1 and 2, with nothing in between. Such a node runs on one buffer
 * when the present outputs are bound to the past inputs' memory (docs/runtime.md#in-place-past), which is what lets a
 * resume hold the cache once. Graphs of the model builder's layout qualify; plain-op exports (Concat attention) do
 * not. Walks the top-level graph's nodes only, skipping tensor bytes; an unreadable file is `false`.
 * @example await hasInPlaceKv("/models/qwen3/onnx/model_q4f16.onnx", model.io.layers) // true
 */
export async function hasInPlaceKv(onnxPath: string, layers: readonly KvNames[]): Promise<boolean> {
  if (layers.length === 0) return false;
  let nodes: Array<{ inputs: string[]; outputs: string[] }>;
  try {
    nodes = await groupQueryAttentionNodes(onnxPath);
  } catch {
    return false;
  }
  const byPastKey = new Map(nodes.map((n) => [n.inputs[3], n]));
  return layers.every((layer) => {
    const node = byPastKey.get(layer.pastKey);
    return (
      node !== undefined &&
      node.inputs[4] === layer.pastValue &&
      node.outputs[1] === layer.presentKey &&
      node.outputs[2] === layer.presentValue
    );
  });
}

async function groupQueryAttentionNodes(onnxPath: string): Promise<Array<{ inputs: string[]; outputs: string[] }>> {
  const handle = await open(onnxPath, "r");
  try {
    const reader = new ProtoReader(handle, (await handle.stat()).size);
    const found: Array<{ inputs: string[]; outputs: string[] }> = [];
    await reader.fields(0, reader.size, async (field, s, e) => {
      if (field !== MODEL_GRAPH) return;
      await reader.fields(s, e, async (graphField, gs, ge) => {
        if (graphField !== GRAPH_NODE) return;
        const node = { inputs: [] as string[], outputs: [] as string[], opType: "", domain: "" };
        await reader.fields(gs, ge, async (f, fs, fe) => {
          if (f === NODE_INPUT) node.inputs.push(await reader.string(fs, fe));
          else if (f === NODE_OUTPUT) node.outputs.push(await reader.string(fs, fe));
          else if (f === NODE_OP_TYPE) node.opType = await reader.string(fs, fe);
          else if (f === NODE_DOMAIN) node.domain = await reader.string(fs, fe);
        });
        if (node.opType === "GroupQueryAttention" && node.domain === "com.microsoft") found.push(node);
      });
    });
    return found;
  } finally {
    await handle.close();
  }
}
