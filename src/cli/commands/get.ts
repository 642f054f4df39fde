import type { Command } from "commander";
import { cliContext } from "../cli-context.js";
import { formatArtifact } from "../format-artifact.js";

/** `kvcdn get ID`: one artifact's metadata. `--json` prints the Artifact. */
export function registerGetCommand(program: Command): void {
  program
    .command("get")
    .description("show one artifact")
    .argument("<id>", "artifact id")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const artifact = await ctx.client().get(id);
      ctx.out.result(artifact, () => formatArtifact(artifact));
    });
}
