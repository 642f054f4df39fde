import { InvalidArgumentError, Option, type Command } from "commander";
import type { ArtifactStatus, Visibility } from "../../client/artifact.js";
import { cliContext } from "../cli-context.js";
import { formatArtifactTable } from "../format-artifact.js";

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("must be a positive integer");
  return Number(value);
}

/**
 * `kvcdn list [--query TEXT] [--model ID] [--visibility public|private] [--status pending|ready] [--limit N]`: every
 * matching artifact, all pages fetched. `--json` prints `{"artifacts": [Artifact, …]}`.
 */
export function registerListCommand(program: Command): void {
  program
    .command("list")
    .description("list and search artifacts (all pages)")
    .option("--query <text>", "substring of the name, model or description")
    .option("--model <id>", "exact model id, e.g. Qwen/Qwen3-0.6B")
    .addOption(new Option("--visibility <visibility>", "only public or only private artifacts").choices(["public", "private"]))
    .addOption(new Option("--status <status>", "only pending or only ready artifacts").choices(["pending", "ready"]))
    .option("--limit <n>", "print at most N artifacts", positiveInt)
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const f = ctx.flags as { query?: string; model?: string; visibility?: Visibility; status?: ArtifactStatus; limit?: number };
      const artifacts = await ctx.client().listAll({ query: f.query, model: f.model, visibility: f.visibility, status: f.status, limit: f.limit });
      ctx.out.result({ artifacts }, () => formatArtifactTable(artifacts));
    });
}
