import { redact } from "../errors/redact.js";
import type { TextSink } from "./cli-io.js";

/**
 * How a command prints: results on stdout (one JSON document with `--json`, else compact text), everything else on
 * stderr and only when neither `--json` nor `--quiet` is set. Every line is scrubbed of credentials.
 * @example out.result(artifact, () => formatArtifact(artifact))
 */
export interface CliOutput {
  /** `--json` was given. */
  readonly json: boolean;
  /** `--quiet` was given. */
  readonly quiet: boolean;
  /** Print one JSON document (pretty, newline-terminated) on stdout. */
  printJson(value: unknown): void;
  /** Print text on stdout (a newline is added when missing). */
  printHuman(text: string): void;
  /** `--json` ? `printJson(value)` : `printHuman(human())`. */
  result(value: unknown, human: () => string): void;
  /** A progress or status line on stderr (not with `--json` or `--quiet`). */
  info(message: string): void;
  /** A warning on stderr (not with `--quiet`). */
  warn(message: string): void;
}

/** Build a {@link CliOutput} over two sinks. `secrets` are scrubbed from everything printed. */
export function createOutput(params: {
  stdout: TextSink;
  stderr: TextSink;
  json: boolean;
  quiet: boolean;
  secrets?: ReadonlyArray<string | undefined>;
}): CliOutput {
  const { stdout, stderr, json, quiet } = params;
  const secrets = params.secrets ?? [];
  const line = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
  const out: CliOutput = {
    json,
    quiet,
    printJson: (value) => {
      stdout.write(redact(`${JSON.stringify(value, null, 2)}\n`, secrets));
    },
    printHuman: (text) => {
      stdout.write(redact(line(text), secrets));
    },
    result: (value, human) => (json ? out.printJson(value) : out.printHuman(human())),
    info: (message) => {
      if (!json && !quiet) stderr.write(redact(line(message), secrets));
    },
    warn: (message) => {
      if (!quiet) stderr.write(redact(line(`kvcdn: warning: ${message}`), secrets));
    },
  };
  return out;
}
