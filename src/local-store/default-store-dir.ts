import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where `kvcdn serve` keeps its data unless `--data-dir` says otherwise: `$KVCDN_STORE_DIR`, else
 * `$XDG_DATA_HOME/kvcdn/store`, else `~/.local/share/kvcdn/store` (empty variables count as unset). A per-user
 * location, so the dev key and artifacts survive across projects and restarts.
 * @example defaultStoreDir({}) // "/home/me/.local/share/kvcdn/store"
 */
export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KVCDN_STORE_DIR) return env.KVCDN_STORE_DIR;
  const base = env.XDG_DATA_HOME ? env.XDG_DATA_HOME : join(homedir(), ".local", "share");
  return join(base, "kvcdn", "store");
}
