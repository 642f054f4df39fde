import { InvalidArgumentError, Option, type Command } from "commander";
import { createFixtureModel } from "../../testing/create-fixture-model.js";
import { FIXTURE_SHAPES, type FixtureShapeName } from "../../testing/fixture-shapes.js";
import { cliRunOf, stderrOf, stdoutOf } from "../cli-io.js";

const parseSeed = (value: string): number => {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError("the seed must be a non-negative integer");
  }
  return Number(value);
};

/**
 * `kvcdn fixture-model DIR [--shape tiny|qwen3-0.6b] [--seed N] [--external-data] [--overwrite] [--json]`: write a
 * random-weight Qwen3 model folder (config, real tokenizer, model.safetensors, onnx/model.onnx).
 * `--json` prints `{"dir", "shape", "seed", "external_data", "config", "files", "seconds"}` (`config` holds the
 * config.json dimensions, `files` each file's size in bytes).
 */
export function registerFixtureModelCommand(program: Command): void {
  program
    .command("fixture-model")
    .description("generate a random-weight Qwen3 model folder (exact Qwen3 math) for tests and benchmarks")
    .argument("<dir>", "folder to create (must not exist or be empty)")
    .addOption(new Option("--shape <shape>", "model dimensions").choices(Object.keys(FIXTURE_SHAPES)).default("tiny"))
    .option("--seed <n>", "seed of the random weights (same seed, same bytes)", parseSeed, 0)
    .option("--external-data", "always put the ONNX weights in onnx/model.onnx_data (default: only above 1.5 GB)")
    .option("--overwrite", "replace a non-empty folder")
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const err = stderrOf(cliRunOf(cmd).io);
      const opts = cmd.optsWithGlobals<{
        shape: FixtureShapeName;
        seed: number;
        externalData?: boolean;
        overwrite?: boolean;
        json?: boolean;
        quiet?: boolean;
      }>();
      const showProgress = opts.json !== true && opts.quiet !== true && (err as { isTTY?: boolean }).isTTY === true;
      const started = performance.now();
      const model = await createFixtureModel({
        dir,
        shape: opts.shape,
        seed: opts.seed,
        externalData: opts.externalData === true ? true : "auto",
        overwrite: opts.overwrite === true,
        ...(showProgress
          ? {
              onProgress: (e) =>
                err.write(`\rwriting weights ${Math.floor((100 * e.bytes) / e.totalBytes)}% (${e.done}/${e.total})`),
            }
          : {}),
      });
      if (showProgress) err.write("\n");
      const seconds = Math.round((performance.now() - started) / 10) / 100;
      if (opts.json === true) {
        const result = {
          dir: model.dir,
          shape: model.shape,
          seed: model.seed,
          external_data: model.externalData,
          config: model.dims,
          files: model.files,
          seconds,
        };
        out.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      if (opts.quiet === true) {
        out.write(`${model.dir}\n`);
        return;
      }
      const d = model.dims;
      const lines = [
        `model:   ${model.dir}`,
        `shape:   ${model.shape} (seed ${model.seed}): ${d.num_hidden_layers} layers, hidden ${d.hidden_size}, ` +
          `${d.num_attention_heads}/${d.num_key_value_heads} heads, head_dim ${d.head_dim}, vocab ${d.vocab_size}`,
        ...Object.entries(model.files).map(([name, size]) => `  ${name.padEnd(24)} ${size} bytes`),
        `time:    ${seconds} s`,
      ];
      out.write(`${lines.join("\n")}\n`);
    });
}
