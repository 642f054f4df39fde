import type { Command } from "commander";
import type { Usage } from "../../errors/usage.js";
import { cliContext } from "../cli-context.js";
import { formatBytes } from "../format-bytes.js";

/** Usage as two lines: storage and artifact count against their limits. */
export function formatUsage(u: Usage): string {
  const pct = u.quota_bytes !== null && u.quota_bytes > 0 ? ` (${((100 * u.used_bytes) / u.quota_bytes).toFixed(1)}%)` : "";
  const storage = `${formatBytes(u.used_bytes)}${u.quota_bytes === null ? "" : ` of ${formatBytes(u.quota_bytes)}`}${pct}`;
  const artifacts = `${u.artifact_count ?? "?"}${u.artifact_limit === null ? "" : ` of ${u.artifact_limit}`}`;
  return `storage:    ${storage}\nartifacts:  ${artifacts}`;
}

/**
 * `kvcdn usage`: storage used and limits. `--json` prints `{"used_bytes", "quota_bytes", "artifact_count",
 * "artifact_limit"}` whichever usage or quota shape the service returns.
 */
export function registerUsageCommand(program: Command): void {
  program
    .command("usage")
    .description("show storage usage and limits")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = cliContext(cmd);
      const usage = await ctx.client().usage();
      ctx.out.result(usage, () => formatUsage(usage));
    });
}
