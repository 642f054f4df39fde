/**
 * kvcdn: the typed client and transfer engine for KV Cache Store, and the errors every part of kvcdn throws.
 * Heavier parts live behind subpaths: `kvcdn/kv`, `kvcdn/onnx`, `kvcdn/transformers`, `kvcdn/local-store`,
 * `kvcdn/testing`.
 */
export { VERSION } from "./version.js";
export * from "./errors/index.js";
export * from "./client/index.js";
export {
  resolveConfig,
  defaultConfigPath,
  defaultCacheDir,
  readConfigFile,
  normalizeBaseUrl,
  defaultLogger,
  silentLogger,
  DEFAULT_API_URL,
  DEFAULT_CDN_URL,
  type ConfigOptions,
  type ResolvedConfig,
  type ConfigSource,
  type ConfigFileValues,
  type KvcdnLogger,
} from "./config/index.js";
export * from "./transfer/index.js";
export * from "./cache-dir/index.js";
