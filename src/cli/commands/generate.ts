import { mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { LocalFileError } from "../../errors/local-file-error.js";
import {
  FINGERPRINT_FIELDS,
  isModelDtype,
  loadModel,
  ONNX_FILE_SUFFIX,
  type CompatibilityOptions,
  type FingerprintField,
  type ModelDtype,
  type OnnxModel,
} from "../../onnx/index.js";
import { mallocTuning } from "../../onnx/malloc-tunables.js";
import { produceCache } from "../../onnx/produce-cache.js";
import { cliRunOf, stderrOf, stdoutOf, type TextSink } from "../cli-io.js";

/** Flags every model-running command shares. */
export interface ModelFlags {
  model: string;
  dtype?: ModelDtype;
  modelId?: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/** Add `--model DIR`, `--dtype` and `--model-id` to a command. */
export function addModelOptions(command: Command): Command {
  return command
    .requiredOption("--model <dir>", "model folder (onnx-community layout: config.json, tokenizer files, onnx/model*.onnx)")
    .option("--dtype <dtype>", `weight variant: ${Object.keys(ONNX_FILE_SUFFIX).join(", ")} (default fp32)`, parseDtype)
    .option("--model-id <id>", "model id recorded as model_name (default: config _name_or_path or the folder name)");
}

function parseDtype(value: string): ModelDtype {
  if (!isModelDtype(value)) throw new InvalidArgumentError(`use one of ${Object.keys(ONNX_FILE_SUFFIX).join(", ")}`);
  return value;
}

/** The flags of a command that loads caches into a model. */
export interface CompatibilityFlags {
  ignoreFingerprint?: FingerprintField[];
  debug?: boolean;
}

/** Add `--ignore-fingerprint a,b` to a command that checks caches against a model. */
export function addCompatibilityOptions(command: Command): Command {
  return command.option(
    "--ignore-fingerprint <fields>",
    `fingerprint fields not to compare, comma-separated (${FINGERPRINT_FIELDS.join(", ")})`,
    parseFingerprintFields,
  );
}

/** `ignoreFields` from `--ignore-fingerprint`, and what could not be checked as a `--debug` line. */
export function compatibilityFromFlags(flags: CompatibilityFlags): CompatibilityOptions {
  return {
    ...(flags.ignoreFingerprint ? { ignoreFields: flags.ignoreFingerprint } : {}),
    ...(flags.debug === true ? { onWarning: (m: string) => void process.stderr.write(`kvcdn: debug: ${m}\n`) } : {}),
  };
}

function parseFingerprintFields(value: string): FingerprintField[] {
  const fields = value.split(",").map((f) => f.trim().replace(/^fingerprint\./, "")).filter((f) => f !== "");
  const known = new Set<string>(FINGERPRINT_FIELDS);
  const unknown = fields.filter((f) => !known.has(f));
  if (fields.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown fingerprint field ${unknown.join(", ") || "(none)"}; use ${FINGERPRINT_FIELDS.join(", ")}`);
  }
  return fields as FingerprintField[];
}

/** Parse a positive integer flag. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

/**
 * Load the model a command's flags name (with `--debug`, say how the process's C allocator is set and whether the
 * graph runs as kvcdn's new-positions rewrite).
 */
export async function loadModelFromFlags(flags: ModelFlags, err: TextSink): Promise<OnnxModel> {
  if (flags.debug === true) err.write(`kvcdn: debug: C allocator: ${mallocTuning()} (docs/runtime.md#memory-allocator)\n`);
  const model = await loadModel({
    dir: flags.model,
    ...(flags.dtype ? { dtype: flags.dtype } : {}),
    ...(flags.modelId ? { modelId: flags.modelId } : {}),
  });
  if (flags.debug === true) {
    const how = model.io.newPositionsOnly ? "its new-positions rewrite" : "the file as it is";
    err.write(`kvcdn: debug: graph ${model.onnxPath} runs as ${how} (docs/runtime.md#new-positions-graph)\n`);
  }
  return model;
}

/** Text from `--X` or `--X-file` (read verbatim, trailing newline included, as kvcdn-cli does). */
export async function textFlag(inline: string | undefined, file: string | undefined, name: string): Promise<string | undefined> {
  if (inline !== undefined && file !== undefined) throw new InvalidArgumentError(`give --${name} or --${name}-file, not both`);
  if (file === undefined) return inline;
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LocalFileError(`cannot read --${name}-file ${file}: ${code ?? String(e)}`, file, { cause: e, ...(code ? { code } : {}) });
  }
}

/** Print one JSON document on stdout. */
export function printJson(out: TextSink, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * `kvcdn generate --model DIR (--context-file F | --context TEXT) -o OUT.kv [--json]`: prefill a context once and
 * write its KV cache with a sidecar (tokens, prompt, model id, fingerprint, sha256). `--json` prints the sidecar.
 */
export function registerGenerateCommand(program: Command): void {
  addModelOptions(
    program
      .command("generate")
      .description("prefill a context with an ONNX model and write its KV cache (.kv + .kv.json)"),
  )
    .option("--context <text>", "context text (tokenized with special tokens, no chat template)")
    .option("--context-file <file>", "read the context from a file, verbatim")
    .requiredOption("-o, --output <file>", "output .kv path (.kv is appended when missing)")
    .action(async (_opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const err = stderrOf(cliRunOf(cmd).io);
      const flags = cmd.optsWithGlobals<ModelFlags & { context?: string; contextFile?: string; output: string }>();
      const context = await textFlag(flags.context, flags.contextFile, "context");
      if (context === undefined) throw new InvalidArgumentError("give the context with --context or --context-file");
      const model = await loadModelFromFlags(flags, err);
      try {
        await mkdir(dirname(resolve(flags.output)), { recursive: true });
        const { metadata, written, prefillMs } = await produceCache({
          model,
          context,
          output: flags.output,
          onWarning: (message) => {
            if (flags.quiet !== true && flags.json !== true) err.write(`warning: ${message}\n`);
          },
        });
        if (flags.json === true) return printJson(out, metadata);
        out.write(
          `wrote ${written!.path} (${metadata.num_tokens} tokens, ${metadata.num_layers} layers, ${metadata.dtype}, ` +
            `${written!.nbytes} bytes, sha256 ${written!.sha256}) in ${prefillMs.toFixed(1)} ms of prefill\n`,
        );
      } finally {
        await model.dispose();
      }
    });
}
