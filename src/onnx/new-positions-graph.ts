import { open, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, parse, relative, sep } from "node:path";
import type { KvNames } from "./in-place-kv.js";
import { ProtoReader } from "./proto-reader.js";
import { lengthDelimited, varintField } from "./proto-writer.js";

// Field numbers of onnx.proto3 (the ONNX IR).
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_NAME = 3;
const NODE_OP_TYPE = 4;
const VALUE_INFO_NAME = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM_TYPE = 1;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const DATA_LOCATION_EXTERNAL = 1;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const ONNX_INT64 = 7;

/** Inline tensors of at least this many bytes are referenced from the graph file instead of copied. */
const REFERENCE_MIN_BYTES = 1024;

/** Prefix of the outputs the rewritten graph gives in place of `present.*`. */
export const NEW_POSITIONS_PREFIX = "kvcdn.new_positions.";

/**
 * A graph to create the session from instead of the file: the same nodes and weights, with each `present.*` output
 * replaced by the positions the pass adds (docs/runtime.md#new-positions-graph).
 */
export interface NewPositionsGraph {
  /** The encoded ModelProto (small: inline tensors are references into the original file). */
  bytes: Buffer;
  /**
   * The folder onnxruntime resolves the rewrite's `external_data` locations against: the root of the file system
   * the graph file really is on, every location being a real path below it (see {@link buildNewPositionsGraph}).
   */
  folder: string;
  /** Per layer: the outputs holding the new positions of its present key and value, `[1, kv_heads, n, head_dim]`. */
  outputs: Array<{ key: string; value: string }>;
}

/**
 * Internal: rewrite a GroupQueryAttention graph (one that `hasInPlaceKv` accepts) so a pass returns only the positions
 * it adds. Each `present.*` graph output becomes an intermediate value, sliced at `[past_len, total)` along the
 * sequence axis (`total` = the attention mask's length, `past_len` = `total` − the number of input ids) into a new
 * output. onnxruntime then frees each layer's present as soon as the slice is taken, instead of holding all of them,
 * and onnxruntime-node's copy of the outputs is a few positions rather than the cache.
 *
 * The file is walked with positioned reads; tensor bytes are never read: an inline tensor (`raw_data`) of at least
 * 1 KiB becomes an `external_data` reference to its own byte range in the original file, so the session loads the
 * weights from there. Tensors already external keep their files.
 *
 * Locations are real paths (symbolic links resolved) relative to the file system's root, and `folder` is that root:
 * onnxruntime refuses, for a graph given as bytes, any location that resolves outside its folder, and a Hugging Face
 * hub snapshot links every file to a blob elsewhere. The original graph's own locations must stay inside its folder
 * before links are resolved, as onnxruntime requires of a graph file.
 * @throws {SyntaxError} when the file is not a ModelProto, lacks one of the named present outputs, or names external
 *   data outside its folder.
 */
export async function buildNewPositionsGraph(onnxPath: string, layers: readonly KvNames[]): Promise<NewPositionsGraph> {
  const handle = await open(onnxPath, "r");
  try {
    const reader = new ProtoReader(handle, (await handle.stat()).size);
    const locate = locator(onnxPath, await realpath(onnxPath));
    const model: Buffer[] = [];
    let result: { graph: Buffer; outputs: NewPositionsGraph["outputs"] } | undefined;
    await reader.everyField(0, reader.size, async (f) => {
      if (f.field !== MODEL_GRAPH || f.wire !== 2) {
        model.push(await reader.copy(f.tagStart, f.end));
        return;
      }
      if (result) throw new SyntaxError("the model has two graph fields");
      result = await rewriteGraph(reader, f.valueStart, f.end, locate, layers);
      model.push(lengthDelimited(MODEL_GRAPH, result.graph));
    });
    if (!result) throw new SyntaxError("the model has no graph");
    return { bytes: Buffer.concat(model), folder: locate.root, outputs: result.outputs };
  } finally {
    await handle.close();
  }
}

async function rewriteGraph(
  reader: ProtoReader,
  start: number,
  end: number,
  locate: Locator,
  layers: readonly KvNames[],
): Promise<{ graph: Buffer; outputs: NewPositionsGraph["outputs"] }> {
  const presents = new Set(layers.flatMap((l) => [l.presentKey, l.presentValue]));
  const presentTypes = new Map<string, number>();
  const parts: Buffer[] = [];
  await reader.everyField(start, end, async (f) => {
    if (f.wire === 2 && f.field === GRAPH_INITIALIZER) {
      parts.push(lengthDelimited(GRAPH_INITIALIZER, await referenceTensorBytes(reader, f.valueStart, f.end, locate)));
      return;
    }
    if (f.wire === 2 && f.field === GRAPH_OUTPUT) {
      const output = await readValueInfo(reader, f.valueStart, f.end);
      if (presents.has(output.name)) {
        if (output.elemType === undefined) throw new SyntaxError(`output ${output.name} has no tensor element type`);
        presentTypes.set(output.name, output.elemType);
        return;
      }
    }
    parts.push(await reader.copy(f.tagStart, f.end));
  });
  for (const name of presents) if (!presentTypes.has(name)) throw new SyntaxError(`the graph has no output ${name}`);

  const p = NEW_POSITIONS_PREFIX;
  const one = `${p}one`;
  const two = `${p}two`;
  const total = `${p}total`;
  const pastLen = `${p}past_len`;
  const shapeNodes = [
    node(`${p}ids_shape`, "Shape", ["input_ids"]),
    node(`${p}new_len`, "Gather", [`${p}ids_shape`, one]),
    node(`${p}mask_shape`, "Shape", ["attention_mask"]),
    node(total, "Gather", [`${p}mask_shape`, one]),
    node(pastLen, "Sub", [total, `${p}new_len`]),
  ];
  const addedRest = [lengthDelimited(GRAPH_INITIALIZER, int64Tensor(one, 1)), lengthDelimited(GRAPH_INITIALIZER, int64Tensor(two, 2))];
  const slices: Buffer[] = [];
  const outputs: NewPositionsGraph["outputs"] = [];
  for (const layer of layers) {
    const pair = { key: `${p}${layer.presentKey}`, value: `${p}${layer.presentValue}` };
    for (const [present, name] of [[layer.presentKey, pair.key], [layer.presentValue, pair.value]] as const) {
      slices.push(node(name, "Slice", [present, pastLen, total, two]));
      addedRest.push(lengthDelimited(GRAPH_OUTPUT, tensorValueInfo(name, presentTypes.get(present)!)));
    }
    outputs.push(pair);
  }
  // onnxruntime orders nodes depth-first from the graph's leaves, the last leaf in node order first. With the slices
  // last and the first layer's last of all, each layer's slice runs as soon as its present exists, and that present
  // is freed before the next layer allocates its own; in layer order, every present would live to the end of the run.
  const addedNodes = [...shapeNodes, ...slices.reverse()];
  return { graph: Buffer.concat([...parts, ...addedNodes, ...addedRest]), outputs };
}

/** Where the rewrite's tensors point: the graph file itself, and its external files, as locations below `root`. */
interface Locator {
  root: string;
  self: string;
  external(location: string): Promise<string>;
}

function locator(onnxPath: string, realOnnxPath: string): Locator {
  const root = parse(realOnnxPath).root;
  const below = (real: string): string => relative(root, real).split(sep).join("/");
  const folder = dirname(onnxPath);
  const resolved = new Map<string, Promise<string>>();
  return {
    root,
    self: below(realOnnxPath),
    external(location) {
      let found = resolved.get(location);
      if (!found) {
        const inside = relative(folder, join(folder, location));
        if (location === "" || isAbsolute(location) || inside === "" || inside.startsWith("..")) {
          throw new SyntaxError(`external data location ${JSON.stringify(location)} is outside the graph's folder`);
        }
        found = realpath(join(folder, location)).then(below);
        resolved.set(location, found);
      }
      return found;
    },
  };
}

/**
 * A TensorProto with its `raw_data` (when at least {@link REFERENCE_MIN_BYTES}) replaced by a reference to its bytes
 * in the graph file, or with its external file's location resolved.
 */
async function referenceTensorBytes(reader: ProtoReader, start: number, end: number, locate: Locator): Promise<Buffer> {
  const kept: Buffer[] = [];
  let raw: { offset: number; length: number } | undefined;
  await reader.everyField(start, end, async (f) => {
    if (f.field === TENSOR_RAW_DATA && f.wire === 2 && f.end - f.valueStart >= REFERENCE_MIN_BYTES) raw = { offset: f.valueStart, length: f.end - f.valueStart };
    else if (f.field === TENSOR_EXTERNAL_DATA && f.wire === 2) kept.push(lengthDelimited(TENSOR_EXTERNAL_DATA, await relocatedEntry(reader, f.valueStart, f.end, locate)));
    else kept.push(await reader.copy(f.tagStart, f.end));
  });
  if (!raw) return Buffer.concat(kept);
  // A tensor with inline bytes has no location field (or the default one); any such field goes, ours is added.
  const withoutLocation: Buffer[] = [];
  for (const field of kept) if (field[0] !== TENSOR_DATA_LOCATION * 8) withoutLocation.push(field);
  return Buffer.concat([
    ...withoutLocation,
    entry("location", locate.self),
    entry("offset", String(raw.offset)),
    entry("length", String(raw.length)),
    varintField(TENSOR_DATA_LOCATION, DATA_LOCATION_EXTERNAL),
  ]);
}

function entry(key: string, value: string): Buffer {
  return lengthDelimited(TENSOR_EXTERNAL_DATA, Buffer.concat([lengthDelimited(ENTRY_KEY, key), lengthDelimited(ENTRY_VALUE, value)]));
}

/** An `external_data` entry as it was, or with a `location` value resolved below the root. */
async function relocatedEntry(reader: ProtoReader, start: number, end: number, locate: Locator): Promise<Buffer> {
  let key = "";
  let value = "";
  await reader.fields(start, end, async (field, s, e) => {
    if (field === ENTRY_KEY) key = await reader.string(s, e);
    else if (field === ENTRY_VALUE) value = await reader.string(s, e);
  });
  if (key !== "location") return reader.copy(start, end);
  return Buffer.concat([lengthDelimited(ENTRY_KEY, key), lengthDelimited(ENTRY_VALUE, await locate.external(value))]);
}

async function readValueInfo(reader: ProtoReader, start: number, end: number): Promise<{ name: string; elemType?: number }> {
  const out: { name: string; elemType?: number } = { name: "" };
  await reader.fields(start, end, async (field, s, e) => {
    if (field === VALUE_INFO_NAME) out.name = await reader.string(s, e);
    else if (field === VALUE_INFO_TYPE) {
      await reader.fields(s, e, async (typeField, ts, te) => {
        if (typeField !== TYPE_TENSOR) return;
        await reader.everyField(ts, te, async (t) => {
          if (t.field === TENSOR_TYPE_ELEM_TYPE && t.wire === 0) out.elemType = await reader.varintAt(t.valueStart);
        });
      });
    }
  });
  return out;
}

function node(output: string, opType: string, inputs: string[]): Buffer {
  return lengthDelimited(
    GRAPH_NODE,
    Buffer.concat([
      ...inputs.map((i) => lengthDelimited(NODE_INPUT, i)),
      lengthDelimited(NODE_OUTPUT, output),
      lengthDelimited(NODE_NAME, output),
      lengthDelimited(NODE_OP_TYPE, opType),
    ]),
  );
}

function int64Tensor(name: string, value: number): Buffer {
  const raw = Buffer.alloc(8);
  raw.writeBigInt64LE(BigInt(value));
  return Buffer.concat([varintField(TENSOR_DIMS, 1), varintField(TENSOR_DATA_TYPE, ONNX_INT64), lengthDelimited(TENSOR_NAME, name), lengthDelimited(TENSOR_RAW_DATA, raw)]);
}

function tensorValueInfo(name: string, elemType: number): Buffer {
  const tensorType = varintField(TENSOR_TYPE_ELEM_TYPE, elemType);
  return Buffer.concat([lengthDelimited(VALUE_INFO_NAME, name), lengthDelimited(VALUE_INFO_TYPE, lengthDelimited(TYPE_TENSOR, tensorType))]);
}
