import type { Command } from "commander";
import { createKvcdnClient } from "../client/create-kvcdn-client.js";
import type { KvcdnClient } from "../client/kvcdn-client.js";
import type { KvcdnLogger } from "../config/logger.js";
import { resolveConfig, type ResolvedConfig } from "../config/resolve-config.js";
import { redact } from "../errors/redact.js";
import { cliRunOf, stderrOf, stdoutOf, type CliIo } from "./cli-io.js";
import { createOutput, type CliOutput } from "./output.js";

/** The global flags every command sees. */
export interface GlobalFlags {
  apiUrl?: string;
  apiKey?: string;
  cdnUrl?: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/** What a command needs: its flags, where to print, and (lazily) a configured client. */
export interface CliContext {
  /** Global flags merged with the command's own (`optsWithGlobals`). */
  flags: GlobalFlags & Record<string, unknown>;
  /** The injected I/O (env, fetch, config path, sinks). */
  io: CliIo;
  /** Result and log printing. */
  out: CliOutput;
  /** Diagnostics for library calls: warnings (unless --quiet) and, with --debug, request logs; redacted. */
  logger: KvcdnLogger;
  /** Resolve the configuration from flags > env > config.toml > defaults (once). */
  config(): ResolvedConfig;
  /** The KV Cache Store client for these settings (created once). */
  client(): KvcdnClient;
}

/**
 * The context of a running command: resolves `--api-url`, `--api-key`, `--cdn-url` (then env and config.toml) into a
 * client only when the command asks for one, so offline commands never read the config.
 * @example .action(async (id, _o, cmd) => { const ctx = cliContext(cmd); ctx.out.result(await ctx.client().get(id), …) })
 */
export function cliContext(command: Command): CliContext {
  const run = cliRunOf(command);
  const flags = command.optsWithGlobals<GlobalFlags & Record<string, unknown>>();
  run.secrets.push(flags.apiKey, run.io.env?.["KVCDN_API_KEY"] ?? (run.io.env === undefined ? process.env["KVCDN_API_KEY"] : undefined));
  const stderr = stderrOf(run.io);
  const scrub = (m: string) => redact(m, run.secrets);
  const logger: KvcdnLogger = {
    warn: (m) => {
      if (flags.quiet !== true) stderr.write(`kvcdn: warning: ${scrub(m)}\n`);
    },
    ...(flags.debug === true ? { debug: (m: string) => stderr.write(`kvcdn: debug: ${scrub(m)}\n`) } : {}),
  };
  const out = createOutput({ stdout: stdoutOf(run.io), stderr, json: flags.json === true, quiet: flags.quiet === true, secrets: run.secrets });
  let config: ResolvedConfig | undefined;
  let client: KvcdnClient | undefined;
  const ctx: CliContext = {
    flags,
    io: run.io,
    out,
    logger,
    config() {
      if (config === undefined) {
        config = resolveConfig({ apiUrl: flags.apiUrl, apiKey: flags.apiKey, cdnUrl: flags.cdnUrl, env: run.io.env, configPath: run.io.configPath, logger });
        run.secrets.push(config.apiKey);
        logger.debug?.(
          `API ${config.apiUrl} (${config.sources.apiUrl}), CDN ${config.cdnUrl} (${config.sources.cdnUrl}), ` +
            `API key ${config.apiKey === undefined ? "not set" : `from ${config.sources.apiKey}`}, config file ${config.configPath ?? "none"}`,
        );
      }
      return config;
    },
    client() {
      if (client === undefined) {
        const c = ctx.config();
        // Settings are resolved above (warnings given once); the client takes them as explicit options.
        client = createKvcdnClient({
          apiUrl: c.apiUrl,
          apiKey: c.apiKey,
          cdnUrl: c.cdnUrl,
          env: {},
          configPath: false,
          fetch: run.io.fetch,
          logger: logger.debug === undefined ? {} : { debug: logger.debug },
        });
      }
      return client;
    },
  };
  return ctx;
}
