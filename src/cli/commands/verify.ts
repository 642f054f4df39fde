import type { Command } from "commander";
import { KvcdnError } from "../../errors/kvcdn-error.js";
import { verifyCache, type VerifyResult } from "../../onnx/verify-cache.js";
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

interface VerifyFlags extends ModelFlags, CompatibilityFlags {
  kv: string;
  question?: string;
  questionFile?: string;
  contextFile?: string;
  n: number;
  topK: number;
}

/**
 * `kvcdn verify --model DIR --kv FILE|REF [--question Q] [-n N] [--json]`: generate n greedy tokens from the cache and
 * from a full prefill of context + question, compare them; exits 1 on any mismatch. `--json` prints
 * `{ "match", "mismatch_indices", "max_abs_logit_diff", "top_k_agreement", "tokens_cached", "tokens_full", … }`.
 */
export function registerVerifyCommand(program: Command): void {
  addCompatibilityOptions(addModelOptions(program.command("verify").description("check that a .kv cache reproduces a full prefill token for token")))
    .requiredOption("--kv <file|ref>", ".kv cache to verify, or a reference fetched through the cache directory")
    .option("--question <text>", 'question after the context (default: kvcdn-cli\'s "\\n\\nQ: Summarize the key claim in one sentence.\\nA:")')
    .option("--question-file <file>", "read the question from a file, verbatim")
    .option("--context-file <file>", "the context the cache was made from, for a .kv whose sidecar has no tokens")
    .option("-n, --n <n>", "tokens to generate on each path", parsePositiveInt, 32)
    .option("--top-k <k>", "k of the top-k agreement", parsePositiveInt, 5)
    .action(async (_opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const flags = cmd.optsWithGlobals<VerifyFlags>();
      const question = await textFlag(flags.question, flags.questionFile, "question");
      const context = await textFlag(undefined, flags.contextFile, "context");
      const model = await loadModelFromFlags(flags, stderrOf(cliRunOf(cmd).io));
      try {
        const result = await verifyCache({
          model,
          kv: kvSourceFlag(flags.kv, cmd),
          maxNewTokens: flags.n,
          topK: flags.topK,
          ...compatibilityFromFlags(flags),
          ...(question !== undefined ? { question } : {}),
          ...(context !== undefined ? { contextTokens: model.tokenizer.encode(context, { addSpecialTokens: true }) } : {}),
        });
        if (flags.json === true) printJson(out, verifyResultJson(result));
        else {
          out.write(
            [
              `match:               ${result.match}`,
              `mismatch indices:    ${result.mismatchIndices.length === 0 ? "none" : result.mismatchIndices.join(", ")}`,
              `max |logit diff|:    ${result.maxAbsLogitDiff.toExponential(3)} over ${result.comparedSteps} steps`,
              `top-${result.topK} agreement:     ${result.topKAgreement.toFixed(3)}`,
              `from cache:          ${JSON.stringify(result.textCached)}`,
              `full prefill:        ${JSON.stringify(result.textFull)}`,
              `first token:         ${result.ttftCachedMs.toFixed(1)} ms from the cache, ${result.ttftFullMs.toFixed(1)} ms with a full prefill of ${result.numTokens + result.questionTokens} tokens`,
            ].join("\n") + "\n",
          );
        }
        if (!result.match) {
          throw new KvcdnError(
            `verification failed: ${result.mismatchIndices.length} of ${result.maxNewTokens} tokens differ (first at ${result.mismatchIndices[0]})`,
            { code: "verify_mismatch" },
          );
        }
      } finally {
        await model.dispose();
      }
    });
}

/** The documented `kvcdn verify --json` document (kvcdn-cli's snake_case keys) of a library result. */
export function verifyResultJson(r: VerifyResult): Record<string, unknown> {
  return {
    match: r.match,
    mismatch_indices: r.mismatchIndices,
    max_abs_logit_diff: r.maxAbsLogitDiff,
    top_k_agreement: r.topKAgreement,
    top_k: r.topK,
    compared_steps: r.comparedSteps,
    tokens_cached: r.tokensCached,
    tokens_full: r.tokensFull,
    text_cached: r.textCached,
    text_full: r.textFull,
    num_tokens: r.numTokens,
    question_tokens: r.questionTokens,
    n: r.maxNewTokens,
    ttft_cached_ms: r.ttftCachedMs,
    ttft_full_ms: r.ttftFullMs,
  };
}
