import { createReadStream } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import { basename, join } from "node:path";
import { buildBuilderGraph } from "./build-builder-graph.js";
import { usesExternalData, variantOnnxFile, type BuilderVariant, type RotaryMode } from "./builder-variant.js";
import { builderVariantTensors, rotaryCacheTensors, type VariantTensor } from "./builder-variant-weights.js";
import { FixtureModelError } from "./fixture-model-error.js";
import { lengthDelimitedHeader } from "../onnx/proto-writer.js";
import type { Qwen3Dims } from "./fixture-shapes.js";
import type { FixtureWeightSpec } from "./fixture-weights.js";
import type { OnnxEncoders } from "../peers/load-fixture-peers.js";
import type { TensorMsg } from "./onnx-proto-types.js";
import { writeAt, writeBytes } from "./write-at.js";

/** protobuf (and so onnxruntime) cannot parse a message of 2 GiB or more: the limit of a single-file 4-bit graph. */
const MAX_PROTOBUF_BYTES = 2 ** 31 - 1;
/** Each tensor in a `model*.onnx_data` file starts at a multiple of this, so ONNX Runtime may map it. */
const EXTERNAL_DATA_ALIGNMENT = 4096;
/** Protobuf field tags (field number << 3 | wire type 2): GraphProto.initializer, ModelProto.graph, TensorProto.raw_data. */
const GRAPH_INITIALIZER = 5;
const MODEL_GRAPH = 7;
const TENSOR_RAW_DATA = 9;

interface VariantSink {
  variant: BuilderVariant;
  /** fp32 / fp16: `model*.onnx_data`, with the external-data entries of every tensor written to it. */
  data?: { handle: FileHandle; file: string; offset: number; tensors: TensorMsg[] } | undefined;
  /** q4 / q4f16: the encoded `GraphProto.initializer` fields, spooled to a side file and spliced into the graph at the end. */
  body?: { handle: FileHandle; path: string; length: number } | undefined;
}

/**
 * Writes the builder-layout ONNX files of several variants while the fixture's weights are generated one at a time:
 * fp32 / fp16 tensors go straight to `model*.onnx_data`; 4-bit variants (single-file, like onnx-community's
 * `model_q4f16.onnx`) spool encoded initializers to a side file, then the graph is written as protobuf pieces
 * (model header, graph header, initializers) so no whole-model buffer is ever held: peak memory stays near the largest
 * tensor (the embedding) rather than the model size.
 */
export class BuilderVariantsWriter {
  private constructor(
    private readonly folder: string,
    private readonly dims: Qwen3Dims,
    private readonly rotary: RotaryMode,
    private readonly encoders: OnnxEncoders,
    private readonly sinks: VariantSink[],
  ) {}

  /** Open the data or side files of `variants` under `folder` (the model folder being written). */
  static async open(params: {
    folder: string;
    dims: Qwen3Dims;
    variants: readonly BuilderVariant[];
    rotary: RotaryMode;
    encoders: OnnxEncoders;
  }): Promise<BuilderVariantsWriter> {
    const sinks: VariantSink[] = [];
    const writer = new BuilderVariantsWriter(params.folder, params.dims, params.rotary, params.encoders, sinks);
    try {
      for (const variant of params.variants) {
        const onnxPath = join(params.folder, variantOnnxFile(variant));
        if (usesExternalData(variant)) {
          const file = `${basename(onnxPath)}_data`;
          sinks.push({ variant, data: { handle: await open(join(params.folder, "onnx", file), "wx"), file, offset: 0, tensors: [] } });
        } else {
          const path = `${onnxPath}.initializers.tmp`;
          sinks.push({ variant, body: { handle: await open(path, "wx"), path, length: 0 } });
        }
      }
    } catch (e) {
      await writer.close();
      throw e;
    }
    return writer;
  }

  /** Add one Hugging Face weight (values in Hugging Face layout) to every variant. */
  async add(spec: FixtureWeightSpec, values: Float32Array): Promise<void> {
    for (const sink of this.sinks) {
      for (const t of builderVariantTensors(spec, values, sink.variant)) await this.put(sink, t);
    }
  }

  /** Write the rotary tables and each variant's graph; closes every file. */
  async finish(docString: string): Promise<void> {
    for (const sink of this.sinks) {
      for (const t of rotaryCacheTensors(this.dims, sink.variant)) await this.put(sink, t);
      const onnxPath = join(this.folder, variantOnnxFile(sink.variant));
      const model = buildBuilderGraph({
        dims: this.dims,
        variant: sink.variant,
        rotary: this.rotary,
        weights: sink.data?.tensors ?? [],
        docString: `${docString}, builder layout ${sink.variant}, ${this.rotary} rotary`,
      });
      if (sink.data !== undefined) {
        await sink.data.handle.sync();
        await sink.data.handle.close();
        sink.data = undefined;
        await writeBytes(onnxPath, this.encoders.ModelProto.encode(model).finish());
        continue;
      }
      const body = sink.body!;
      const { graph, ...header } = model;
      const modelHead = this.encoders.ModelProto.encode(header).finish();
      const graphHead = this.encoders.GraphProto.encode(graph).finish();
      if (graphHead.length + body.length > MAX_PROTOBUF_BYTES) {
        throw new FixtureModelError(
          `${variantOnnxFile(sink.variant)} would be ${graphHead.length + body.length} bytes, over protobuf's 2 GiB for a single-file graph; use smaller dimensions or the fp16 variant`,
          { code: "bad_config" },
        );
      }
      const out = await open(onnxPath, "wx");
      try {
        let at = 0;
        for (const piece of [modelHead, lengthDelimitedHeader(MODEL_GRAPH, graphHead.length + body.length), graphHead]) {
          await writeAt(out, piece, at);
          at += piece.length;
        }
        await body.handle.close();
        for await (const chunk of createReadStream(body.path, { highWaterMark: 1 << 24 })) {
          await writeAt(out, chunk as Buffer, at);
          at += (chunk as Buffer).length;
        }
        await out.sync();
      } finally {
        await out.close();
      }
      await rm(body.path, { force: true });
      sink.body = undefined;
    }
  }

  /** Close every open file (after a failure; the caller removes the folder). */
  async close(): Promise<void> {
    for (const sink of this.sinks) {
      await sink.data?.handle.close().catch(() => undefined);
      await sink.body?.handle.close().catch(() => undefined);
    }
  }

  private async put(sink: VariantSink, t: VariantTensor): Promise<void> {
    if (sink.data !== undefined) {
      const d = sink.data;
      const start = Math.ceil(d.offset / EXTERNAL_DATA_ALIGNMENT) * EXTERNAL_DATA_ALIGNMENT;
      if (start > d.offset) await writeAt(d.handle, new Uint8Array(start - d.offset), d.offset);
      await writeAt(d.handle, t.bytes, start);
      d.offset = start + t.bytes.byteLength;
      d.tensors.push({
        name: t.name,
        dims: t.dims,
        dataType: t.dataType,
        dataLocation: 1,
        externalData: [
          { key: "location", value: d.file },
          { key: "offset", value: String(start) },
          { key: "length", value: String(t.bytes.byteLength) },
        ],
      });
      return;
    }
    // A TensorProto is its small header fields followed by raw_data; writing the header and the bytes separately
    // avoids copying a several-hundred-MB tensor into one protobuf buffer.
    const b = sink.body!;
    const head = this.encoders.TensorProto.encode({ name: t.name, dims: t.dims, dataType: t.dataType }).finish();
    const raw = lengthDelimitedHeader(TENSOR_RAW_DATA, t.bytes.byteLength);
    const pieces = [lengthDelimitedHeader(GRAPH_INITIALIZER, head.length + raw.length + t.bytes.byteLength), head, raw, t.bytes];
    for (const piece of pieces) {
      await writeAt(b.handle, piece, b.length);
      b.length += piece.byteLength;
    }
  }
}
