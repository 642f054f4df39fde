// The one CLI harness of the suite: `runKvcdn` runs the CLI in-process (fast, with injected environment and captured
// output), `runBuiltKvcdn` runs the built bin `dist/cli.js` as a child process (what users run; built by vitest's
// global setup). Every CLI test goes through one of the two.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCli } from "../../src/cli/run-cli.js";
import type { CliIo } from "../../src/cli/cli-io.js";

/** What one CLI run printed. */
export interface CliResult {
  /** Exit code. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `kvcdn ...args` in-process with captured output. Hermetic by default: an empty environment and no config file,
 * unless `io` gives them. stderr is not a TTY, so no progress bars are drawn.
 */
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

/** The built bin. */
export const BUILT_CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/**
 * Run the built `dist/cli.js` as a child process, asynchronously (a local store started by the test answers from this
 * process). The environment is clean apart from `PATH`, with `HOME` pointing nowhere, so no real config.toml is read.
 */
export function runBuiltKvcdn(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Omit<CliResult, "code"> & { /** Exit code; `null` when the child was killed (signal, timeout). */ code: number | null }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BUILT_CLI, ...args],
      { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", HOME: "/nonexistent", ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
