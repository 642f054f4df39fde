// Test helper: a float16-I/O variant of the fp32 fixture, shaped like the fp16 / q4f16 onnx-community exports
// (past_key_values.* inputs and present.* / logits outputs in float16, weights unchanged). It wraps the fp32 graph
// with Cast nodes, so the runtime must read element types from the session metadata instead of assuming float32.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import onnxProto, { type onnx as Onnx } from "onnx-proto";

const FLOAT = 1;
const FLOAT16 = 10;
const COPIED = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"];

/** Write `<dest>/onnx/model_fp16.onnx` (plus the config and tokenizer files) from the fp32 fixture in `source`. */
export async function makeFloat16IoVariant(source: string, dest: string): Promise<string> {
  const { onnx } = onnxProto as unknown as { onnx: typeof Onnx };
  await mkdir(join(dest, "onnx"), { recursive: true });
  for (const file of COPIED) await copyFile(join(source, file), join(dest, file));
  const model = onnx.ModelProto.decode(await readFile(join(source, "onnx/model.onnx")));
  const graph = model.graph!;
  const castIn: Onnx.INodeProto[] = [];
  const castOut: Onnx.INodeProto[] = [];
  const cast = (from: string, to: string, type: number): Onnx.INodeProto => ({
    name: `cast_${to}`,
    opType: "Cast",
    input: [from],
    output: [to],
    attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: type }],
  });
  for (const input of graph.input!) {
    if (!input.name!.startsWith("past_key_values.")) continue;
    const inner = `${input.name}__f32`;
    for (const node of graph.node!) node.input = node.input!.map((n) => (n === input.name ? inner : n));
    castIn.push(cast(input.name!, inner, FLOAT));
    input.type!.tensorType!.elemType = FLOAT16;
  }
  for (const output of graph.output!) {
    if (!output.name!.startsWith("present.") && output.name !== "logits") continue;
    const inner = `${output.name}__f32`;
    // Rename inside the graph (producer and any consumer, e.g. attention reading present.* keys).
    for (const node of graph.node!) {
      node.output = node.output!.map((n) => (n === output.name ? inner : n));
      node.input = node.input!.map((n) => (n === output.name ? inner : n));
    }
    castOut.push(cast(inner, output.name!, FLOAT16));
    output.type!.tensorType!.elemType = FLOAT16;
  }
  graph.node = [...castIn, ...graph.node!, ...castOut] as Onnx.NodeProto[];
  await writeFile(join(dest, "onnx/model_fp16.onnx"), onnx.ModelProto.encode(model).finish());
  return dest;
}
