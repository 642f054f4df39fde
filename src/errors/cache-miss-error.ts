import { errorGuard } from "./error-guard.js";
import { KvcdnError, type KvcdnErrorOptions } from "./kvcdn-error.js";

/** Options of {@link CacheMissError}. */
export interface CacheMissErrorOptions extends KvcdnErrorOptions {
  /** The reference as the caller gave it. */
  ref: string;
  /** The cache directory that was searched. */
  cacheDir: string;
}

/**
 * Offline mode (`KVCDN_OFFLINE=1` or `offline: true`) was asked for a reference the cache directory does not hold, or
 * holds only as damaged bytes; nothing was sent to the service. See docs/cache-directory.md.
 * @example catch (e) { if (isCacheMissError(e)) console.error(`run once online to fetch ${e.ref}`) }
 */
export class CacheMissError extends KvcdnError {
  override name = "CacheMissError";
  /** The reference as the caller gave it. */
  readonly ref: string;
  /** The cache directory that was searched. */
  readonly cacheDir: string;

  constructor(message: string, options: CacheMissErrorOptions) {
    super(message, { code: "cache_miss", ...options });
    this.ref = options.ref;
    this.cacheDir = options.cacheDir;
  }
}

/** True for a {@link CacheMissError}, across package copies and realms. */
export const isCacheMissError = errorGuard<CacheMissError>("CacheMissError");
