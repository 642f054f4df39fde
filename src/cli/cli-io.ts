import type { Command } from "commander";
import type { FetchLike } from "../client/client-options.js";

/** Something text can be written to (`process.stdout`, a test buffer). */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * What the CLI reads and writes, injectable so tests can run it in-process. Unset fields use the process's own
 * (looked up at write time, so spies on `process.stdout.write` see everything).
 */
export interface CliIo {
  /** Results (one JSON document with `--json`). @default process.stdout */
  stdout?: TextSink | undefined;
  /** Errors, warnings, progress and `--debug` logs. @default process.stderr */
  stderr?: TextSink | undefined;
  /** Environment for `KVCDN_*` settings and the config path. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The `config.toml` to read, or false for none. @default the platform's kvcdn config path */
  configPath?: string | false | undefined;
  /** The fetch the client uses. @default globalThis.fetch */
  fetch?: FetchLike | undefined;
}

/** Per-run state shared by the program and its commands. */
export interface CliRun {
  io: CliIo;
  /** Credentials seen during this run, scrubbed from every line the CLI prints. */
  secrets: Array<string | undefined>;
}

const runs = new WeakMap<Command, CliRun>();

/** Attach a run's state to the root program. */
export function attachCliRun(program: Command, run: CliRun): void {
  runs.set(program, run);
}

/** The run state of the program `command` belongs to (a fresh default one when the program was built without it). */
export function cliRunOf(command: Command): CliRun {
  let root = command;
  while (root.parent !== null) root = root.parent;
  let run = runs.get(root);
  if (run === undefined) {
    run = { io: {}, secrets: [] };
    runs.set(root, run);
  }
  return run;
}

/** The sink to write results to. */
export const stdoutOf = (io: CliIo): TextSink => io.stdout ?? process.stdout;
/** The sink to write errors and logs to. */
export const stderrOf = (io: CliIo): TextSink => io.stderr ?? process.stderr;
