import { basename } from "node:path";

/**
 * Append `.kv` when `path` does not already end with it, like kvcdn-cli's `ensure_kv_extension` (which warns).
 * @example ensureKvExtension("ctx") // { path: "ctx.kv", appended: true }
 */
export function ensureKvExtension(path: string): { path: string; appended: boolean } {
  const name = basename(path);
  if (name.endsWith(".kv") && name.length > 3) return { path, appended: false };
  return { path: `${path}.kv`, appended: true };
}
