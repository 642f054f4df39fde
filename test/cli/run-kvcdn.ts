import { runCli } from "../../src/cli/run-cli.js";
import type { CliIo } from "../../src/cli/cli-io.js";

/** What one in-process CLI run printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `kvcdn ...args` in-process with injected env (no config file unless given) and captured output. */
export async function runKvcdn(args: string[], io: Omit<CliIo, "stdout" | "stderr"> = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["node", "kvcdn", ...args], {
    env: {},
    configPath: false,
    ...io,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}
