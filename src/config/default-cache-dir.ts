import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where fetched `.kv` caches live when nothing else says (see docs/cache-directory.md): `$XDG_CACHE_HOME/kvcdn`,
 * else `~/.cache/kvcdn`. Empty environment values count as unset. `KVCDN_CACHE_DIR` and the config file's `cache_dir`
 * take precedence over this; {@link resolveConfig} applies them.
 * @example defaultCacheDir({ env: { XDG_CACHE_HOME: "/tmp/c" } }) // → "/tmp/c/kvcdn"
 */
export function defaultCacheDir(params: {
  /** Environment to read `XDG_CACHE_HOME` and `HOME` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
} = {}): string {
  const env = params.env ?? process.env;
  const set = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const xdg = set("XDG_CACHE_HOME");
  if (xdg !== undefined) return join(xdg, "kvcdn");
  return join(set("HOME") ?? set("USERPROFILE") ?? homedir(), ".cache", "kvcdn");
}
