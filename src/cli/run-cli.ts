import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { commandRegistrations } from "./commands/index.js";

/** Build the `kvcdn` program with its global flags and every registered command. */
export function buildProgram(): Command {
  const program = new Command("kvcdn")
    .description("Produce, share and consume LLM KV caches (.kv files) with KV Cache Store.")
    .version(VERSION)
    .option("--api-url <url>", "API base URL (env KVCDN_API_URL)")
    .option("--api-key <key>", "API key (env KVCDN_API_KEY)")
    .option("--cdn-url <url>", "public CDN base URL (env KVCDN_CDN_URL)")
    .option("--json", "print one JSON document on stdout")
    .option("--quiet", "print nothing but the result and errors")
    .option("--debug", "print stack traces and request details (never credentials)")
    .showSuggestionAfterError()
    .exitOverride();
  for (const register of commandRegistrations) register(program);
  return program;
}

/** Run the CLI on `argv` (as `process.argv`) and return the exit code: 0 ok, 1 failure, 2 usage error. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const debug = program.opts<{ debug?: boolean }>().debug === true;
    process.stderr.write(`kvcdn: ${debug && e instanceof Error ? (e.stack ?? e.message) : e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
