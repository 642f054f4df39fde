import type { Command } from "commander";
import { cliContext } from "../cli-context.js";

/** `kvcdn whoami`: what the service says about the credential. `--json` prints its answer unchanged. */
export function registerWhoamiCommand(program: Command): void {
  program
    .command("whoami")
    .description("show who the API key belongs to")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const client = ctx.client();
      const identity = await client.whoami();
      ctx.out.result(identity, () => {
        const rows: Array<[string, string]> = [
          ...Object.entries(identity).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)]),
          ["api", client.apiUrl],
        ];
        const width = Math.max(...rows.map(([k]) => k.length)) + 2;
        return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join("\n");
      });
    });
}
