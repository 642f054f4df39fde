import { open } from "node:fs/promises";
import { ProtoReader } from "./proto-reader.js";

/** A file a graph's tensors keep their bytes in, and how far into it they reach. */
export interface ExternalDataFile {
  /** The `location` as the graph writes it, relative to the graph's folder. */
  location: string;
  /** The largest `offset + length` any tensor names in it (0 when no tensor states a length). */
  minBytes: number;
}

// Field numbers of onnx.proto3 (the ONNX IR), the only messages walked.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_T = 5;
const ATTRIBUTE_G = 6;
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

/**
 * List the external data files an ONNX graph's tensors name (`external_data` `location` entries of initializers,
 * sparse initializers and `Constant`-style attribute tensors, subgraphs included), without loading the graph: the
 * protobuf is walked field by field with positioned reads, and tensor bytes (`raw_data`, often hundreds of MB when
 * inline) are skipped, never read. A graph whose weights are inline names none.
 * @throws {SyntaxError} when the file is not a protobuf message (the caller wraps it).
 * @example await externalDataFiles("/models/qwen3/onnx/model_fp16.onnx") // [{ location: "model_fp16.onnx_data", minBytes: 1192230912 }]
 */
export async function externalDataFiles(onnxPath: string): Promise<ExternalDataFile[]> {
  const handle = await open(onnxPath, "r");
  try {
    const reader = new ProtoReader(handle, (await handle.stat()).size);
    const found = new Map<string, number>();
    const tensor = async (start: number, end: number): Promise<void> => {
      const entries: Array<Record<string, string>> = [];
      await reader.fields(start, end, async (field, s, e) => {
        if (field !== TENSOR_EXTERNAL_DATA) return;
        const entry: Record<string, string> = {};
        let key = "";
        let value = "";
        await reader.fields(s, e, async (f, fs, fe) => {
          if (f === ENTRY_KEY) key = await reader.string(fs, fe);
          else if (f === ENTRY_VALUE) value = await reader.string(fs, fe);
        });
        entry[key] = value;
        entries.push(entry);
      });
      if (entries.length === 0) return;
      const info = Object.assign({}, ...entries) as Record<string, string>;
      const location = info["location"];
      if (location === undefined) return;
      const reach = Number(info["offset"] ?? 0) + Number(info["length"] ?? 0);
      found.set(location, Math.max(found.get(location) ?? 0, info["length"] === undefined || !Number.isFinite(reach) ? 0 : reach));
    };
    const graph = async (start: number, end: number): Promise<void> => {
      await reader.fields(start, end, async (field, s, e) => {
        if (field === GRAPH_INITIALIZER) await tensor(s, e);
        else if (field === GRAPH_SPARSE_INITIALIZER) {
          await reader.fields(s, e, async (f, fs, fe) => {
            if (f === SPARSE_VALUES || f === SPARSE_INDICES) await tensor(fs, fe);
          });
        } else if (field === GRAPH_NODE) {
          await reader.fields(s, e, async (f, fs, fe) => {
            if (f !== NODE_ATTRIBUTE) return;
            await reader.fields(fs, fe, async (af, as, ae) => {
              if (af === ATTRIBUTE_T || af === ATTRIBUTE_TENSORS) await tensor(as, ae);
              else if (af === ATTRIBUTE_G || af === ATTRIBUTE_GRAPHS) await graph(as, ae);
            });
          });
        }
      });
    };
    await reader.fields(0, reader.size, async (field, s, e) => {
      if (field === MODEL_GRAPH) await graph(s, e);
    });
    return [...found].map(([location, minBytes]) => ({ location, minBytes }));
  } finally {
    await handle.close();
  }
}
