import { Command, CommanderError } from "commander";
import { redact } from "../errors/redact.js";
import { VERSION } from "../version.js";
import { attachCliRun, cliRunOf, stderrOf, stdoutOf, type CliIo } from "./cli-io.js";
import { commandRegistrations } from "./commands/index.js";

/**
 * Build the `kvcdn` program with its global flags and every registered command. Output goes to `io` (the process's
 * streams by default); commander's own usage errors print as one `kvcdn: …` line.
 */
export function buildProgram(io: CliIo = {}): Command {
  const program = new Command("kvcdn");
  attachCliRun(program, { io, secrets: [] });
  program
    .description("Produce, share and consume LLM KV caches (.kv files) with KV Cache Store.")
    .version(VERSION)
    .option("--api-url <url>", "API base URL (env KVCDN_API_URL)")
    .option("--api-key <key>", "API key (env KVCDN_API_KEY)")
    .option("--cdn-url <url>", "public CDN base URL (env KVCDN_CDN_URL)")
    .option("--json", "print one JSON document on stdout")
    .option("--quiet", "print nothing but the result and errors")
    .option("--debug", "print stack traces and request details (never credentials)")
    .showSuggestionAfterError()
    // Set before commands are registered: subcommands copy these settings when they are created.
    .configureOutput({
      writeOut: (s) => void stdoutOf(io).write(s),
      writeErr: (s) => void stderrOf(io).write(s),
      outputError: (s, write) => write(`kvcdn: ${redact(s.replace(/^error:\s*/, "")).trimEnd()}\n`),
    })
    .exitOverride();
  for (const register of commandRegistrations) register(program);
  return program;
}

/**
 * Run the CLI on `argv` (as `process.argv`) and return the exit code: 0 ok, 1 failure, 2 usage error. A failure
 * prints one line `kvcdn: <message>` on stderr (the stack too with `--debug`); credentials never appear.
 * @example process.exitCode = await runCli(process.argv)
 */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const opts = program.opts<{ debug?: boolean; apiKey?: string }>();
    const env = io.env ?? process.env;
    // Every key this run resolved (flag, env, config.toml) is scrubbed, besides anything key-shaped.
    const secrets = [opts.apiKey, env["KVCDN_API_KEY"], ...cliRunOf(program).secrets];
    const text =
      opts.debug === true && e instanceof Error ? (e.stack ?? e.message) : e instanceof Error ? e.message : String(e);
    const oneLine = opts.debug === true ? text : text.replace(/\s*\n\s*/g, " ");
    stderrOf(io).write(`kvcdn: ${redact(oneLine, secrets)}\n`);
    return 1;
  }
}
