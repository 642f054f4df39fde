import { createKvcdnClient } from "../client/create-kvcdn-client.js";
import type { KvcdnClient } from "../client/kvcdn-client.js";
import { silentLogger } from "../config/logger.js";
import { resolveConfig } from "../config/resolve-config.js";
import { resolve } from "node:path";
import type { CacheDirOptions, FetchCacheOptions } from "./cache-dir-options.js";
import { cacheLayout, type CacheLayout } from "./cache-layout.js";
import type { RefContext } from "./parse-cache-ref.js";

/** The settings a cache-directory call works with; the client is made only when a request is needed. */
export interface CacheSettings {
  layout: CacheLayout;
  context: RefContext;
  offline: boolean;
  client(): KvcdnClient;
}

/** Resolve directory, API/CDN and offline mode: option > env > config file > default. */
export function resolveCacheSettings(options: CacheDirOptions & Pick<FetchCacheOptions, "client" | "offline">): CacheSettings {
  const env = options.env ?? process.env;
  const given = options.client;
  // Only when something is missing: reading config.toml is cheap but may warn or throw on a bad file.
  const needConfig = options.cacheDir === undefined || given === undefined;
  const config = needConfig ? resolveConfig({ env, configPath: options.configPath, logger: silentLogger }) : undefined;
  const cacheDir = resolve(options.cacheDir ?? (config as NonNullable<typeof config>).cacheDir);
  const offlineEnv = env["KVCDN_OFFLINE"]?.trim().toLowerCase();
  let client = given;
  return {
    layout: cacheLayout(cacheDir),
    context: given ? { apiUrl: given.apiUrl, cdnUrl: given.cdnUrl } : { apiUrl: config!.apiUrl, cdnUrl: config!.cdnUrl },
    offline: options.offline ?? (offlineEnv === "1" || offlineEnv === "true" || offlineEnv === "yes"),
    client() {
      client ??= createKvcdnClient({ env, configPath: options.configPath });
      return client;
    },
  };
}
