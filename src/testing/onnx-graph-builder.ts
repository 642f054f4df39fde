import { ONNX_FLOAT, ONNX_INT64, type AttributeMsg, type NodeMsg, type TensorMsg, type ValueInfoMsg } from "./onnx-proto-types.js";

/** An integer attribute. */
export const attrInt = (name: string, i: number): AttributeMsg => ({ name, type: 2, i });
/** A list-of-integers attribute. */
export const attrInts = (name: string, ints: number[]): AttributeMsg => ({ name, type: 7, ints });
/** A float attribute. */
export const attrFloat = (name: string, f: number): AttributeMsg => ({ name, type: 1, f });

/** Appends nodes with unique, readable names; each node's outputs are `<node name>/output_<k>` unless given. */
export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly constants: TensorMsg[] = [];

  op(opType: string, name: string, inputs: string[], attribute: AttributeMsg[] = [], output?: string): string {
    const out = output ?? `${name}/output_0`;
    this.nodes.push({ name, opType, input: inputs, output: [out], attribute });
    return out;
  }

  /** A node with several outputs (an empty name skips an optional output) or in another domain. */
  opMulti(opType: string, name: string, inputs: string[], outputs: string[], attribute: AttributeMsg[], domain?: string): string[] {
    this.nodes.push({ name, opType, input: inputs, output: outputs, attribute, ...(domain === undefined ? {} : { domain }) });
    return outputs;
  }

  /** A 1-D int64 constant, or a scalar when `scalar` is set. */
  int64(name: string, values: number[], scalar = false): string {
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.constants.push({ name, dims: scalar ? [] : [values.length], dataType: ONNX_INT64, rawData: leBytes(data) });
    return name;
  }

  float(name: string, values: number[], dims: number[]): string {
    this.constants.push({ name, dims, dataType: ONNX_FLOAT, rawData: leBytes(new Float32Array(values)) });
    return name;
  }
}

/** The `ValueInfoProto` of a graph input or output; a dimension is a fixed size or a symbolic name. */
export function tensorValueInfo(name: string, elemType: number, shape: Array<number | string>): ValueInfoMsg {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of a typed array (no copy on little-endian machines), as ONNX `raw_data` wants them. */
export function leBytes(view: Float32Array | BigInt64Array | Uint16Array): Uint8Array {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const out = new Uint8Array(bytes.length);
  const w = view.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let j = 0; j < w; j++) out[i + j] = bytes[i + w - 1 - j]!;
  return out;
}
