import { InvalidArgumentError, type Command } from "commander";
import { loadTokenizer } from "../../onnx/load-tokenizer.js";
import { readModelFolder } from "../../onnx/read-model-folder.js";
import { searchCaches } from "../../onnx/search-caches.js";
import {
  addCompatibilityOptions,
  addModelOptions,
  compatibilityFromFlags,
  printJson,
  textFlag,
  type CompatibilityFlags,
  type ModelFlags,
} from "./generate.js";
import { cliRunOf, stderrOf, stdoutOf } from "../cli-io.js";

/**
 * `kvcdn search --dir D --model M --query Q [--json]`: rank the `.kv` files of a folder by the token prefix they share
 * with a query (reads sidecars only). `--json` prints `[{ "path", "prefix_tokens", "total_tokens", "model" }]`,
 * best first.
 */
export function registerSearchCommand(program: Command): void {
  addCompatibilityOptions(addModelOptions(program.command("search").description("rank local .kv caches by the token prefix they share with a query")))
    .requiredOption("--dir <dir>", "folder of .kv files")
    .option("--query <text>", "the new prompt (tokenized like a context)")
    .option("--query-file <file>", "read the query from a file, verbatim")
    .option("-r, --recursive", "scan subfolders too")
    .action(async (_opts: unknown, cmd: Command) => {
      const out = stdoutOf(cliRunOf(cmd).io);
      const err = stderrOf(cliRunOf(cmd).io);
      const flags = cmd.optsWithGlobals<ModelFlags & CompatibilityFlags & { dir: string; query?: string; queryFile?: string; recursive?: boolean }>();
      const query = await textFlag(flags.query, flags.queryFile, "query");
      if (query === undefined) throw new InvalidArgumentError("give the query with --query or --query-file");
      // Only the tokenizer and the fingerprint are needed: no ONNX session.
      const info = await readModelFolder({
        dir: flags.model,
        ...(flags.dtype ? { dtype: flags.dtype } : {}),
        ...(flags.modelId ? { modelId: flags.modelId } : {}),
      });
      const tokenizer = await loadTokenizer({ dir: info.dir });
      const matches = await searchCaches({
        dir: flags.dir,
        model: { ...info, tokenizer },
        query,
        recursive: flags.recursive === true,
        ...compatibilityFromFlags(flags),
        onSkip: (path, reason) => {
          if (flags.json !== true && flags.quiet !== true) err.write(`skipped ${path}: ${reason}\n`);
        },
      });
      if (flags.json === true) {
        return printJson(out, matches.map((m) => ({ path: m.path, prefix_tokens: m.prefixTokens, total_tokens: m.totalTokens, model: m.model })));
      }
      if (matches.length === 0) out.write("no cache shares a prefix with the query\n");
      for (const m of matches) out.write(`${m.prefixTokens}/${m.totalTokens}\t${m.model}\t${m.path}\n`);
    });
}
