import { Argument, type Command } from "commander";
import type { Visibility } from "../../client/artifact.js";
import { cliContext } from "../cli-context.js";

/** `kvcdn visibility ID public|private`: change who can download an artifact. `--json` prints the updated Artifact. */
export function registerVisibilityCommand(program: Command): void {
  program
    .command("visibility")
    .description("make an artifact public or private")
    .argument("<id>", "artifact id")
    .addArgument(new Argument("<visibility>", "public or private").choices(["public", "private"]))
    .action(async (id: string, visibility: Visibility, _opts: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const artifact = await ctx.client().setVisibility(id, visibility);
      ctx.out.result(artifact, () => `${artifact.id} is now ${artifact.visibility}${artifact.public_url ? ` (${artifact.public_url})` : ""}`);
    });
}
