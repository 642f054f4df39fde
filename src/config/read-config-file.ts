import { readFileSync } from "node:fs";
import { TomlError, parse } from "smol-toml";
import { ConfigError } from "../errors/config-error.js";

/**
 * The settings kvcdn reads from `config.toml` (the Rust CLI's file plus `cdn_url` and `cache_dir`). Unknown keys are
 * ignored, and so are the Rust CLI's OIDC login settings (`issuer_url`, `client_id`): kvcdn authenticates with the API
 * key only.
 */
export interface ConfigFileValues {
  api_url?: string;
  api_key?: string;
  cdn_url?: string;
  /** Where fetched `.kv` caches are kept (see docs/cache-directory.md); `~` is not expanded. */
  cache_dir?: string;
  /** Kept by the Rust CLI; no longer affects routing. */
  default_org?: string;
  /** Kept by the Rust CLI; no longer affects routing. */
  default_project?: string;
}

const STRING_KEYS = ["api_url", "api_key", "cdn_url", "cache_dir", "default_org", "default_project"] as const;

/**
 * Read and parse a `config.toml`. A missing file gives undefined; an unreadable file, malformed TOML (the error names
 * the file, line and column) or a known key of the wrong type gives a {@link ConfigError}. Empty strings count as unset.
 * @example readConfigFile(defaultConfigPath())?.api_url
 */
export function readConfigFile(path: string): ConfigFileValues | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new ConfigError(`cannot read the config file ${path}: ${code ?? (e as Error).message}`, { path, cause: e });
  }
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.split("\n")[0]?.replace(/^Invalid TOML document:\s*/, "") ?? "syntax error";
      throw new ConfigError(`malformed TOML in ${path} at line ${e.line}, column ${e.column}: ${reason}`, {
        path,
        line: e.line,
        cause: e,
      });
    }
    throw new ConfigError(`malformed TOML in ${path}: ${(e as Error).message}`, { path, cause: e });
  }
  const values: ConfigFileValues = {};
  for (const key of STRING_KEYS) {
    const v = doc[key];
    if (v === undefined) continue;
    if (typeof v !== "string") {
      throw new ConfigError(`${key} in ${path} must be a string, not ${Array.isArray(v) ? "an array" : typeof v}`, { path, key });
    }
    if (v.trim() !== "") values[key] = v.trim();
  }
  return values;
}
