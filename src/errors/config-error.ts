import { errorGuard } from "./error-guard.js";
import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/** Options of {@link ConfigError}. */
export interface ConfigErrorOptions extends KvcdnErrorOptions {
  /** The config file concerned, when the problem is in one. */
  path?: string | undefined;
  /** The 1-based line in that file, when known. */
  line?: number | undefined;
  /** The setting concerned (`api_url`, `KVCDN_API_KEY`, …), when known. */
  key?: string | undefined;
}

/**
 * The configuration is unusable: malformed `config.toml`, a setting of the wrong type, an invalid URL, or no API
 * key where one is needed. The message names the file, line or setting; it never contains the key's value.
 * @example catch (e) { if (isConfigError(e)) console.error(e.path, e.line, e.message) }
 */
export class ConfigError extends KvcdnError {
  override name = "ConfigError";
  /** The config file concerned, when the problem is in one. */
  readonly path: string | undefined;
  /** The 1-based line in that file, when known. */
  readonly line: number | undefined;
  /** The setting concerned, when known. */
  readonly key: string | undefined;

  constructor(message: string, options: ConfigErrorOptions = {}) {
    super(message, { code: "config_error", ...options });
    this.path = options.path;
    this.line = options.line;
    this.key = options.key;
  }
}

/** True for a {@link ConfigError}, across package copies and realms. */
export const isConfigError = errorGuard<ConfigError>("ConfigError");
