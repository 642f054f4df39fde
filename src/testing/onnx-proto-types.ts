/**
 * The subset of ONNX protobuf messages the fixture builder writes, as plain objects in onnx-proto's (protobufjs)
 * camelCase field names. Kept local so the public types of `kvcdn/testing` never depend on the optional `onnx-proto`.
 */

/** `TensorProto.DataType` values used here. */
export const ONNX_FLOAT = 1;
/** `TensorProto.DataType.INT64`. */
export const ONNX_INT64 = 7;
/** `TensorProto.DataType.BOOL`. */
export const ONNX_BOOL = 9;
/** `TensorProto.DataType.UINT8`. */
export const ONNX_UINT8 = 2;
/** `TensorProto.DataType.INT32`. */
export const ONNX_INT32 = 6;
/** `TensorProto.DataType.FLOAT16`. */
export const ONNX_FLOAT16 = 10;

/** `AttributeProto` (only the fields used). */
export interface AttributeMsg {
  name: string;
  type: number;
  f?: number;
  i?: number;
  ints?: number[];
}

/** `NodeProto`. */
export interface NodeMsg {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: AttributeMsg[];
  /** Operator set domain, e.g. `com.microsoft`; absent for standard ops. */
  domain?: string;
}

/** `TensorProto`, inline (`rawData`) or external (`dataLocation` 1 + `externalData`). */
export interface TensorMsg {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  dataLocation?: number;
  externalData?: Array<{ key: string; value: string }>;
}

/** `ValueInfoProto` of a tensor; a dimension is a fixed size or a symbolic name. */
export interface ValueInfoMsg {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: Array<{ dimValue: number } | { dimParam: string }> } } };
}

/** `ModelProto`. */
export interface ModelMsg {
  irVersion: number;
  opsetImport: Array<{ domain: string; version: number }>;
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: {
    name: string;
    node: NodeMsg[];
    initializer: TensorMsg[];
    input: ValueInfoMsg[];
    output: ValueInfoMsg[];
  };
}
