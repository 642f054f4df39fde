import type { Command } from "commander";
import { KvcdnError } from "../../errors/kvcdn-error.js";
import { verifyCache } from "../../onnx/verify-cache.js";
import { addModelOptions, loadModelFromFlags, parsePositiveInt, printJson, textFlag, type ModelFlags } from "./generate.js";

interface VerifyFlags extends ModelFlags {
  kv: string;
  question?: string;
  questionFile?: string;
  contextFile?: string;
  n: number;
  topK: number;
}

/**
 * `kvcdn verify --model DIR --kv FILE [--question Q] [-n N] [--json]`: generate n greedy tokens from the cache and
 * from a full prefill of context + question, compare them; exits 1 on any mismatch. `--json` prints
 * `{ "match", "mismatch_indices", "max_abs_logit_diff", "top_k_agreement", "tokens_cached", "tokens_full", … }`.
 */
export function registerVerifyCommand(program: Command): void {
  addModelOptions(program.command("verify").description("check that a .kv cache reproduces a full prefill token for token"))
    .requiredOption("--kv <file>", ".kv cache to verify")
    .option("--question <text>", 'question after the context (default: kvcdn-cli\'s "\\n\\nQ: Summarize the key claim in one sentence.\\nA:")')
    .option("--question-file <file>", "read the question from a file, verbatim")
    .option("--context-file <file>", "the context the cache was made from, for a .kv whose sidecar has no tokens")
    .option("-n, --n <n>", "tokens to generate on each path", parsePositiveInt, 32)
    .option("--top-k <k>", "k of the top-k agreement", parsePositiveInt, 5)
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<VerifyFlags>();
      const question = await textFlag(flags.question, flags.questionFile, "question");
      const context = await textFlag(undefined, flags.contextFile, "context");
      const model = await loadModelFromFlags(flags);
      try {
        const result = await verifyCache({
          model,
          kv: flags.kv,
          n: flags.n,
          topK: flags.topK,
          ...(question !== undefined ? { question } : {}),
          ...(context !== undefined ? { contextTokens: model.tokenizer.encode(context, { addSpecialTokens: true }) } : {}),
        });
        if (flags.json === true) printJson(result);
        else {
          process.stdout.write(
            [
              `match:               ${result.match}`,
              `mismatch indices:    ${result.mismatch_indices.length === 0 ? "none" : result.mismatch_indices.join(", ")}`,
              `max |logit diff|:    ${result.max_abs_logit_diff.toExponential(3)} over ${result.compared_steps} steps`,
              `top-${result.top_k} agreement:     ${result.top_k_agreement.toFixed(3)}`,
              `from cache:          ${JSON.stringify(result.text_cached)}`,
              `full prefill:        ${JSON.stringify(result.text_full)}`,
              `first token:         ${result.ttft_cached_ms.toFixed(1)} ms from the cache, ${result.ttft_full_ms.toFixed(1)} ms with a full prefill of ${result.num_tokens + result.question_tokens} tokens`,
            ].join("\n") + "\n",
          );
        }
        if (!result.match) {
          throw new KvcdnError(
            `verification failed: ${result.mismatch_indices.length} of ${result.n} tokens differ (first at ${result.mismatch_indices[0]})`,
            { code: "verify_mismatch" },
          );
        }
      } finally {
        await model.dispose();
      }
    });
}
