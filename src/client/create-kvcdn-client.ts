import type { KvcdnClientOptions } from "./client-options.js";
import { KvcdnClient } from "./kvcdn-client.js";

/**
 * Create a KV Cache Store client. Settings not given come from the environment (`KVCDN_API_URL`, `KVCDN_API_KEY`,
 * `KVCDN_CDN_URL`), then `config.toml`, then the defaults. Throws `ConfigError` for a malformed config; a missing key
 * is reported by the first call that needs it.
 * @example const client = createKvcdnClient({ apiUrl: "http://127.0.0.1:8787", apiKey: process.env.MY_KEY })
 */
export function createKvcdnClient(options: KvcdnClientOptions = {}): KvcdnClient {
  return new KvcdnClient(options);
}
