import { resolve } from "node:path";
import { ConfigError } from "../errors/config-error.js";
import { redact } from "../errors/redact.js";
import { defaultCacheDir } from "./default-cache-dir.js";
import { defaultConfigPath } from "./default-config-path.js";
import { DEFAULT_API_URL, DEFAULT_CDN_URL } from "./defaults.js";
import { defaultLogger, type KvcdnLogger } from "./logger.js";
import { readConfigFile, type ConfigFileValues } from "./read-config-file.js";

/** Where a resolved setting came from. */
export type ConfigSource = "option" | "env" | "file" | "default" | "none";

/** Settings given explicitly (highest precedence). Empty strings count as unset. */
export interface ConfigOptions {
  /** API base URL. @default env KVCDN_API_URL, then config `api_url`, then "https://api.kvcachestore.com" */
  apiUrl?: string | undefined;
  /** API key (`kv_` + 64 hex) or another bearer token. @default env KVCDN_API_KEY, then config `api_key` */
  apiKey?: string | undefined;
  /** Public CDN base URL. @default env KVCDN_CDN_URL, then config `cdn_url`, then "https://x.kvcdn.io" */
  cdnUrl?: string | undefined;
  /**
   * Directory of fetched `.kv` caches (see docs/cache-directory.md).
   * @default env KVCDN_CACHE_DIR, then config `cache_dir`, then `$XDG_CACHE_HOME/kvcdn`, then `~/.cache/kvcdn`
   */
  cacheDir?: string | undefined;
  /** Environment to read `KVCDN_*` from (tests inject one). @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The `config.toml` to read, or `false` to read none. @default defaultConfigPath({ env }) */
  configPath?: string | false | undefined;
  /** Receives warnings (odd key shapes). @default defaultLogger (stderr) */
  logger?: KvcdnLogger | undefined;
}

/** The configuration after precedence: explicit option > environment > config.toml > default. */
export interface ResolvedConfig {
  /** API base URL without a trailing `/`. */
  apiUrl: string;
  /** The bearer credential, or undefined when none is configured. */
  apiKey: string | undefined;
  /** CDN base URL without a trailing `/`. */
  cdnUrl: string;
  /** Absolute path of the cache directory (not created here). */
  cacheDir: string;
  /** The config file consulted, if any (whether or not it exists). */
  configPath: string | undefined;
  /** The values read from that file (undefined when it does not exist or none was read). */
  file: ConfigFileValues | undefined;
  /** Where each setting came from. */
  sources: { apiUrl: ConfigSource; apiKey: ConfigSource; cdnUrl: ConfigSource; cacheDir: ConfigSource };
}

/** A kvcdn API key: `kv_` + 64 lowercase hex (the backend accepts `kv_` + 32 or more hex). */
const KEY_SHAPE = /^kv_[0-9a-f]{64}$/;

const present = (v: string | undefined): string | undefined => {
  const t = v?.trim();
  return t === undefined || t === "" ? undefined : t;
};

function pick(
  option: string | undefined,
  env: string | undefined,
  file: string | undefined,
  fallback: string | undefined,
): [string | undefined, ConfigSource] {
  if (present(option) !== undefined) return [present(option), "option"];
  if (present(env) !== undefined) return [present(env), "env"];
  if (present(file) !== undefined) return [present(file), "file"];
  return fallback === undefined ? [undefined, "none"] : [fallback, "default"];
}

function describeSource(source: ConfigSource, option: string, envName: string, fileKey: string, path: string | undefined): string {
  switch (source) {
    case "option":
      return option;
    case "env":
      return `env ${envName}`;
    case "file":
      return `${fileKey} in ${path ?? "config.toml"}`;
    default:
      return "the default";
  }
}

/**
 * Check and normalise a base URL: it must be an absolute http(s) URL without query or fragment; trailing `/` are
 * stripped. `where` names the setting for the error message.
 * @example normalizeBaseUrl("https://api.kvcachestore.com/", "--api-url") // → "https://api.kvcachestore.com"
 */
export function normalizeBaseUrl(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${where} is not a valid URL: ${JSON.stringify(redact(value))}`, { key: where });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`${where} must be an http or https URL, not ${url.protocol}`, { key: where });
  }
  if (url.username !== "" || url.password !== "") {
    throw new ConfigError(`${where} must not contain a user name or password; use the API key setting`, { key: where });
  }
  if (url.search !== "" || url.hash !== "") {
    throw new ConfigError(`${where} must not have a query string or fragment`, { key: where });
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * Resolve kvcdn's settings the way the Rust CLI does (see docs/service-contract.md#configuration-and-credentials):
 * explicit option > environment (`KVCDN_API_URL`, `KVCDN_API_KEY`, `KVCDN_CDN_URL`; empty = unset) > `config.toml`
 * (`api_url`, `api_key`, `cdn_url`; other keys, such as the Rust CLI's OIDC `issuer_url` and `client_id`, are ignored)
 * > defaults; the cache directory likewise (`cacheDir`, `KVCDN_CACHE_DIR`, `cache_dir`, then the XDG default). Throws
 * {@link ConfigError}
 * for malformed TOML, invalid URLs or a key with characters no HTTP header allows. Warns (never printing it) when the
 * key does not look like `kv_` + 64 hex; such keys are still used (OIDC tokens are legitimate bearers).
 * @example const { apiUrl, apiKey } = resolveConfig({ env: { KVCDN_API_KEY: key }, configPath: false })
 */
export function resolveConfig(options: ConfigOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const logger = options.logger ?? defaultLogger;
  const configPath = options.configPath === false ? undefined : (options.configPath ?? defaultConfigPath({ env }));
  const file = configPath === undefined ? undefined : readConfigFile(configPath);

  const [apiUrlRaw, apiUrlSource] = pick(options.apiUrl, env["KVCDN_API_URL"], file?.api_url, DEFAULT_API_URL);
  const [apiKey, apiKeySource] = pick(options.apiKey, env["KVCDN_API_KEY"], file?.api_key, undefined);
  const [cdnUrlRaw, cdnUrlSource] = pick(options.cdnUrl, env["KVCDN_CDN_URL"], file?.cdn_url, DEFAULT_CDN_URL);

  const [cacheDir, cacheDirSource] = pick(options.cacheDir, env["KVCDN_CACHE_DIR"], file?.cache_dir, defaultCacheDir({ env }));

  const where = (source: ConfigSource, option: string, envName: string, key: string) =>
    describeSource(source, option, envName, key, configPath);

  if (apiKey !== undefined) {
    const from = where(apiKeySource, "the apiKey option", "KVCDN_API_KEY", "api_key");
    // A header value with control characters or spaces would make fetch throw with the value in its message.
    if (!/^[\x21-\x7e]+$/.test(apiKey)) {
      throw new ConfigError(`the API key from ${from} contains spaces, control or non-ASCII characters`, { key: "api_key" });
    }
    if (!KEY_SHAPE.test(apiKey)) {
      logger.warn?.(
        `the API key from ${from} does not look like a KV Cache Store key (kv_ followed by 64 lowercase hex digits); ` +
          "sending it as given",
      );
    }
  }

  return {
    apiUrl: normalizeBaseUrl(apiUrlRaw as string, where(apiUrlSource, "the apiUrl option", "KVCDN_API_URL", "api_url")),
    apiKey,
    cdnUrl: normalizeBaseUrl(cdnUrlRaw as string, where(cdnUrlSource, "the cdnUrl option", "KVCDN_CDN_URL", "cdn_url")),
    cacheDir: resolve(cacheDir as string),
    configPath,
    file,
    sources: { apiUrl: apiUrlSource, apiKey: apiKeySource, cdnUrl: cdnUrlSource, cacheDir: cacheDirSource },
  };
}
