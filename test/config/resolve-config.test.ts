import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DEFAULT_API_URL,
  DEFAULT_CDN_URL,
  defaultConfigPath,
  resolveConfig,
  type KvcdnLogger,
} from "../../src/config/index.js";
import { ConfigError } from "../../src/errors/index.js";

const dir = mkdtempSync(join(tmpdir(), "kvcdn-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY_FILE = `kv_${"a".repeat(64)}`;
const KEY_ENV = `kv_${"b".repeat(64)}`;
const KEY_OPT = `kv_${"c".repeat(64)}`;

let n = 0;
function configFile(text: string): string {
  const path = join(dir, `config-${n++}.toml`);
  writeFileSync(path, text);
  return path;
}

function capture(): KvcdnLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (m) => lines.push(m), debug: (m) => lines.push(m) };
}

describe("resolveConfig precedence: option > env > config.toml > default", () => {
  const file = configFile(`api_url = "https://file.example/"\napi_key = "${KEY_FILE}"\ncdn_url = "https://cdn.file.example"\n`);
  const env = { KVCDN_API_URL: "https://env.example//", KVCDN_API_KEY: KEY_ENV, KVCDN_CDN_URL: "https://cdn.env.example/" };

  it("uses defaults when nothing is set", () => {
    const c = resolveConfig({ env: {}, configPath: false });
    expect([c.apiUrl, c.cdnUrl, c.apiKey]).toEqual([DEFAULT_API_URL, DEFAULT_CDN_URL, undefined]);
    expect(c.sources).toMatchObject({ apiUrl: "default", apiKey: "none", cdnUrl: "default" });
  });

  it("reads config.toml over the defaults", () => {
    const c = resolveConfig({ env: {}, configPath: file });
    expect([c.apiUrl, c.apiKey, c.cdnUrl]).toEqual(["https://file.example", KEY_FILE, "https://cdn.file.example"]);
    expect(c.sources.apiKey).toBe("file");
  });

  it("env beats the file and trailing slashes are stripped", () => {
    const c = resolveConfig({ env, configPath: file });
    expect([c.apiUrl, c.apiKey, c.cdnUrl]).toEqual(["https://env.example", KEY_ENV, "https://cdn.env.example"]);
  });

  it("explicit options beat env", () => {
    const c = resolveConfig({ env, configPath: file, apiUrl: "http://127.0.0.1:8787/", apiKey: KEY_OPT, cdnUrl: "http://127.0.0.1:8787/cdn" });
    expect([c.apiUrl, c.apiKey, c.cdnUrl]).toEqual(["http://127.0.0.1:8787", KEY_OPT, "http://127.0.0.1:8787/cdn"]);
    expect(c.sources).toMatchObject({ apiUrl: "option", apiKey: "option", cdnUrl: "option" });
  });

  it("empty env values and empty options count as unset", () => {
    const c = resolveConfig({ env: { KVCDN_API_URL: "", KVCDN_API_KEY: "  ", KVCDN_CDN_URL: "" }, configPath: file, apiKey: "" });
    expect([c.apiUrl, c.apiKey, c.cdnUrl]).toEqual(["https://file.example", KEY_FILE, "https://cdn.file.example"]);
  });

  it("ignores the Rust CLI's OIDC keys like any unknown key, even with a value that is not a URL", () => {
    const f = configFile(`api_url = "https://file.example"\nissuer_url = "not a url"\nclient_id = 7\n`);
    const c = resolveConfig({ env: { KVCDN_ISSUER_URL: "also not a url" }, configPath: f });
    expect(c.apiUrl).toBe("https://file.example");
    expect(Object.keys(c).sort()).toEqual(["apiKey", "apiUrl", "cacheDir", "cdnUrl", "configPath", "file", "sources"]);
    expect(c.file).toEqual({ api_url: "https://file.example" });
  });

  it("finds the default file under XDG_CONFIG_HOME", () => {
    const xdg = join(dir, "xdg");
    mkdirSync(join(xdg, "kvcdn"), { recursive: true });
    writeFileSync(join(xdg, "kvcdn", "config.toml"), `api_url = "https://xdg.example"\n`);
    const c = resolveConfig({ env: { XDG_CONFIG_HOME: xdg } });
    expect(c.apiUrl).toBe("https://xdg.example");
    expect(c.configPath).toBe(join(xdg, "kvcdn", "config.toml"));
  });

  it("a missing config file is fine", () => {
    expect(resolveConfig({ env: {}, configPath: join(dir, "nope", "config.toml") }).apiUrl).toBe(DEFAULT_API_URL);
  });
});

describe("config.toml contents", () => {
  it("ignores unknown keys and tables", () => {
    const f = configFile(`api_url = "https://a.example"\ndefault_org = "acme"\nfuture_key = 3\n[telemetry]\nenabled = false\n`);
    expect(resolveConfig({ env: {}, configPath: f }).apiUrl).toBe("https://a.example");
  });

  it("malformed TOML is a ConfigError naming the file and line", () => {
    const f = configFile(`api_url = "https://a.example"\napi_key = "unterminated\ncdn_url = "x"\n`);
    let error: unknown;
    try {
      resolveConfig({ env: {}, configPath: f });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.path).toBe(f);
    expect(e.line).toBe(2);
    expect(e.message).toContain(f);
    expect(e.message).toMatch(/line 2/);
    expect(e.message).not.toContain("\n");
  });

  it("a known key of the wrong type is a ConfigError naming the key", () => {
    const f = configFile(`api_url = 42\n`);
    expect(() => resolveConfig({ env: {}, configPath: f })).toThrow(/api_url in .* must be a string, not number/);
  });

  it("an unreadable config path (a directory) is a ConfigError", () => {
    expect(() => resolveConfig({ env: {}, configPath: dir })).toThrow(ConfigError);
  });
});

describe("validation", () => {
  it("rejects non-http URLs, naming the setting", () => {
    expect(() => resolveConfig({ env: { KVCDN_API_URL: "ftp://x.example" }, configPath: false })).toThrow(/env KVCDN_API_URL must be an http or https URL/);
    expect(() => resolveConfig({ env: {}, configPath: false, apiUrl: "not a url" })).toThrow(ConfigError);
    expect(() => resolveConfig({ env: {}, configPath: false, apiUrl: "https://u:p@x.example" })).toThrow(/user name or password/);
  });

  it("warns about an odd key shape without printing the key, and still uses it", () => {
    const logger = capture();
    const odd = "eyJhbGciOiJSUzI1NiJ9.payload-part.signature-part";
    const c = resolveConfig({ env: { KVCDN_API_KEY: odd }, configPath: false, logger });
    expect(c.apiKey).toBe(odd);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatch(/from env KVCDN_API_KEY does not look like a KV Cache Store key/);
    expect(logger.lines.join("\n")).not.toContain(odd);
  });

  it("does not warn about a well-formed key", () => {
    const logger = capture();
    resolveConfig({ env: { KVCDN_API_KEY: KEY_ENV }, configPath: false, logger });
    expect(logger.lines).toEqual([]);
  });

  it("trims a key and rejects one with inner whitespace or control characters, never echoing it", () => {
    expect(resolveConfig({ env: { KVCDN_API_KEY: `  ${KEY_ENV}\n` }, configPath: false }).apiKey).toBe(KEY_ENV);
    const bad = `kv_${"d".repeat(30)} ${"d".repeat(34)}`;
    let message = "";
    try {
      resolveConfig({ env: { KVCDN_API_KEY: bad }, configPath: false });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/contains spaces, control or non-ASCII characters/);
    expect(message).not.toContain("d".repeat(30));
  });
});

describe("defaultConfigPath", () => {
  it("follows the Rust CLI per platform", () => {
    expect(defaultConfigPath({ env: {}, platform: "linux", home: "/home/u" })).toBe("/home/u/.config/kvcdn/config.toml");
    expect(defaultConfigPath({ env: { XDG_CONFIG_HOME: "/x" }, platform: "linux", home: "/home/u" })).toBe("/x/kvcdn/config.toml");
    expect(defaultConfigPath({ env: { XDG_CONFIG_HOME: "" }, platform: "linux", home: "/home/u" })).toBe("/home/u/.config/kvcdn/config.toml");
    expect(defaultConfigPath({ env: {}, platform: "darwin", home: "/Users/u" })).toBe("/Users/u/Library/Application Support/kvcdn/config.toml");
    expect(defaultConfigPath({ env: { APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, platform: "win32", home: "C:\\Users\\u" })).toBe(
      "C:\\Users\\u\\AppData\\Roaming\\kvcdn\\config.toml",
    );
  });
});

describe("the cache directory: cacheDir > KVCDN_CACHE_DIR > cache_dir > $XDG_CACHE_HOME/kvcdn > ~/.cache/kvcdn", () => {
  const file = configFile(`cache_dir = "/file/cache"\n`);
  it("follows the precedence, empty values counting as unset, and resolves to an absolute path", () => {
    const base = { HOME: "/home/u", XDG_CACHE_HOME: "/xdg" };
    expect(resolveConfig({ env: { HOME: "/home/u" }, configPath: false })).toMatchObject({ cacheDir: "/home/u/.cache/kvcdn", sources: { cacheDir: "default" } });
    expect(resolveConfig({ env: base, configPath: false }).cacheDir).toBe("/xdg/kvcdn");
    expect(resolveConfig({ env: { ...base, XDG_CACHE_HOME: " " }, configPath: false }).cacheDir).toBe("/home/u/.cache/kvcdn");
    expect(resolveConfig({ env: base, configPath: file })).toMatchObject({ cacheDir: "/file/cache", sources: { cacheDir: "file" } });
    expect(resolveConfig({ env: { ...base, KVCDN_CACHE_DIR: "/env/cache" }, configPath: file })).toMatchObject({ cacheDir: "/env/cache", sources: { cacheDir: "env" } });
    const opt = resolveConfig({ env: { ...base, KVCDN_CACHE_DIR: "/env/cache" }, configPath: file, cacheDir: "rel/dir" });
    expect(opt).toMatchObject({ cacheDir: join(process.cwd(), "rel/dir"), sources: { cacheDir: "option" } });
  });

  it("refuses a cache_dir that is not a string", () => {
    expect(() => resolveConfig({ env: {}, configPath: configFile("cache_dir = 3\n") })).toThrow(ConfigError);
  });
});
