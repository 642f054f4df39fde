import { homedir } from "node:os";
import { posix, win32 } from "node:path";

/**
 * Where the Rust CLI keeps `config.toml` (docs/service-contract.md#configuration-and-credentials):
 * `$XDG_CONFIG_HOME/kvcdn/config.toml` or `~/.config/kvcdn/config.toml` on Linux and other Unixes,
 * `~/Library/Application Support/kvcdn/config.toml` on macOS, `%APPDATA%\kvcdn\config.toml` on Windows. Empty
 * environment values count as unset.
 * @example defaultConfigPath({ env: { XDG_CONFIG_HOME: "/tmp/cfg" } }) // → "/tmp/cfg/kvcdn/config.toml"
 */
export function defaultConfigPath(params: {
  /** Environment to read `XDG_CONFIG_HOME`, `APPDATA`, `HOME` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default process.platform */
  platform?: NodeJS.Platform;
  /** The home directory. @default env.HOME (or USERPROFILE), else os.homedir() */
  home?: string;
} = {}): string {
  const env = params.env ?? process.env;
  const platform = params.platform ?? process.platform;
  const set = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const home = params.home ?? set("HOME") ?? set("USERPROFILE") ?? homedir();
  if (platform === "win32") {
    return win32.join(set("APPDATA") ?? win32.join(home, "AppData", "Roaming"), "kvcdn", "config.toml");
  }
  if (platform === "darwin") return posix.join(home, "Library", "Application Support", "kvcdn", "config.toml");
  return posix.join(set("XDG_CONFIG_HOME") ?? posix.join(home, ".config"), "kvcdn", "config.toml");
}
