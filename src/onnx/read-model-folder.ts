import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ModelFolderError } from "../errors/compatibility-error.js";
import { architectureDigest } from "./architecture-digest.js";
import { externalDataFiles, type ExternalDataFile } from "./external-data-files.js";
import { parseJsonObject } from "./parse-json-object.js";
import { sha256File } from "../util/sha256-file.js";
import { fingerprintDtype, isModelDtype, ONNX_FILE_SUFFIX, onnxFileForDtype, type ModelDtype } from "./model-dtype.js";
import type { ModelFingerprint } from "./model-fingerprint.js";
import { weightsDigest } from "./weights-digest.js";

/** Everything kvcdn needs to know about a model folder, read from its files without loading any runtime. */
export interface ModelInfo {
  /** Absolute path of the model folder. */
  dir: string;
  /** The model id recorded as a cache's `model_name` (e.g. `Qwen/Qwen3-0.6B`). */
  modelId: string;
  /** The weight variant in use. */
  dtype: ModelDtype;
  /** Absolute path of the ONNX graph for `dtype`. */
  onnxPath: string;
  /** Absolute paths of the graph and of every external data file it names (all checked to exist). */
  weightFiles: string[];
  /** `config.json`, parsed. */
  config: Record<string, unknown>;
  /** `generation_config.json`, parsed, or `{}` when the folder has none. */
  generationConfig: Record<string, unknown>;
  /** `config.json` `architectures[0]`. */
  architecture: string;
  /** `num_hidden_layers`: how many k/v pairs a cache has. */
  numLayers: number;
  /** `num_key_value_heads`. */
  numKvHeads: number;
  /** `head_dim`. */
  headDim: number;
  /** `vocab_size`, when the config states it. */
  vocabSize: number | undefined;
  /** End-of-sequence ids: `generation_config.json` `eos_token_id`, else `config.json`'s. */
  eosTokenIds: number[];
  /** The identity written into and checked against `.kv` sidecars. */
  fingerprint: ModelFingerprint;
}

/** Options of {@link readModelFolder}. */
export interface ReadModelFolderOptions {
  /** The model folder (an onnx-community style export: config.json, tokenizer files, `onnx/model*.onnx`). */
  dir: string;
  /** Weight variant: picks `onnx/model{suffix}.onnx` as transformers.js does. @default "fp32" */
  dtype?: ModelDtype;
  /**
   * Model id for `model_name`. @default config.json `_name_or_path` when it is a hub id, the repo of a Hugging Face
   * cache snapshot folder (`models--org--name/snapshots/<commit>`), else the folder name
   */
  modelId?: string;
  /** Hugging Face commit of the files. @default the snapshot commit when `dir` is a hub cache snapshot, else null */
  revision?: string | null;
}

/** Hugging Face configs default `rope_theta` to 10000 when the field is absent. */
const DEFAULT_ROPE_THETA = 10000;
const REQUIRED_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json"] as const;
const SNAPSHOT_DIR = /(?:^|[\\/])models--([^\\/]+?)--([^\\/]+)[\\/]snapshots[\\/]([0-9a-f]{40})[\\/]?$/;

/**
 * Read and validate a model folder: config, generation config, tokenizer files and the ONNX file for `dtype`, and
 * compute its fingerprint. Loads no runtime.
 * @throws {ModelFolderError} listing every missing file, or naming the unusable config field.
 * @example const info = await readModelFolder({ dir: "/models/Qwen3-0.6B-ONNX", dtype: "q4f16" });
 */
export async function readModelFolder(options: ReadModelFolderOptions): Promise<ModelInfo> {
  const dir = resolve(options.dir);
  const dtype = options.dtype ?? "fp32";
  if (!isModelDtype(dtype)) {
    throw new ModelFolderError(
      `unknown dtype ${JSON.stringify(dtype)}; use one of ${Object.keys(ONNX_FILE_SUFFIX).join(", ")}`,
      dir,
    );
  }
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw new ModelFolderError(`model folder ${dir} does not exist or is not a folder`, dir);

  const onnxFile = onnxFileForDtype(dtype);
  const missing: string[] = [];
  for (const file of [...REQUIRED_FILES, onnxFile]) {
    if (!(await isFile(join(dir, file)))) missing.push(file);
  }
  if (missing.length > 0) {
    let hint = "";
    if (missing.includes(onnxFile)) {
      const variants = await availableDtypes(dir);
      hint =
        variants.length > 0
          ? `; this folder has the ${variants.join(", ")} variant(s): pass dtype (--dtype) ${variants[0]}`
          : "; download an onnx-community export (its onnx/ folder holds the graphs)";
    }
    if (missing.includes("tokenizer_config.json") || missing.includes("tokenizer.json")) {
      hint += "; copy tokenizer.json and tokenizer_config.json from the model's Hugging Face repo";
    }
    throw new ModelFolderError(`model folder ${dir} is missing ${missing.join(", ")}${hint}`, dir, missing);
  }

  const onnxPath = join(dir, onnxFile);
  const weightFiles = [onnxPath, ...(await checkExternalData(dir, onnxPath))];

  const configBytes = await readFile(join(dir, "config.json"));
  const config = parseJsonObject(configBytes, dir, "config.json");
  const generationBytes = await readFile(join(dir, "generation_config.json")).catch(() => undefined);
  const generationConfig = generationBytes ? parseJsonObject(generationBytes, dir, "generation_config.json") : {};
  const tokenizerSha256 = (await sha256File(join(dir, "tokenizer.json"))).sha256;

  const architectures = config["architectures"];
  const architecture =
    Array.isArray(architectures) && typeof architectures[0] === "string"
      ? architectures[0]
      : typeof config["model_type"] === "string"
        ? config["model_type"]
        : "unknown";
  const numLayers = positiveInt(config, "num_hidden_layers", dir);
  const numHeads = positiveInt(config, "num_attention_heads", dir);
  const numKvHeads = config["num_key_value_heads"] === undefined ? numHeads : positiveInt(config, "num_key_value_heads", dir);
  const headDim =
    config["head_dim"] === undefined || config["head_dim"] === null
      ? positiveInt(config, "hidden_size", dir) / numHeads
      : positiveInt(config, "head_dim", dir);
  if (!Number.isInteger(headDim)) {
    throw new ModelFolderError(`config.json in ${dir}: hidden_size is not a multiple of num_attention_heads`, dir);
  }
  const vocabSize = typeof config["vocab_size"] === "number" ? config["vocab_size"] : undefined;
  const eosTokenIds = idList(generationConfig["eos_token_id"] ?? config["eos_token_id"]);

  const snapshot = SNAPSHOT_DIR.exec(dir);
  const nameOrPath = config["_name_or_path"];
  const modelId =
    options.modelId ??
    (typeof nameOrPath === "string" && /^[\w.-]+\/[\w.-]+$/.test(nameOrPath) ? nameOrPath : undefined) ??
    (snapshot ? `${snapshot[1]}/${snapshot[2]}` : basename(dir));
  const revision = options.revision !== undefined ? options.revision : (snapshot?.[3] ?? null);

  const ropeParameters = config["rope_parameters"] as { rope_theta?: unknown } | undefined;
  const ropeTheta = config["rope_theta"] ?? ropeParameters?.rope_theta;

  return {
    dir,
    modelId,
    dtype,
    onnxPath,
    weightFiles,
    config,
    generationConfig,
    architecture,
    numLayers,
    numKvHeads,
    headDim,
    vocabSize,
    eosTokenIds,
    fingerprint: {
      architecture,
      num_kv_heads: numKvHeads,
      head_dim: headDim,
      rope_theta: typeof ropeTheta === "number" ? ropeTheta : DEFAULT_ROPE_THETA,
      model_dtype: fingerprintDtype(dtype),
      arch_sha256: architectureDigest(config),
      tokenizer_sha256: tokenizerSha256,
      weights_sha256: await weightsDigest(weightFiles),
      config_sha256: createHash("sha256").update(configBytes).digest("hex"),
      revision,
    },
  };
}

/**
 * Check that every external data file the graph names is there and long enough, before onnxruntime or
 * transformers.js open the graph (they fail with a raw message, or in transformers.js's case with an exception no
 * caller can catch). Returns the files' absolute paths.
 */
async function checkExternalData(dir: string, onnxPath: string): Promise<string[]> {
  let files: ExternalDataFile[];
  try {
    files = await externalDataFiles(onnxPath);
  } catch {
    // Not a protobuf kvcdn can walk: onnxruntime will say what is wrong with the graph when it opens it.
    return [];
  }
  const graphDir = dirname(onnxPath);
  const rel = (path: string): string => relative(dir, path).split("\\").join("/");
  const missing: string[] = [];
  const short: string[] = [];
  const paths: string[] = [];
  for (const { location, minBytes } of files) {
    const path = isAbsolute(location) ? location : join(graphDir, location);
    const size = (await stat(path).catch(() => undefined))?.size;
    if (size === undefined) missing.push(rel(path));
    else if (size < minBytes) short.push(`${rel(path)} (${size} bytes; the graph reads up to byte ${minBytes})`);
    paths.push(path);
  }
  const graph = rel(onnxPath);
  if (missing.length > 0) {
    throw new ModelFolderError(
      `model folder ${dir} is missing ${missing.join(", ")}: the external data (weights) ${graph} names; ` +
        `download ${missing.length === 1 ? "it" : "them"} with the graph, from the same revision`,
      dir,
      missing,
    );
  }
  if (short.length > 0) {
    throw new ModelFolderError(
      `model folder ${dir}: external data of ${graph} is truncated: ${short.join(", ")}; download it again`,
      dir,
    );
  }
  return paths;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

async function availableDtypes(dir: string): Promise<ModelDtype[]> {
  const files = new Set(await readdir(join(dir, "onnx")).catch(() => [] as string[]));
  return (Object.keys(ONNX_FILE_SUFFIX) as ModelDtype[]).filter((d) => files.has(basename(onnxFileForDtype(d))));
}

function positiveInt(config: Record<string, unknown>, key: string, dir: string): number {
  const value = config[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ModelFolderError(
      `config.json in ${dir}: ${key} is ${JSON.stringify(value)}, expected a positive integer ` +
        "(kvcdn runs decoder-only exports with past_key_values.{i}.key|value inputs)",
      dir,
    );
  }
  return value;
}

function idList(value: unknown): number[] {
  if (typeof value === "number" && Number.isInteger(value)) return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === "number" && Number.isInteger(v));
  return [];
}
