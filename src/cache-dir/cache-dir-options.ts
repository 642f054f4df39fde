import type { KvcdnClient } from "../client/kvcdn-client.js";
import type { TransferControl } from "../transfer/progress.js";

/** Which cache directory to use. Every cache-directory function takes these. */
export interface CacheDirOptions {
  /**
   * The cache directory (created when first written).
   * @default env KVCDN_CACHE_DIR, then config `cache_dir`, then `$XDG_CACHE_HOME/kvcdn`, then `~/.cache/kvcdn`
   */
  cacheDir?: string | undefined;
  /** Environment to read `KVCDN_*` and `XDG_CACHE_HOME` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The `config.toml` to read, or `false` for none. @default the platform's config path */
  configPath?: string | false | undefined;
}

/**
 * Options of {@link fetchCache}.
 * @example await fetchCache(id, { client, onProgress: (e) => console.error(e.phase, e.bytes) })
 */
export interface FetchCacheOptions extends CacheDirOptions, TransferControl {
  /** The client for the service (its API key reaches private artifacts). @default createKvcdnClient({ env, configPath }), made only when a request is needed */
  client?: KvcdnClient | undefined;
  /** Resolve from the directory only; a reference it does not hold throws `CacheMissError`. @default env KVCDN_OFFLINE is `1` or `true` */
  offline?: boolean | undefined;
  /**
   * Ask the service whether the reference now names other bytes (an id: the artifact's checksum; a URL: the CDN's
   * `X-Checksum-Sha256` from a HEAD) and fetch them if so. Off by default: artifact ids, and the CDN URLs built from
   * them, never name other bytes. @default false
   */
  revalidate?: boolean | undefined;
}

/** A `.kv` in the cache directory (or a local file), verified, with its sidecar beside it. */
export interface CachedKv {
  /** Absolute path of the `.kv`; the sidecar is `${path}.json`. */
  path: string;
  /** Absolute path of the sidecar (`${path}.json`). */
  sidecarPath: string;
  /** Lowercase hex SHA-256 of the bytes. */
  sha256: string;
  sizeBytes: number;
  /** The reference as given. */
  ref: string;
  /** How the reference resolved. */
  kind: "id" | "url" | "path";
  /** The artifact id, when known. */
  artifactId: string | undefined;
  /** Whether this call downloaded the bytes (false: they were already in the directory, or the reference is a local file). */
  downloaded: boolean;
}
