import { spawn } from "node:child_process";
import { hasBothThresholds, MODEL_MALLOC_TUNABLES, runsOnGlibc } from "../onnx/malloc-tunables.js";

/** The commands that run an ONNX session (each loads it through `loadModelFromFlags`; `search` only tokenizes). */
export const MODEL_COMMANDS: readonly string[] = ["generate", "resume", "verify"];

/** Global flags that take a value, so the value is not mistaken for the command name. */
const GLOBAL_VALUE_FLAGS = new Set(["--api-url", "--api-key", "--cdn-url"]);

/** `KVCDN_MALLOC_TUNING=0` keeps the process's own allocator settings (no relaunch). */
export const MALLOC_TUNING_ENV = "KVCDN_MALLOC_TUNING";

/** The command name in `argv` (as `process.argv`): the first word after the global flags. */
export function commandOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return args[i + 1];
    if (GLOBAL_VALUE_FLAGS.has(a)) i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/**
 * Whether this run should start again in a child process with {@link MODEL_MALLOC_TUNABLES}: a model command, on
 * Linux with glibc, not opted out, and `GLIBC_TUNABLES` not already naming both thresholds (which also stops the
 * child from relaunching). Other `GLIBC_TUNABLES` the user set are kept, ours appended.
 */
export function shouldRelaunch(argv: readonly string[], env: NodeJS.ProcessEnv, glibc?: boolean): boolean {
  if (env[MALLOC_TUNING_ENV] === "0" || hasBothThresholds(env["GLIBC_TUNABLES"])) return false;
  const command = commandOf(argv);
  // The glibc check (Node's diagnostic report, ~8 ms) only for the commands that would relaunch.
  return command !== undefined && MODEL_COMMANDS.includes(command) && (glibc ?? runsOnGlibc());
}

/** The child's environment: the parent's, with the malloc thresholds added to any `GLIBC_TUNABLES` already set. */
export function tunedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env["GLIBC_TUNABLES"];
  return { ...env, GLIBC_TUNABLES: own ? `${own}:${MODEL_MALLOC_TUNABLES}` : MODEL_MALLOC_TUNABLES };
}

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Run this CLI invocation again as a child with the tuned allocator (glibc reads `GLIBC_TUNABLES` only at process
 * start) and resolve with what the parent should exit with: the child's exit code, or the signal that ended it
 * (the caller re-raises it). Signals sent to the parent are passed on to the child; the parent waits for it.
 */
export function relaunchTuned(argv: readonly string[] = process.argv): Promise<{ code: number } | { signal: NodeJS.Signals }> {
  const child = spawn(process.execPath, [...process.execArgv, ...argv.slice(1)], { stdio: "inherit", env: tunedEnv(process.env) });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  return new Promise((resolve, reject) => {
    const done = (): void => {
      for (const s of FORWARDED) process.off(s, forward);
    };
    child.once("error", (e) => {
      done();
      reject(e);
    });
    child.once("exit", (code, signal) => {
      done();
      resolve(signal !== null ? { signal } : { code: code ?? 1 });
    });
  });
}
