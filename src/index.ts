/**
 * kvcdn: the typed client and transfer engine for KV Cache Store, and the errors every part of kvcdn throws.
 * Heavier parts live behind subpaths: `kvcdn/kv`, `kvcdn/onnx`, `kvcdn/transformers`, `kvcdn/local-store`,
 * `kvcdn/testing`.
 */
export { VERSION } from "./version.js";
export * from "./errors/index.js";
