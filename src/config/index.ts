export { resolveConfig, normalizeBaseUrl, type ConfigOptions, type ResolvedConfig, type ConfigSource } from "./resolve-config.js";
export { readConfigFile, type ConfigFileValues } from "./read-config-file.js";
export { defaultConfigPath } from "./default-config-path.js";
export { defaultCacheDir } from "./default-cache-dir.js";
export { DEFAULT_API_URL, DEFAULT_CDN_URL } from "./defaults.js";
export { defaultLogger, silentLogger, type KvcdnLogger } from "./logger.js";
