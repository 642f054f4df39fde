import type { Command } from "commander";
import { cliContext } from "../cli-context.js";

/** `kvcdn delete ID --yes`: delete an artifact (refused without `--yes`, exit 2). `--json` prints `{"id", "deleted": true}`. */
export function registerDeleteCommand(program: Command): void {
  program
    .command("delete")
    .description("delete an artifact (needs --yes)")
    .argument("<id>", "artifact id")
    .option("-y, --yes", "really delete it")
    .action(async (id: string, opts: { yes?: boolean }, cmd: Command) => {
      if (opts.yes !== true) cmd.error(`refusing to delete ${id} without --yes`, { exitCode: 2, code: "kvcdn.confirmationRequired" });
      const ctx = cliContext(cmd);
      const result = await ctx.client().delete(id);
      ctx.out.result(result, () => `deleted ${result.id}`);
    });
}
