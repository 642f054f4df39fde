import { InvalidArgumentError, Option, type Command } from "commander";
import { createFixtureModel } from "../../testing/create-fixture-model.js";
import { BUILDER_VARIANTS, ROTARY_MODES, type BuilderVariant, type FixtureLayout, type RotaryMode } from "../../testing/builder-variant.js";
import { FIXTURE_SHAPES, type FixtureShapeName } from "../../testing/fixture-shapes.js";
import { cliRunOf, stderrOf, stdoutOf } from "../cli-io.js";

const parseSeed = (value: string): number => {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError("the seed must be a non-negative integer");
  }
  return Number(value);
};

const parseVariants = (value: string): BuilderVariant[] => {
  const list = value.split(",").map((v) => v.trim());
  const unknown = list.filter((v) => !BUILDER_VARIANTS.includes(v as BuilderVariant));
  if (list.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown variant ${unknown.join(", ") || "(none)"}; use ${BUILDER_VARIANTS.join(", ")}, comma-separated for several`);
  }
  return list as BuilderVariant[];
};

/**
 * `kvcdn fixture-model DIR [--shape tiny|qwen3-0.6b] [--seed N] [--external-data] [--layout plain|builder]
 * [--variant fp32,fp16,q4f16,q4] [--rotary separate|fused] [--overwrite] [--json]`: write a random-weight Qwen3 model
 * folder (config, real tokenizer, model.safetensors, and the ONNX graph: plain `onnx/model.onnx`, or builder-layout
 * `onnx/model{_fp16,_q4f16,_q4}.onnx` per variant, see docs/builder-layout.md).
 * `--json` prints `{"dir", "shape", "seed", "external_data", "layout", "variants", "rotary", "config", "files",
 * "seconds"}` (`config` holds the config.json dimensions, `files` each file's size in bytes).
 */
export function registerFixtureModelCommand(program: Command): void {
  program
    .command("fixture-model")
    .description("generate a random-weight Qwen3 model folder (exact Qwen3 math) for tests and benchmarks")
    .argument("<dir>", "folder to create (must not exist or be empty)")
    .addOption(new Option("--shape <shape>", "model dimensions").choices(Object.keys(FIXTURE_SHAPES)).default("tiny"))
    .option("--seed <n>", "seed of the random weights (same seed, same bytes)", parseSeed, 0)
    .option("--external-data", "plain layout: always put the ONNX weights in onnx/model.onnx_data (default: only above 1.5 GB)")
    .addOption(
      new Option("--layout <layout>", "graph layout: plain standard ops, or builder (onnxruntime-genai model builder, contrib ops)")
        .choices(["plain", "builder"])
        .default("plain"),
    )
    .option("--variant <list>", `builder layout: weight variants to write (${BUILDER_VARIANTS.join(", ")}, comma-separated; default q4f16)`, parseVariants)
    .addOption(
      new Option("--rotary <mode>", "builder layout: separate RotaryEmbedding with position_ids, or fused into GroupQueryAttention").choices([
        ...ROTARY_MODES,
      ]),
    )
    .option("--overwrite", "replace a non-empty folder")
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const err = stderrOf(cliRunOf(cmd).io);
      const opts = cmd.optsWithGlobals<{
        shape: FixtureShapeName;
        seed: number;
        externalData?: boolean;
        layout: FixtureLayout;
        variant?: BuilderVariant[];
        rotary?: RotaryMode;
        overwrite?: boolean;
        json?: boolean;
        quiet?: boolean;
      }>();
      const showProgress = opts.json !== true && opts.quiet !== true && (err as { isTTY?: boolean }).isTTY === true;
      if (opts.layout !== "builder" && (opts.variant !== undefined || opts.rotary !== undefined)) {
        throw new InvalidArgumentError("--variant and --rotary need --layout builder");
      }
      if (opts.layout === "builder" && opts.externalData === true) {
        throw new InvalidArgumentError("--external-data applies to the plain layout (builder fp32/fp16 always use onnx_data, q4 never)");
      }
      const started = performance.now();
      const model = await createFixtureModel({
        dir,
        shape: opts.shape,
        seed: opts.seed,
        ...(opts.layout === "builder"
          ? { layout: "builder" as const, ...(opts.variant ? { variants: opts.variant } : {}), ...(opts.rotary ? { rotary: opts.rotary } : {}) }
          : { externalData: opts.externalData === true ? true : ("auto" as const) }),
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
          layout: model.layout,
          variants: model.variants,
          rotary: model.rotary ?? null,
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
        ...(model.layout === "builder" ? [`layout:  builder (${model.variants.join(", ")}; ${model.rotary} rotary)`] : []),
        ...Object.entries(model.files).map(([name, size]) => `  ${name.padEnd(24)} ${size} bytes`),
        `time:    ${seconds} s`,
      ];
      out.write(`${lines.join("\n")}\n`);
    });
}
