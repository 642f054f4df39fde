import { InvalidArgumentError, type Command } from "commander";
import { resumeFromCache } from "../../onnx/resume-from-cache.js";
import { resumeFromPrefix } from "../../onnx/resume-from-prefix.js";
import type { SamplingOptions } from "../../onnx/sample-token.js";
import {
  addCompatibilityOptions,
  addModelOptions,
  compatibilityFromFlags,
  loadModelFromFlags,
  parsePositiveInt,
  printJson,
  textFlag,
  type CompatibilityFlags,
  type ModelFlags,
} from "./generate.js";
import { kvSourceFlag } from "../kv-source-flag.js";
import { cliRunOf, stderrOf, stdoutOf } from "../cli-io.js";

interface ResumeFlags extends ModelFlags, CompatibilityFlags {
  kv: string;
  question?: string;
  questionFile?: string;
  prompt?: string;
  promptFile?: string;
  maxNewTokens: number;
  ignoreEos?: boolean;
  stop?: string[];
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

function parseNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError("expected a number");
  return n;
}

/**
 * `kvcdn resume --model DIR --kv FILE|REF --question Q [-n N] [--json]`: continue from a cache without re-running its
 * context. Greedy by default (stops at EOS; `--ignore-eos` is kvcdn-cli's exact-n continuation); `--temperature`,
 * `--top-k`, `--top-p`, `--seed` sample. `--prompt` reuses the longest shared prefix of a whole new prompt instead.
 * `--json` prints `{ "tokens", "text", "finish_reason" }`; otherwise the text streams to stdout.
 */
export function registerResumeCommand(program: Command): void {
  addCompatibilityOptions(addModelOptions(program.command("resume").description("generate from a .kv cache, continuing after its context")))
    .requiredOption("--kv <file|ref>", ".kv cache made by this model, or a reference (id, CDN URL, org/project/id) fetched through the cache directory")
    .option("--question <text>", "text appended after the cached context (no special tokens)")
    .option("--question-file <file>", "read the question from a file, verbatim")
    .option("--prompt <text>", "a whole new prompt: reuse the cache's longest shared token prefix, prefill the rest")
    .option("--prompt-file <file>", "read the whole prompt from a file, verbatim")
    .option("-n, --max-new-tokens <n>", "tokens to generate at most", parsePositiveInt, 32)
    .option("--ignore-eos", "do not stop at end-of-sequence ids (kvcdn-cli parity: exactly n tokens)")
    .option("--stop <text>", "stop when the text contains this string (repeatable)", (v: string, all: string[] = []) => [...all, v])
    .option("--temperature <t>", "sample at this temperature (default: greedy)", parseNumber)
    .option("--top-k <k>", "sample among the k most likely tokens", parsePositiveInt)
    .option("--top-p <p>", "sample from the smallest set with this total probability", parseNumber)
    .option("--seed <n>", "seed for sampling", parseNumber)
    .action(async (_opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const flags = cmd.optsWithGlobals<ResumeFlags>();
      const question = await textFlag(flags.question, flags.questionFile, "question");
      const prompt = await textFlag(flags.prompt, flags.promptFile, "prompt");
      if ((question === undefined) === (prompt === undefined)) {
        throw new InvalidArgumentError("give either --question (appended to the cache) or --prompt (prefix reuse)");
      }
      const sampling: SamplingOptions | undefined =
        flags.temperature !== undefined || flags.topK !== undefined || flags.topP !== undefined || flags.seed !== undefined
          ? {
              ...(flags.temperature !== undefined ? { temperature: flags.temperature } : {}),
              ...(flags.topK !== undefined ? { topK: flags.topK } : {}),
              ...(flags.topP !== undefined ? { topP: flags.topP } : {}),
              ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
            }
          : undefined;
      const model = await loadModelFromFlags(flags, stderrOf(cliRunOf(cmd).io));
      try {
        const decode = {
          model,
          kv: kvSourceFlag(flags.kv, cmd),
          maxNewTokens: flags.maxNewTokens,
          ignoreEos: flags.ignoreEos === true,
          stop: flags.stop ?? [],
          ...(sampling ? { sampling } : {}),
          ...compatibilityFromFlags(flags),
        };
        const stream = question !== undefined ? resumeFromCache({ ...decode, question }) : resumeFromPrefix({ ...decode, prompt: prompt! });
        if (flags.json === true) {
          const { tokens, text, finishReason } = await stream.collect();
          return printJson(out, { tokens, text, finish_reason: finishReason });
        }
        for await (const event of stream) if (event.phase === "token") out.write(event.text);
        out.write("\n");
      } finally {
        await model.dispose();
      }
    });
}
